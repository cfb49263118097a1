import { defineCheck } from '../../src/engine/define.ts';
import { fmtBytes, pct } from '../../src/domain/format.ts';

const WARN_PERCENT = 80;
const FAIL_PERCENT = 95;
const RAISE_LIMIT = 'raise resources.limits.memory (a larger runnerSize) or spread load over more replicas';

export default defineCheck({
  id: 'resources.memory',
  title: 'Container memory limit and usage',
  category: 'resources',
  scope: 'pod',
  tags: ['cgroup'],
  docs: {
    what: 'Reads the effective cgroup memory limit (v2 memory.max, v1 memory.limit_in_bytes; the smallest along the cgroup path) and current usage.',
    why: 'Without a limit, the JVM sizes its heap from the node and the pod is evicted first under node pressure; at 80 % of the limit a spike ends in an OOM kill and lost tasks.',
    fix: "Set resources.limits.memory per the chart's runnerSize table; if usage is high, choose a larger runnerSize or add replicas.",
  },
  needs: ['cgroup'],
  messages: {
    ok: { status: 'pass', text: '{{usage}} of {{limit}} used ({{percent}} %)' },
    'usage-unknown': { status: 'pass', text: 'memory limit {{limit}} (usage unknown)' },
    high: { status: 'warn', text: '{{usage}} of {{limit}} used ({{percent}} %): at or above 80 %', fix: RAISE_LIMIT },
    'near-oom': {
      status: 'fail',
      text: '{{usage}} of {{limit}} used ({{percent}} %): about to be OOM-killed',
      fix: RAISE_LIMIT,
    },
    'no-limit': {
      status: 'warn',
      text: 'no memory limit (cgroup v{{version}}): the JVM sizes its heap from the node and the pod can starve its neighbours',
      fix: 'set resources.limits.memory on the runner container (e.g. 4Gi for runnerSize small)',
    },
    'no-cgroup': {
      status: 'warn',
      text: 'no cgroup filesystem found: cannot read memory limits',
      fix: 'mount /sys/fs/cgroup (container runtimes do by default)',
    },
  },
  judge({ cgroup }, { report }) {
    if (cgroup.version === 'none') return report('no-cgroup');
    const limit = cgroup.memoryLimit;
    const usage = cgroup.memoryUsage;
    const details = { cgroupVersion: cgroup.version, limitBytes: limit, usageBytes: usage };
    if (limit === null) return report('no-limit', { version: cgroup.version }, { details });
    if (usage === null) return report('usage-unknown', { limit: fmtBytes(limit) }, { details });
    const percent = pct(usage, limit);
    const level = percent >= FAIL_PERCENT ? 'near-oom' : percent >= WARN_PERCENT ? 'high' : 'ok';
    return report(
      level,
      { usage: fmtBytes(usage), limit: fmtBytes(limit), percent },
      { details: { ...details, usedPercent: percent } },
    );
  },
});
