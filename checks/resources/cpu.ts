import { defineCheck, info, pass } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'resources.cpu',
  title: 'Container CPU quota',
  category: 'resources',
  scope: 'pod',
  severity: 'warn',
  tags: ['cgroup'],
  docs: {
    what: 'Reads the CPU quota (v2 cpu.max, v1 cpu.cfs_quota_us / cpu.cfs_period_us).',
    why: 'The chart sets a CPU limit per runnerSize; none at all means the runner competes freely with its neighbours, and the JVM sizes its thread pools from the node.',
    fix: 'Set resources.limits.cpu per the chart\'s runnerSize table.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const { cgroup } = await fact('probe');
    if (cgroup.cpuQuotaCores === null) return info(`no CPU quota (cgroup ${cgroup.version === "none" ? "none" : `v${cgroup.version}`}): CPU is limited only by the node`, { remediation: 'set resources.limits.cpu on the runner container per runnerSize' });
    return pass(`CPU quota ${cgroup.cpuQuotaCores.toFixed(2)} cores`, { details: { cpuQuotaCores: cgroup.cpuQuotaCores } });
  },
});
