import { defineCheck, info, pass, pct, warn } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'resources.pids',
  title: 'Process (pids) limit and usage',
  category: 'resources',
  scope: 'pod',
  severity: 'warn',
  tags: ['cgroup'],
  docs: {
    what: 'Reads pids.max and pids.current of the container\'s cgroup.',
    why: 'Every task thread and script process counts; at the pids limit new threads fail with "unable to create native thread" or "fork: Resource temporarily unavailable".',
    fix: 'Raise the kubelet podPidsLimit (node configuration) or run fewer concurrent tasks per pod.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const { cgroup } = await fact('probe');
    if (cgroup.pidsLimit === null) return info('no pids limit on this container', { details: { pidsCurrent: cgroup.pidsCurrent } });
    const details = { pidsLimit: cgroup.pidsLimit, pidsCurrent: cgroup.pidsCurrent };
    if (cgroup.pidsCurrent === null) return pass(`pids limit ${cgroup.pidsLimit}`, { details });
    const used = pct(cgroup.pidsCurrent, cgroup.pidsLimit);
    if (used >= 80) return warn(`${cgroup.pidsCurrent} of ${cgroup.pidsLimit} pids in use (${used} %)`, { details });
    return pass(`${cgroup.pidsCurrent} of ${cgroup.pidsLimit} pids in use (${used} %)`, { details });
  },
});
