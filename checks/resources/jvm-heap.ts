import { defineCheck } from '../../src/engine/define.ts';
import { fmtBytes } from '../../src/domain/format.ts';
import { effectiveHeap, heapSetting, type HeapSetting } from '../../src/domain/jvm.ts';

/** Above this share of the limit there is no room left for metaspace, threads and scripts. */
const MAX_SHARE = 90;

/** How the heap size was arrived at, as the message says it. */
function describe(setting: HeapSetting): string {
  if (setting.xmx !== undefined) return `-Xmx ${fmtBytes(setting.xmx)}`;
  if (setting.ramPercent !== undefined) return `MaxRAMPercentage=${setting.ramPercent}`;
  return 'default MaxRAMPercentage=25';
}

export default defineCheck({
  id: 'resources.jvm-heap',
  title: 'JVM heap fits the container memory limit',
  category: 'resources',
  scope: 'pod',
  docs: {
    what: 'Reads -Xmx and -XX:MaxRAMPercentage from the running java process and JAVA_TOOL_OPTIONS / JDK_JAVA_OPTIONS / JAVA_OPTS, and compares the heap with the container memory limit.',
    why: 'The heap is not all a JVM uses (metaspace, threads, direct buffers) and Python scripts share the same limit: a heap near or above the limit ends in OOM kills.',
    fix: 'Keep the heap at or below ~75 % of resources.limits.memory: prefer -XX:MaxRAMPercentage=75 over a fixed -Xmx, or raise the memory limit.',
  },
  needs: ['runtimes', 'cgroup'],
  messages: {
    fits: { status: 'pass', text: 'JVM heap {{heap}} ({{how}}) is {{share}} % of the {{limit}} limit' },
    'no-headroom': {
      status: 'warn',
      text: 'JVM heap ({{how}} → {{heap}}) is {{share}} % of the {{limit}} limit: no room for metaspace, threads and scripts',
    },
    'above-limit': {
      status: 'fail',
      text: 'JVM heap ({{how}} → {{heap}}) is larger than the container memory limit {{limit}}',
    },
    'no-limit': {
      status: 'warn',
      text: "JVM found ({{sources}}) but the container has no memory limit: the default heap is 25 % of the node's memory",
      fix: 'set resources.limits.memory so the JVM sizes its heap from the container',
    },
    'no-jvm': { status: 'skip', text: 'no java process and no JVM options in the environment' },
  },
  judge({ runtimes, cgroup }, { report }) {
    const { jvm } = runtimes;
    if (jvm.length === 0) return report('no-jvm');
    // One setting over every source, the last occurrence winning as on a JVM command line.
    const setting = heapSetting(jvm.flatMap((j) => j.flags));
    const sources = jvm.map((j) => j.source);
    const flags = { xmxBytes: setting.xmx, maxRamPercentage: setting.ramPercent };
    const limit = cgroup.memoryLimit;
    if (limit === null) return report('no-limit', { sources: sources.join(', ') }, { details: flags });

    const heap = effectiveHeap(setting, limit).bytes;
    const share = Math.round((heap / limit) * 100);
    const vars = { how: describe(setting), heap: fmtBytes(heap), limit: fmtBytes(limit), share };
    const details = { heapBytes: heap, limitBytes: limit, heapPercentOfLimit: share, ...flags, sources };
    if (heap > limit) return report('above-limit', vars, { details });
    return report(share > MAX_SHARE ? 'no-headroom' : 'fits', vars, { details });
  },
});
