// Plain text: one line per check under its category, a summary, then numbered remediation steps.
// Stable order, no ANSI unless `color` is asked for (the interactive reporter reuses this with colour).
import type { Report } from '../src/engine/report.ts';
import type { CheckResult, Status } from '../src/engine/types.ts';
import { cleanText } from '../src/redact/redact.ts';

export const SYMBOL: Record<Status, string> = { pass: '✔', info: 'ℹ', warn: '‼', fail: '✖', error: '⁉', skip: '○' };
const COLOR: Record<Status, string> = { pass: '32', info: '36', warn: '33', fail: '31', error: '35', skip: '90' };

export interface PlainOptions {
  color?: boolean;
}

export function paint(on: boolean | undefined, code: string, s: string): string {
  return on ? `\u001b[${code}m${s}\u001b[0m` : s;
}

/** ` [target]`, or nothing: `local` is implicit in a --local run, where only egress endpoints are named. */
const targetTag = (r: CheckResult, show: boolean) => (show && r.target !== 'local' ? ` [${r.target}]` : '');

export function resultLine(r: CheckResult, showTarget: boolean, color?: boolean): string {
  const target = targetTag(r, showTarget);
  return `  ${paint(color, COLOR[r.status], SYMBOL[r.status])} ${r.checkId}${target}  ${paint(color && r.status === 'skip', '90', cleanText(r.message))}`;
}

export function summaryLine(report: Report): string {
  const c = report.summary.counts;
  const parts = [
    `${c.pass} passed`,
    `${c.info} info`,
    `${c.warn} warnings`,
    `${c.fail} failed`,
    `${c.error} errors`,
    `${c.skip} skipped`,
  ];
  return `Summary: ${parts.join(', ')} (${report.summary.total} results in ${(report.durationMs / 1000).toFixed(1)} s)`;
}

export function remediationSteps(report: Report, showTarget: boolean, color?: boolean): string[] {
  const todo = report.results.filter((r) => r.status === 'fail' || r.status === 'error' || r.status === 'warn');
  const rank: Record<string, number> = { fail: 0, error: 1, warn: 2 };
  todo.sort((a, b) => (rank[a.status] ?? 3) - (rank[b.status] ?? 3));
  const out: string[] = [];
  todo.forEach((r, i) => {
    out.push(
      `${String(i + 1).padStart(3)}. ${paint(color, COLOR[r.status], `[${r.status.toUpperCase()}]`)} ${r.checkId}${targetTag(r, showTarget)}: ${cleanText(r.message)}`,
    );
    if (r.remediation) {
      out.push(`       → ${r.remediation.text}`);
      if (r.remediation.command) out.push(`         $ ${r.remediation.command}`);
      if (r.remediation.docs) out.push(`         docs: ${r.remediation.docs} (or: runner-doctor explain ${r.checkId})`);
    }
  });
  return out;
}

export function renderPlain(report: Report, opts: PlainOptions = {}): string {
  const color = opts.color;
  const showTarget = new Set(report.results.map((r) => r.target)).size > 1 || report.target.mode === 'cluster';
  const lines: string[] = [`runner-doctor ${report.tool.version} — ${report.target.description}`, ''];
  if (report.fatal) {
    lines.push(paint(color, '31', `✖ could not run: ${report.fatal.message}`), `  → ${report.fatal.remediation}`, '');
  }
  let category = '';
  for (const r of report.results) {
    if (r.category !== category) {
      if (category) lines.push('');
      category = r.category;
      lines.push(paint(color, '1', category));
    }
    lines.push(resultLine(r, showTarget, color));
  }
  lines.push('', summaryLine(report));
  for (const n of report.notes) lines.push(`note: ${n}`);
  const steps = remediationSteps(report, showTarget, color);
  if (steps.length) lines.push('', paint(color, '1', 'What to fix:'), ...steps);
  return `${lines.join('\n')}\n`;
}
