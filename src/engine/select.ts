// --only / --skip: a selector is a check id, a category, a tag, or an id prefix ending in `*`.
import type { AnyCheck as CheckDef } from './types.ts';

export function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

export function matchesSelector(check: CheckDef, sel: string): boolean {
  if (sel.endsWith('*')) return check.id.startsWith(sel.slice(0, -1));
  return check.id === sel || check.category === sel || (check.tags ?? []).includes(sel) || check.scope === sel;
}

export interface Selection {
  checks: CheckDef[];
  /** Selectors that matched no check at all: almost always a typo. */
  unknown: string[];
}

export function selectChecks(all: readonly CheckDef[], only: readonly string[], skip: readonly string[]): Selection {
  const unknown = [...only, ...skip].filter((s) => !all.some((c) => matchesSelector(c, s)));
  const checks = all.filter(
    (c) => (only.length === 0 || only.some((s) => matchesSelector(c, s))) && !skip.some((s) => matchesSelector(c, s)),
  );
  return { checks, unknown };
}
