import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'filesystem.tmp.writable',
  title: '/tmp is writable',
  category: 'filesystem',
  scope: 'pod',
  docs: {
    what: 'Creates and removes a file in /tmp.',
    why: 'The runner stages scripts, drivers and temporary data in /tmp; the chart mounts an emptyDir there.',
    fix: "Keep the chart's /tmp emptyDir volume; with readOnlyRootFilesystem, /tmp must be a writable volume.",
  },
  needs: ['filesystem'],
  messages: {
    writable: { status: 'pass', text: '/tmp is writable' },
    missing: {
      status: 'fail',
      text: '/tmp does not exist',
      fix: 'mount an emptyDir at /tmp (the chart does this by default)',
    },
    denied: {
      status: 'fail',
      text: '/tmp is not writable for the runner user',
      fix: 'mount a writable emptyDir at /tmp (volumes + volumeMounts in the Deployment) or fix its ownership with fsGroup',
    },
  },
  judge({ filesystem }, { report }) {
    const tmp = filesystem.paths['/tmp'];
    if (!tmp || tmp.write === 'missing') return report('missing');
    if (tmp.write === 'denied')
      return report('denied', {}, { details: { mount: tmp.mount?.mountPoint, options: tmp.mount?.options } });
    return report('writable', {}, { details: { mount: tmp.mount?.mountPoint } });
  },
});
