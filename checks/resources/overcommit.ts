import { defineCheck, info, pass, warn } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'resources.overcommit',
  title: 'vm.overcommit_memory allows the JVM to reserve memory',
  category: 'resources',
  scope: 'pod',
  severity: 'warn',
  docs: {
    what: 'Reads /proc/sys/vm/overcommit_memory.',
    why: 'With strict accounting (2) the JVM\'s large virtual reservations and Python forks fail with "Cannot allocate memory" long before memory is really used.',
    fix: 'Use nodes with vm.overcommit_memory 0 (the default) or 1; it is a node setting, not a pod one.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const { overcommitMemory: v } = await fact('probe');
    if (v === null) return info('could not read vm.overcommit_memory');
    if (v === 2) return warn('vm.overcommit_memory is 2 (strict): JVM reservations and forks can fail with "Cannot allocate memory"', { details: { overcommitMemory: v } });
    return pass(`vm.overcommit_memory is ${v}${v === 0 ? ' (heuristic, the default)' : ' (always)'}`, { details: { overcommitMemory: v } });
  },
});
