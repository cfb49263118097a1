import cpu from '../../../checks/resources/cpu.ts';
import jvmHeap from '../../../checks/resources/jvm-heap.ts';
import memory from '../../../checks/resources/memory.ts';
import oomKills from '../../../checks/resources/oom-kills.ts';
import overcommit from '../../../checks/resources/overcommit.ts';
import pids from '../../../checks/resources/pids.ts';
import ulimits from '../../../checks/resources/ulimits.ts';
import type { CgroupFact } from '../../../src/engine/facts.ts';
import { table } from '../../helpers/check-table.ts';
import { all, details, message, pod, remediation } from './fixtures-pod.ts';
import { healthyPodFacts } from './fixtures.ts';

const GiB = 1024 ** 3;

const withCgroup = (over: Partial<CgroupFact>) =>
  pod((f) => {
    f.cgroup = { ...f.cgroup, ...over };
  });

/** No cgroup filesystem at all: what the probe reports on a bare host. */
const noCgroup: CgroupFact = {
  version: 'none',
  memoryLimit: null,
  memoryUsage: null,
  oomKills: null,
  cpuQuotaCores: null,
  pidsLimit: null,
  pidsCurrent: null,
};

const withJvm = (jvm: { source: string; flags: string[] }[], limit: number | null = 4 * GiB) =>
  pod((f) => {
    f.runtimes.jvm = jvm;
    f.cgroup.memoryLimit = limit;
  });

export const tables = [
  table(memory, {
    valid: [
      {
        name: '1.2 GiB of a 4 GiB limit',
        facts: healthyPodFacts(),
        codes: ['ok'],
        expect: message('1.2 GiB of 4.0 GiB used (30 %)'),
      },
      {
        name: 'cgroup v1 limits from the controller roots',
        facts: withCgroup({ version: 1, memoryLimit: 8 * GiB, memoryUsage: 2 * GiB }),
        codes: ['ok'],
        expect: all(message('2.0 GiB of 8.0 GiB used (25 %)'), details({ cgroupVersion: 1, usedPercent: 25 })),
      },
      {
        name: 'a limit, usage unreadable',
        facts: withCgroup({ memoryUsage: null }),
        codes: ['usage-unknown'],
        expect: message('memory limit 4.0 GiB (usage unknown)'),
      },
    ],
    invalid: [
      {
        name: 'no memory limit (v2)',
        facts: withCgroup({ memoryLimit: null }),
        codes: ['no-limit'],
        expect: all(message(/^no memory limit \(cgroup v2\)/), remediation(/4Gi for runnerSize small/)),
      },
      {
        name: 'no memory limit (v1)',
        facts: withCgroup({ version: 1, memoryLimit: null }),
        codes: ['no-limit'],
        expect: message(/^no memory limit \(cgroup v1\)/),
      },
      {
        name: '85 % of the limit used',
        facts: withCgroup({ memoryUsage: Math.round(4 * GiB * 0.85) }),
        codes: ['high'],
        expect: message('3.4 GiB of 4.0 GiB used (85 %): at or above 80 %'),
      },
      {
        name: '97 % of the limit used',
        facts: withCgroup({ memoryLimit: 1_000_000, memoryUsage: 970_000 }),
        codes: ['near-oom'],
        expect: message(/\(97 %\): about to be OOM-killed$/),
      },
      { name: 'no cgroup filesystem', facts: withCgroup(noCgroup), codes: ['no-cgroup'] },
    ],
  }),
  table(oomKills, {
    valid: [
      { name: 'no OOM kills', facts: healthyPodFacts(), codes: ['none'] },
      {
        name: 'no cgroup filesystem: not applicable',
        facts: withCgroup(noCgroup),
        codes: ['no-counter'],
        expect: message('the kernel does not expose an oom_kill counter here (cgroup none)'),
      },
      {
        name: 'cgroup v1 without a counter',
        facts: withCgroup({ version: 1, oomKills: null }),
        codes: ['no-counter'],
        expect: message(/\(cgroup v1\)$/),
      },
    ],
    invalid: [
      {
        name: '3 OOM kills (v2)',
        facts: withCgroup({ oomKills: 3 }),
        codes: ['killed'],
        expect: all(message("3 OOM kill(s) recorded in this container's cgroup"), details({ oomKills: 3 })),
      },
      { name: '1 OOM kill (v1)', facts: withCgroup({ version: 1, oomKills: 1 }), codes: ['killed'] },
    ],
  }),
  table(cpu, {
    valid: [
      {
        name: 'the chart limit for small: 2 cores',
        facts: healthyPodFacts(),
        codes: ['quota'],
        expect: message('CPU quota 2.00 cores'),
      },
      {
        name: 'cgroup v1 quota of 4 cores',
        facts: withCgroup({ version: 1, cpuQuotaCores: 4 }),
        codes: ['quota'],
        expect: message('CPU quota 4.00 cores'),
      },
      {
        name: 'no CPU quota is information',
        facts: withCgroup({ cpuQuotaCores: null }),
        codes: ['no-quota'],
        expect: all(
          message('no CPU quota (cgroup v2): CPU is limited only by the node'),
          remediation(/resources\.limits\.cpu/),
        ),
      },
    ],
    invalid: [
      {
        name: 'half a core',
        facts: withCgroup({ cpuQuotaCores: 0.5 }),
        codes: ['below-minimum'],
        expect: all(
          message(/^CPU quota 0\.50 cores is below the 1 core\(s\)/),
          remediation(/at least 1 per the chart's runnerSize table \(small: 2 cores\)/),
        ),
      },
    ],
  }),
  table(pids, {
    valid: [
      {
        name: '180 of 4096',
        facts: healthyPodFacts(),
        codes: ['ok'],
        expect: message('180 of 4096 pids in use (4.4 %)'),
      },
      {
        name: 'a limit, usage unreadable',
        facts: withCgroup({ pidsCurrent: null }),
        codes: ['usage-unknown'],
        expect: message('pids limit 4096'),
      },
      {
        name: 'no pids limit is information',
        facts: withCgroup({ pidsLimit: null }),
        codes: ['no-limit'],
        expect: details({ pidsCurrent: 180 }),
      },
    ],
    invalid: [
      {
        name: 'pids nearly exhausted',
        facts: withCgroup({ pidsCurrent: 3900 }),
        codes: ['high'],
        expect: message('3900 of 4096 pids in use (95.2 %)'),
      },
    ],
  }),
  table(jvmHeap, {
    valid: [
      {
        name: 'MaxRAMPercentage=75 of 4 GiB',
        facts: healthyPodFacts(),
        codes: ['fits'],
        expect: all(
          message('JVM heap 3.0 GiB (MaxRAMPercentage=75) is 75 % of the 4.0 GiB limit'),
          details({ heapPercentOfLimit: 75, maxRamPercentage: 75, sources: ['JAVA_TOOL_OPTIONS'] }),
        ),
      },
      {
        name: 'no heap flags: the default 25 %',
        facts: withJvm([{ source: 'pid 1', flags: ['-Dfoo=bar'] }]),
        codes: ['fits'],
        expect: message('JVM heap 1.0 GiB (default MaxRAMPercentage=25) is 25 % of the 4.0 GiB limit'),
      },
      {
        name: 'the last -Xmx wins across sources (an option string and the process flags)',
        facts: withJvm([
          { source: 'JAVA_TOOL_OPTIONS', flags: ['-Xmx8g -XX:+UseG1GC'] },
          { source: 'pid 1', flags: ['-Xmx2g'] },
        ]),
        codes: ['fits'],
        expect: all(
          message('JVM heap 2.0 GiB (-Xmx 2.0 GiB) is 50 % of the 4.0 GiB limit'),
          details({ xmxBytes: 2 * GiB, heapPercentOfLimit: 50 }),
        ),
      },
      { name: 'no java process and no JVM options', facts: withJvm([]), codes: ['no-jvm'] },
    ],
    invalid: [
      {
        name: '-Xmx above the limit',
        facts: withJvm([{ source: 'JAVA_TOOL_OPTIONS', flags: ['-Xmx8g'] }]),
        codes: ['above-limit'],
        expect: message('JVM heap (-Xmx 8.0 GiB → 8.0 GiB) is larger than the container memory limit 4.0 GiB'),
      },
      {
        name: '-XX:MaxHeapSize above the limit',
        facts: withJvm([{ source: 'pid 1', flags: ['-XX:MaxHeapSize=6144m'] }]),
        codes: ['above-limit'],
      },
      {
        name: 'MaxRAMPercentage 95',
        facts: withJvm([{ source: 'JAVA_TOOL_OPTIONS', flags: ['-XX:MaxRAMPercentage=95'] }]),
        codes: ['no-headroom'],
        expect: all(
          message(/is 95 % of the 4\.0 GiB limit: no room for metaspace/),
          details({ heapPercentOfLimit: 95 }),
        ),
      },
      {
        name: 'a JVM without a memory limit',
        facts: withJvm([{ source: 'pid 1', flags: [] }], null),
        codes: ['no-limit'],
        expect: message(/^JVM found \(pid 1\) but the container has no memory limit/),
      },
    ],
  }),
  table(overcommit, {
    valid: [
      {
        name: 'heuristic (0)',
        facts: healthyPodFacts(),
        codes: ['allowed'],
        expect: message('vm.overcommit_memory is 0 (heuristic, the default)'),
      },
      {
        name: 'always (1)',
        facts: pod((f) => {
          f.kernel.overcommitMemory = 1;
        }),
        codes: ['allowed'],
        expect: message('vm.overcommit_memory is 1 (always)'),
      },
      {
        name: 'unreadable',
        facts: pod((f) => {
          f.kernel.overcommitMemory = null;
        }),
        codes: ['unknown'],
      },
    ],
    invalid: [
      {
        name: 'strict overcommit (2)',
        facts: pod((f) => {
          f.kernel.overcommitMemory = 2;
        }),
        codes: ['strict'],
        expect: details({ overcommitMemory: 2 }),
      },
    ],
  }),
  table(ulimits, {
    valid: [
      {
        name: 'generous limits',
        facts: healthyPodFacts(),
        codes: ['ok'],
        expect: all(
          message('open files 1048576, processes unlimited'),
          details({ nproc: { soft: 'unlimited', hard: 'unlimited' } }),
        ),
      },
      {
        name: 'only nofile readable',
        facts: pod((f) => {
          f.kernel.ulimits.nproc = null;
        }),
        codes: ['ok'],
        expect: message('open files 1048576, processes unknown'),
      },
      {
        name: '/proc/self/limits unreadable',
        facts: pod((f) => {
          f.kernel.ulimits = { nofile: null, nproc: null };
        }),
        codes: ['unknown'],
      },
    ],
    invalid: [
      {
        name: 'nofile 1024',
        facts: pod((f) => {
          f.kernel.ulimits.nofile = { soft: 1024, hard: 4096 };
        }),
        codes: ['low'],
        expect: message('ulimits too low: open files 1024 < 4096'),
      },
      {
        name: 'both low',
        facts: pod((f) => {
          f.kernel.ulimits = { nofile: { soft: 256, hard: 'unlimited' }, nproc: { soft: 512, hard: 512 } };
        }),
        codes: ['low'],
        expect: message('ulimits too low: open files 256 < 4096, processes 512 < 1024'),
      },
    ],
  }),
];
