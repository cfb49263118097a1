import { defineCheck, fail, fmtBytes, pass, warn } from '../../src/engine/define.ts';

const MIN_KIB = 256 * 1024;

export default defineCheck({
  id: 'filesystem.tmp.free',
  title: '/tmp has at least 256 MiB free',
  category: 'filesystem',
  scope: 'pod',
  severity: 'fail',
  docs: {
    what: 'Reads the free space of the filesystem holding /tmp.',
    why: 'Drivers, staged files and script output land in /tmp; under 256 MiB tasks fail with "No space left on device".',
    fix: 'Give the /tmp emptyDir more room (sizeLimit) and the pod more ephemeral-storage (requests/limits); on EKS Fargate raise ephemeral storage above the 20 GiB default.',
  },
  needs: ['probe'],
  requires: ['filesystem.tmp.writable'],
  async run({ fact }) {
    const tmp = (await fact('probe')).fs.paths['/tmp'];
    if (tmp?.freeKiB === undefined) return warn('could not read the free space of /tmp (df printed nothing usable)');
    const free = tmp.freeKiB * 1024;
    const details = { freeBytes: free, sizeBytes: (tmp.sizeKiB ?? 0) * 1024, minimumBytes: MIN_KIB * 1024 };
    if (tmp.freeKiB < MIN_KIB) return fail(`/tmp has ${fmtBytes(free)} free, below the 256 MiB minimum`, { details });
    return pass(`/tmp has ${fmtBytes(free)} free of ${fmtBytes((tmp.sizeKiB ?? 0) * 1024)}`, { details });
  },
});
