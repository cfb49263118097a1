import { defineCheck } from '../../src/engine/define.ts';

/** vm.overcommit_memory: 0 heuristic (the default), 1 always, 2 strict accounting. */
const STRICT = 2;

export default defineCheck({
  id: 'resources.overcommit',
  title: 'vm.overcommit_memory allows the JVM to reserve memory',
  category: 'resources',
  scope: 'pod',
  docs: {
    what: 'Reads /proc/sys/vm/overcommit_memory.',
    why: 'With strict accounting (2) the JVM\'s large virtual reservations and Python forks fail with "Cannot allocate memory" long before memory is really used.',
    fix: 'Use nodes with vm.overcommit_memory 0 (the default) or 1; it is a node setting, not a pod one.',
  },
  needs: ['kernel'],
  messages: {
    allowed: { status: 'pass', text: 'vm.overcommit_memory is {{value}} ({{mode}})' },
    strict: {
      status: 'warn',
      text: 'vm.overcommit_memory is 2 (strict): JVM reservations and forks can fail with "Cannot allocate memory"',
    },
    unknown: { status: 'info', text: 'could not read vm.overcommit_memory' },
  },
  judge({ kernel }, { report }) {
    const value = kernel.overcommitMemory;
    if (value === null) return report('unknown');
    const details = { overcommitMemory: value };
    if (value === STRICT) return report('strict', {}, { details });
    return report('allowed', { value, mode: value === 0 ? 'heuristic, the default' : 'always' }, { details });
  },
});
