import { defineCheck } from '../../src/engine/define.ts';
import { RUNNER_SIZES } from '../../src/domain/chart.ts';

/** The smallest runnerSize: a quota below the CPU it requests throttles the runner whatever its load. */
const SMALLEST = RUNNER_SIZES[0];
const MIN_CORES = SMALLEST.req.cpu;

export default defineCheck({
  id: 'resources.cpu',
  title: 'Container CPU quota',
  category: 'resources',
  scope: 'pod',
  tags: ['cgroup'],
  docs: {
    what: 'Reads the CPU quota (v2 cpu.max, v1 cpu.cfs_quota_us / cpu.cfs_period_us).',
    why: 'The chart sets a CPU limit per runnerSize; none at all means the runner competes freely with its neighbours, and the JVM sizes its thread pools from the node.',
    fix: "Set resources.limits.cpu per the chart's runnerSize table.",
  },
  needs: ['cgroup'],
  messages: {
    quota: { status: 'pass', text: 'CPU quota {{cores}} cores' },
    'no-quota': {
      status: 'info',
      text: 'no CPU quota (cgroup {{cgroup}}): CPU is limited only by the node',
      fix: 'set resources.limits.cpu on the runner container per runnerSize',
    },
    'below-minimum': {
      status: 'warn',
      text: 'CPU quota {{cores}} cores is below the {{minimum}} core(s) the smallest runnerSize requests: the JVM and every task share less than that and are throttled',
      fix: `set resources.limits.cpu to at least {{minimum}} per the chart's runnerSize table (${SMALLEST.name}: ${SMALLEST.lim.cpu} cores)`,
    },
  },
  judge({ cgroup }, { report }) {
    const cores = cgroup.cpuQuotaCores;
    if (cores === null)
      return report('no-quota', { cgroup: cgroup.version === 'none' ? 'none' : `v${cgroup.version}` });
    const details = { cpuQuotaCores: cores };
    if (cores < MIN_CORES)
      return report(
        'below-minimum',
        { cores: cores.toFixed(2), minimum: MIN_CORES },
        { details: { ...details, minimumCores: MIN_CORES } },
      );
    return report('quota', { cores: cores.toFixed(2) }, { details });
  },
});
