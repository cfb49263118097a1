import { defineCheck, fail, pass } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'filesystem.tmp.writable',
  title: '/tmp is writable',
  category: 'filesystem',
  scope: 'pod',
  severity: 'fail',
  docs: {
    what: 'Creates and removes a file in /tmp.',
    why: 'The runner stages scripts, drivers and temporary data in /tmp; the chart mounts an emptyDir there.',
    fix: 'Keep the chart\'s /tmp emptyDir volume; with readOnlyRootFilesystem, /tmp must be a writable volume.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const tmp = (await fact('probe')).fs.paths['/tmp'];
    if (!tmp || tmp.write === 'missing') return fail('/tmp does not exist', { remediation: 'mount an emptyDir at /tmp (the chart does this by default)' });
    if (tmp.write === 'denied') return fail('/tmp is not writable for the runner user', { details: { mount: tmp.mount?.mountPoint, options: tmp.mount?.options }, remediation: 'mount a writable emptyDir at /tmp (volumes + volumeMounts in the Deployment) or fix its ownership with fsGroup' });
    return pass('/tmp is writable', { details: { mount: tmp.mount?.mountPoint } });
  },
});
