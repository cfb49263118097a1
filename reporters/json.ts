// JSON reporter: the report document as is — every individual result — plus `groups`, the causes the
// other formats present (reporters/groups.ts: finding codes, member indexes into `results`, the fix);
// bigints, which only live in facts, are rendered as strings.
import type { Report } from '../src/engine/report.ts';
import { causes } from './groups.ts';

export function renderJson(report: Report): string {
  const doc = { ...report, groups: causes(report) };
  return `${JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}
