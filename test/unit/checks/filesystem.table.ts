import rootfsReadonly from '../../../checks/filesystem/rootfs.readonly.ts';
import shmSize from '../../../checks/filesystem/shm.size.ts';
import tmpExec from '../../../checks/filesystem/tmp.exec.ts';
import tmpFree from '../../../checks/filesystem/tmp.free.ts';
import tmpWritable from '../../../checks/filesystem/tmp.writable.ts';
import workdirWritable from '../../../checks/filesystem/workdir.writable.ts';
import type { PathFacts } from '../../../src/engine/facts.ts';
import { table } from '../../helpers/check-table.ts';
import { all, details, message, pod, remediation } from './fixtures-pod.ts';
import { healthyPodFacts } from './fixtures.ts';

/** The healthy environment with one path's facts changed (`undefined` removes the path). */
const withPath = (path: string, change: (p: PathFacts) => PathFacts | undefined) =>
  pod((f) => {
    const before = f.filesystem.paths[path] ?? { write: 'ok' };
    const after = change(structuredClone(before));
    if (after) f.filesystem.paths[path] = after;
    else delete f.filesystem.paths[path];
  });

export const tables = [
  table(tmpWritable, {
    valid: [{ name: '/tmp is a writable emptyDir', facts: healthyPodFacts(), codes: ['writable'] }],
    invalid: [
      {
        name: '/tmp on a read-only filesystem',
        facts: withPath('/tmp', (p) => ({ ...p, write: 'denied' })),
        codes: ['denied'],
        expect: details({ mount: '/tmp' }),
      },
      { name: '/tmp does not exist', facts: withPath('/tmp', (p) => ({ ...p, write: 'missing' })), codes: ['missing'] },
      { name: 'the probe reported nothing for /tmp', facts: withPath('/tmp', () => undefined), codes: ['missing'] },
    ],
  }),
  table(tmpExec, {
    valid: [
      {
        name: 'a test script ran from /tmp',
        facts: healthyPodFacts(),
        codes: ['executable'],
        expect: message('/tmp allows execution (a test script ran)'),
      },
      {
        name: 'no noexec option and the script was not run',
        facts: pod((f) => {
          f.filesystem.tmpExecRc = null;
        }),
        codes: ['executable'],
        expect: message('/tmp allows execution'),
      },
    ],
    invalid: [
      {
        name: '/tmp mounted noexec, and the script is refused',
        facts: pod((f) => {
          f.filesystem.tmpExecRc = 126;
          f.filesystem.paths['/tmp'] = {
            write: 'ok',
            mount: { mountPoint: '/tmp', options: ['rw', 'nosuid', 'noexec'], fsType: 'tmpfs', source: 'tmpfs' },
          };
        }),
        codes: ['noexec'],
        expect: message(
          '/tmp is noexec (mount /tmp has option noexec); a script there could not be executed (exit 126)',
        ),
      },
      {
        name: 'noexec inherited from the root mount, script not run',
        facts: pod((f) => {
          f.filesystem.tmpExecRc = null;
          f.filesystem.paths['/tmp'] = {
            write: 'ok',
            mount: { mountPoint: '/', options: ['rw', 'noexec'], fsType: 'overlay', source: 'overlay' },
          };
        }),
        codes: ['noexec'],
        expect: message('/tmp is noexec (mount / has option noexec)'),
      },
      {
        name: 'exit 126 without a noexec option (a policy refuses it)',
        facts: pod((f) => {
          f.filesystem.tmpExecRc = 126;
        }),
        codes: ['noexec'],
        expect: message('/tmp is noexec; a script there could not be executed (exit 126)'),
      },
    ],
  }),
  table(tmpFree, {
    valid: [
      {
        name: '9 GiB free of 10 GiB',
        facts: healthyPodFacts(),
        codes: ['enough'],
        expect: message('/tmp has 9.0 GiB free of 10.0 GiB'),
      },
    ],
    invalid: [
      {
        name: '/tmp nearly full',
        facts: withPath('/tmp', (p) => ({ ...p, sizeKiB: 204800, freeKiB: 800 })),
        codes: ['low'],
        expect: all(
          message('/tmp has 800 KiB free, below the 256 MiB minimum'),
          details({ freeBytes: 800 * 1024, minimumBytes: 256 * 1024 * 1024 }),
        ),
      },
      { name: 'df printed nothing usable', facts: withPath('/tmp', (p) => ({ write: p.write })), codes: ['unknown'] },
    ],
  }),
  table(shmSize, {
    valid: [
      {
        name: 'the default 64 MiB',
        facts: healthyPodFacts(),
        codes: ['enough'],
        expect: message('/dev/shm is 64.0 MiB'),
      },
    ],
    invalid: [
      {
        name: '/dev/shm 16 MiB',
        facts: withPath('/dev/shm', (p) => ({ ...p, sizeKiB: 16384, freeKiB: 16384 })),
        codes: ['small'],
        expect: message('/dev/shm is 16.0 MiB, below 40 MiB'),
      },
      {
        name: '/dev/shm does not exist',
        facts: withPath('/dev/shm', () => undefined),
        codes: ['missing'],
        expect: remediation(/medium: Memory/),
      },
      {
        name: 'the size could not be read',
        facts: withPath('/dev/shm', (p) => ({ write: p.write })),
        codes: ['unknown'],
      },
    ],
  }),
  table(workdirWritable, {
    valid: [{ name: '/home/agentuser is writable', facts: healthyPodFacts(), codes: ['writable'] }],
    invalid: [
      {
        name: 'working directory missing',
        facts: withPath('/home/agentuser', () => undefined),
        codes: ['missing'],
        expect: all(
          message('working directory /home/agentuser does not exist'),
          remediation(/^create \/home\/agentuser in the image/),
        ),
      },
      {
        name: 'working directory read-only',
        facts: withPath('/home/agentuser', (p) => ({ ...p, write: 'denied' })),
        codes: ['denied'],
        expect: remediation(/make \/home\/agentuser writable/),
      },
      {
        name: 'MTLN_EMERALD_WORKING_DIR points at a directory that does not exist',
        facts: pod((f) => {
          f.filesystem.workdir = '/data/agentuser';
          f.filesystem.paths['/data/agentuser'] = { write: 'missing' };
        }),
        codes: ['missing'],
        expect: details({ path: '/data/agentuser' }),
      },
    ],
  }),
  table(rootfsReadonly, {
    valid: [
      {
        name: 'read-only root with writable /tmp and working directory',
        facts: healthyPodFacts(),
        codes: ['read-only'],
      },
      {
        name: 'a writable root (what the chart renders) is information',
        facts: pod((f) => {
          f.filesystem.rootReadOnly = false;
        }),
        codes: ['writable'],
        expect: remediation(/readOnlyRootFilesystem: true/),
      },
      {
        name: 'no mount information',
        facts: pod((f) => {
          f.filesystem.rootReadOnly = null;
        }),
        codes: ['unknown'],
      },
    ],
    invalid: [
      {
        name: 'read-only root and a read-only working directory',
        facts: withPath('/home/agentuser', (p) => ({ ...p, write: 'denied' })),
        codes: ['volumes-not-writable'],
        expect: all(
          message('/ is read-only, but /home/agentuser is not writable: the runner needs writable volumes there'),
          details({ notWritable: ['/home/agentuser'] }),
        ),
      },
      {
        name: 'read-only root without volumes for /tmp and the working directory',
        facts: pod((f) => {
          f.filesystem.paths['/tmp'] = { write: 'denied' };
          f.filesystem.paths['/home/agentuser'] = { write: 'denied' };
        }),
        codes: ['volumes-not-writable'],
        expect: message(
          '/ is read-only, but /tmp and /home/agentuser are not writable: the runner needs writable volumes there',
        ),
      },
    ],
  }),
];
