import { defineCheck, fail, pass, skip } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'resources.oom-kills',
  title: 'No OOM kills in the container',
  category: 'resources',
  scope: 'pod',
  severity: 'fail',
  tags: ['cgroup'],
  docs: {
    what: 'Reads the oom_kill counter of the container\'s cgroup (v2 memory.events, v1 memory.oom_control).',
    why: 'Any OOM kill means a process in the runner (often a Python script or the JVM itself) was killed for memory: tasks were lost.',
    fix: 'Raise resources.limits.memory (a larger runnerSize), lower the JVM heap share, or make the scripts use less memory.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const { cgroup } = await fact('probe');
    if (cgroup.oomKills === null) return skip(`not applicable: the kernel does not expose an oom_kill counter here (cgroup ${cgroup.version === "none" ? "none" : `v${cgroup.version}`})`);
    if (cgroup.oomKills > 0) return fail(`${cgroup.oomKills} OOM kill(s) recorded in this container's cgroup`, { details: { oomKills: cgroup.oomKills } });
    return pass('no OOM kills recorded', { details: { oomKills: 0 } });
  },
});
