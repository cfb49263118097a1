import { defineCheck, fmtBytes, pass, warn } from '../../src/engine/define.ts';

const MIN_KIB = 40 * 1024;

export default defineCheck({
  id: 'filesystem.shm.size',
  title: '/dev/shm is at least 40 MiB',
  category: 'filesystem',
  scope: 'pod',
  severity: 'warn',
  docs: {
    what: 'Reads the size of /dev/shm.',
    why: 'Python multiprocessing and some JDBC drivers use shared memory; a tiny /dev/shm makes them fail in odd ways.',
    fix: 'Mount an emptyDir with `medium: Memory` (and a sizeLimit) at /dev/shm in the runner Deployment.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const shm = (await fact('probe')).fs.paths['/dev/shm'];
    if (!shm || shm.write === 'missing') return warn('/dev/shm does not exist', { remediation: 'mount an emptyDir with medium: Memory at /dev/shm' });
    if (shm.sizeKiB === undefined) return warn('could not read the size of /dev/shm');
    const size = shm.sizeKiB * 1024;
    const details = { sizeBytes: size, freeBytes: (shm.freeKiB ?? 0) * 1024, minimumBytes: MIN_KIB * 1024 };
    if (shm.sizeKiB < MIN_KIB) return warn(`/dev/shm is ${fmtBytes(size)}, below 40 MiB`, { details });
    return pass(`/dev/shm is ${fmtBytes(size)}`, { details });
  },
});
