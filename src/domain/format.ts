// Numbers as people read them in messages.
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function fmtBytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${UNITS[i]}`;
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

/** A share in per cent with one decimal. */
export const pct = (part: number, whole: number): number => Math.round((part / whole) * 1000) / 10;

/** `a, b and c`. */
export function listOf(items: readonly string[], max = items.length): string {
  const shown = items.slice(0, max);
  const more = items.length - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} more`;
  if (shown.length <= 1) return shown.join('');
  return `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}
