import { defineCheck } from '../../src/engine/define.ts';
import { fmtBytes } from '../../src/domain/format.ts';

const MIN_KIB = 256 * 1024;

export default defineCheck({
  id: 'filesystem.tmp.free',
  title: '/tmp has at least 256 MiB free',
  category: 'filesystem',
  scope: 'pod',
  docs: {
    what: 'Reads the free space of the filesystem holding /tmp.',
    why: 'Drivers, staged files and script output land in /tmp; under 256 MiB tasks fail with "No space left on device".',
    fix: 'Give the /tmp emptyDir more room (sizeLimit) and the pod more ephemeral-storage (requests/limits); on EKS Fargate raise ephemeral storage above the 20 GiB default.',
  },
  needs: ['filesystem'],
  requires: ['filesystem.tmp.writable'],
  messages: {
    enough: { status: 'pass', text: '/tmp has {{free}} free of {{size}}' },
    low: { status: 'fail', text: '/tmp has {{free}} free, below the 256 MiB minimum' },
    unknown: { status: 'warn', text: 'could not read the free space of /tmp (df printed nothing usable)' },
  },
  judge({ filesystem }, { report }) {
    const tmp = filesystem.paths['/tmp'];
    if (tmp?.freeKiB === undefined) return report('unknown');
    const freeBytes = tmp.freeKiB * 1024;
    const sizeBytes = (tmp.sizeKiB ?? 0) * 1024;
    const details = { freeBytes, sizeBytes, minimumBytes: MIN_KIB * 1024 };
    const vars = { free: fmtBytes(freeBytes), size: fmtBytes(sizeBytes) };
    return report(tmp.freeKiB < MIN_KIB ? 'low' : 'enough', vars, { details });
  },
});
