import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'filesystem.rootfs.readonly',
  title: 'Root filesystem is read-only (as the guides promise)',
  category: 'filesystem',
  scope: 'pod',
  tags: ['hardening'],
  docs: {
    what: 'Reads the mount options of /.',
    why: 'The deployment guides promise readOnlyRootFilesystem, but the chart renders an empty container securityContext. With a read-only root, /tmp and the working directory must be writable volumes.',
    fix: 'Set `securityContext.readOnlyRootFilesystem: true` on the runner container, and keep /tmp and the working directory on emptyDir volumes.',
  },
  needs: ['filesystem'],
  messages: {
    'read-only': { status: 'pass', text: '/ is read-only and /tmp and the working directory are writable volumes' },
    writable: {
      status: 'info',
      text: '/ is writable: the guides promise readOnlyRootFilesystem, which the chart does not render',
      fix: 'set securityContext.readOnlyRootFilesystem: true on the runner container (keep /tmp and the working directory on emptyDir volumes)',
    },
    unknown: { status: 'info', text: 'could not tell whether / is read-only (no mount information)' },
    'volumes-not-writable': {
      status: 'warn',
      text: '/ is read-only, but {{paths}} {{verb}} not writable: the runner needs writable volumes there',
    },
  },
  judge({ filesystem }, { report }) {
    if (filesystem.rootReadOnly === null) return report('unknown');
    if (!filesystem.rootReadOnly) return report('writable');
    const broken = ['/tmp', filesystem.workdir].filter((p) => filesystem.paths[p]?.write !== 'ok');
    if (broken.length === 0) return report('read-only');
    return report(
      'volumes-not-writable',
      { paths: broken.join(' and '), verb: broken.length > 1 ? 'are' : 'is' },
      { details: { notWritable: broken } },
    );
  },
});
