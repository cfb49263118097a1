import { defineCheck } from '../../src/engine/define.ts';
import { fmtBytes } from '../../src/domain/format.ts';

const MIN_KIB = 40 * 1024;

export default defineCheck({
  id: 'filesystem.shm.size',
  title: '/dev/shm is at least 40 MiB',
  category: 'filesystem',
  scope: 'pod',
  docs: {
    what: 'Reads the size of /dev/shm.',
    why: 'Python multiprocessing and some JDBC drivers use shared memory; a tiny /dev/shm makes them fail in odd ways.',
    fix: 'Mount an emptyDir with `medium: Memory` (and a sizeLimit) at /dev/shm in the runner Deployment.',
  },
  needs: ['filesystem'],
  messages: {
    enough: { status: 'pass', text: '/dev/shm is {{size}}' },
    small: { status: 'warn', text: '/dev/shm is {{size}}, below 40 MiB' },
    missing: {
      status: 'warn',
      text: '/dev/shm does not exist',
      fix: 'mount an emptyDir with medium: Memory at /dev/shm',
    },
    unknown: { status: 'warn', text: 'could not read the size of /dev/shm' },
  },
  judge({ filesystem }, { report }) {
    const shm = filesystem.paths['/dev/shm'];
    if (!shm || shm.write === 'missing') return report('missing');
    if (shm.sizeKiB === undefined) return report('unknown');
    const sizeBytes = shm.sizeKiB * 1024;
    const details = { sizeBytes, freeBytes: (shm.freeKiB ?? 0) * 1024, minimumBytes: MIN_KIB * 1024 };
    return report(shm.sizeKiB < MIN_KIB ? 'small' : 'enough', { size: fmtBytes(sizeBytes) }, { details });
  },
});
