// JSON reporter: the report document as is (bigints, which only live in facts, are rendered as strings).
import type { Report } from '../src/engine/report.ts';

export function renderJson(report: Report): string {
  return `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}
