// JVM heap options, read the same way from a running java process's flags (in-pod) and from the
// literal JVM option variables of a pod spec (cluster): the last occurrence wins, as on a command line.

/** Variables the JVM reads its options from. */
export const JAVA_OPTION_VARS = ['JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS', 'JAVA_OPTS', '_JAVA_OPTIONS'] as const;

const UNIT: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `4g`, `4096m`, `4294967296` as bytes, or null. */
export function parseJvmSize(s: string): number | null {
  const m = s.match(/^(\d+)([kKmMgGtT]?)$/);
  if (!m?.[1]) return null;
  return Number(m[1]) * (UNIT[(m[2] ?? '').toLowerCase()] ?? 1);
}

export interface HeapSetting {
  /** -Xmx / -XX:MaxHeapSize in bytes. */
  xmx?: number;
  /** -XX:MaxRAMPercentage. */
  ramPercent?: number;
}

/** The heap settings in a list of JVM flags (or whitespace-separated option strings). */
export function heapSetting(flags: readonly string[]): HeapSetting {
  const out: HeapSetting = {};
  for (const f of flags.flatMap((x) => x.split(/\s+/)).filter(Boolean)) {
    const x = f.match(/^-(?:Xmx|XX:MaxHeapSize=)(.+)$/);
    const size = x?.[1] ? parseJvmSize(x[1]) : null;
    if (size !== null) out.xmx = size;
    const p = f.match(/^-XX:MaxRAMPercentage=(\d+(?:\.\d+)?)$/);
    if (p) out.ramPercent = Number(p[1]);
  }
  return out;
}

/** The heap a JVM gets under a memory limit: -Xmx, else MaxRAMPercentage (default 25 %) of the limit. */
export function effectiveHeap(
  setting: HeapSetting,
  limitBytes: number,
): { bytes: number; how: 'xmx' | 'percent' | 'default' } {
  if (setting.xmx !== undefined) return { bytes: setting.xmx, how: 'xmx' };
  if (setting.ramPercent !== undefined) return { bytes: (limitBytes * setting.ramPercent) / 100, how: 'percent' };
  return { bytes: limitBytes * 0.25, how: 'default' };
}
