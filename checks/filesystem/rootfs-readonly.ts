import { defineCheck, info, pass, warn } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'filesystem.rootfs.readonly',
  title: 'Root filesystem is read-only (as the guides promise)',
  category: 'filesystem',
  scope: 'pod',
  severity: 'warn',
  tags: ['hardening'],
  docs: {
    what: 'Reads the mount options of /.',
    why: 'The deployment guides promise readOnlyRootFilesystem, but the chart renders an empty container securityContext. With a read-only root, /tmp and the working directory must be writable volumes.',
    fix: 'Set `securityContext.readOnlyRootFilesystem: true` on the runner container, and keep /tmp and the working directory on emptyDir volumes.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const { fs } = await fact('probe');
    if (fs.rootReadOnly === null) return info('could not tell whether / is read-only (no mount information)');
    if (fs.rootReadOnly) {
      const broken = ['/tmp', fs.workdir].filter((p) => fs.paths[p]?.write !== 'ok');
      if (broken.length) return warn(`/ is read-only, but ${broken.join(' and ')} ${broken.length > 1 ? 'are' : 'is'} not writable: the runner needs writable volumes there`, { details: { notWritable: broken } });
      return pass('/ is read-only and /tmp and the working directory are writable volumes');
    }
    return info('/ is writable: the guides promise readOnlyRootFilesystem, which the chart does not render', { remediation: 'set securityContext.readOnlyRootFilesystem: true on the runner container (keep /tmp and the working directory on emptyDir volumes)' });
  },
});
