import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'resources.oom-kills',
  title: 'No OOM kills in the container',
  category: 'resources',
  scope: 'pod',
  tags: ['cgroup'],
  docs: {
    what: "Reads the oom_kill counter of the container's cgroup (v2 memory.events, v1 memory.oom_control).",
    why: 'Any OOM kill means a process in the runner (often a Python script or the JVM itself) was killed for memory: tasks were lost.',
    fix: 'Raise resources.limits.memory (a larger runnerSize), lower the JVM heap share, or make the scripts use less memory.',
  },
  needs: ['cgroup'],
  messages: {
    none: { status: 'pass', text: 'no OOM kills recorded' },
    killed: { status: 'fail', text: "{{count}} OOM kill(s) recorded in this container's cgroup" },
    'no-counter': { status: 'skip', text: 'the kernel does not expose an oom_kill counter here (cgroup {{cgroup}})' },
  },
  judge({ cgroup }, { report }) {
    const count = cgroup.oomKills;
    if (count === null)
      return report('no-counter', { cgroup: cgroup.version === 'none' ? 'none' : `v${cgroup.version}` });
    if (count > 0) return report('killed', { count }, { details: { oomKills: count } });
    return report('none', {}, { details: { oomKills: 0 } });
  },
});
