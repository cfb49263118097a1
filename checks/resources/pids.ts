import { defineCheck } from '../../src/engine/define.ts';
import { pct } from '../../src/domain/format.ts';

const WARN_PERCENT = 80;

export default defineCheck({
  id: 'resources.pids',
  title: 'Process (pids) limit and usage',
  category: 'resources',
  scope: 'pod',
  tags: ['cgroup'],
  docs: {
    what: "Reads pids.max and pids.current of the container's cgroup.",
    why: 'Every task thread and script process counts; at the pids limit new threads fail with "unable to create native thread" or "fork: Resource temporarily unavailable".',
    fix: 'Raise the kubelet podPidsLimit (node configuration) or run fewer concurrent tasks per pod.',
  },
  needs: ['cgroup'],
  messages: {
    ok: { status: 'pass', text: '{{current}} of {{limit}} pids in use ({{percent}} %)' },
    'usage-unknown': { status: 'pass', text: 'pids limit {{limit}}' },
    'no-limit': { status: 'info', text: 'no pids limit on this container' },
    high: { status: 'warn', text: '{{current}} of {{limit}} pids in use ({{percent}} %)' },
  },
  judge({ cgroup }, { report }) {
    const limit = cgroup.pidsLimit;
    const current = cgroup.pidsCurrent;
    if (limit === null) return report('no-limit', {}, { details: { pidsCurrent: current } });
    const details = { pidsLimit: limit, pidsCurrent: current };
    if (current === null) return report('usage-unknown', { limit }, { details });
    const percent = pct(current, limit);
    return report(percent >= WARN_PERCENT ? 'high' : 'ok', { current, limit, percent }, { details });
  },
});
