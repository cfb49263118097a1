import { defineCheck, fail, fmtBytes, pass, skip, warn } from '../../src/engine/define.ts';

/** Parses -Xmx4g / -Xmx4096m / -Xmx4294967296 into bytes. */
export function parseJvmSize(s: string): number | null {
  const m = s.match(/^(\d+)([kKmMgGtT]?)$/);
  if (!m?.[1]) return null;
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Number(m[1]) * (mult[(m[2] ?? '').toLowerCase()] ?? 1);
}

export default defineCheck({
  id: 'resources.jvm-heap',
  title: 'JVM heap fits the container memory limit',
  category: 'resources',
  scope: 'pod',
  severity: 'warn',
  docs: {
    what: 'Reads -Xmx and -XX:MaxRAMPercentage from the running java process and JAVA_TOOL_OPTIONS / JDK_JAVA_OPTIONS / JAVA_OPTS, and compares the heap with the container memory limit.',
    why: 'The heap is not all a JVM uses (metaspace, threads, direct buffers) and Python scripts share the same limit: a heap near or above the limit ends in OOM kills.',
    fix: 'Keep the heap at or below ~75 % of resources.limits.memory: prefer -XX:MaxRAMPercentage=75 over a fixed -Xmx, or raise the memory limit.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const { jvm, cgroup } = await fact('probe');
    const flags = jvm.flatMap((j) => j.flags);
    if (jvm.length === 0) return skip('not applicable: no java process and no JVM options in the environment');
    // The last occurrence wins for the JVM, as on its command line.
    const xmx = flags.filter((f) => f.startsWith('-Xmx')).map((f) => parseJvmSize(f.slice(4))).filter((n): n is number => n !== null).at(-1);
    const pctFlag = flags.filter((f) => f.startsWith('-XX:MaxRAMPercentage=')).map((f) => Number(f.split('=')[1])).filter((n) => Number.isFinite(n)).at(-1);
    const limit = cgroup.memoryLimit;
    const sources = jvm.map((j) => j.source);
    if (limit === null) {
      return warn(`JVM found (${sources.join(', ')}) but the container has no memory limit: the default heap is 25 % of the node's memory`, { details: { xmxBytes: xmx, maxRamPercentage: pctFlag }, remediation: 'set resources.limits.memory so the JVM sizes its heap from the container' });
    }
    const heap = xmx ?? (limit * (pctFlag ?? 25)) / 100;
    const how = xmx !== undefined ? `-Xmx ${fmtBytes(xmx)}` : pctFlag !== undefined ? `MaxRAMPercentage=${pctFlag}` : 'default MaxRAMPercentage=25';
    const share = Math.round((heap / limit) * 100);
    const details = { heapBytes: heap, limitBytes: limit, heapPercentOfLimit: share, xmxBytes: xmx, maxRamPercentage: pctFlag, sources };
    if (heap > limit) return fail(`JVM heap (${how} → ${fmtBytes(heap)}) is larger than the container memory limit ${fmtBytes(limit)}`, { details });
    if (share > 90) return warn(`JVM heap (${how} → ${fmtBytes(heap)}) is ${share} % of the ${fmtBytes(limit)} limit: no room for metaspace, threads and scripts`, { details });
    return pass(`JVM heap ${fmtBytes(heap)} (${how}) is ${share} % of the ${fmtBytes(limit)} limit`, { details });
  },
});
