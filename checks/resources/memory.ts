import { defineCheck, fmtBytes, pass, pct, warn, fail } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'resources.memory',
  title: 'Container memory limit and usage',
  category: 'resources',
  scope: 'pod',
  severity: 'warn',
  tags: ['cgroup'],
  docs: {
    what: 'Reads the effective cgroup memory limit (v2 memory.max, v1 memory.limit_in_bytes; the smallest along the cgroup path) and current usage.',
    why: 'Without a limit, the JVM sizes its heap from the node and the pod is evicted first under node pressure; at 80 % of the limit a spike ends in an OOM kill and lost tasks.',
    fix: 'Set resources.limits.memory per the chart\'s runnerSize table; if usage is high, choose a larger runnerSize or add replicas.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const { cgroup } = await fact('probe');
    if (cgroup.version === 'none') return warn('no cgroup filesystem found: cannot read memory limits', { remediation: 'mount /sys/fs/cgroup (container runtimes do by default)' });
    const details = { cgroupVersion: cgroup.version, limitBytes: cgroup.memoryLimit, usageBytes: cgroup.memoryUsage };
    if (cgroup.memoryLimit === null) return warn(`no memory limit (cgroup v${cgroup.version}): the JVM sizes its heap from the node and the pod can starve its neighbours`, { details, remediation: 'set resources.limits.memory on the runner container (e.g. 4Gi for runnerSize small)' });
    if (cgroup.memoryUsage === null) return pass(`memory limit ${fmtBytes(cgroup.memoryLimit)} (usage unknown)`, { details });
    const used = pct(cgroup.memoryUsage, cgroup.memoryLimit);
    const msg = `${fmtBytes(cgroup.memoryUsage)} of ${fmtBytes(cgroup.memoryLimit)} used (${used} %)`;
    if (used >= 95) return fail(`${msg}: about to be OOM-killed`, { details: { ...details, usedPercent: used }, remediation: 'raise resources.limits.memory (a larger runnerSize) or spread load over more replicas' });
    if (used >= 80) return warn(`${msg}: at or above 80 %`, { details: { ...details, usedPercent: used }, remediation: 'raise resources.limits.memory (a larger runnerSize) or spread load over more replicas' });
    return pass(msg, { details: { ...details, usedPercent: used } });
  },
});
