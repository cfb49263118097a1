// Plain text: one row per check (targets that agree counted, those that differ listed under it), a
// summary, "What to fix" with one numbered step per cause (reporters/groups.ts), the comparison with a
// baseline, and a closing line with what could not be judged. `--verbose` shows every target. Stable
// order, no ANSI unless `color` is asked for (the interactive reporter prints this with colour).
import type { BaselineDiff } from '../src/engine/baseline.ts';
import type { Report } from '../src/engine/report.ts';
import type { CheckResult, Status } from '../src/engine/types.ts';
import { cleanText } from '../src/redact/redact.ts';
import {
  type Cause,
  causeCountLine,
  causes,
  coverage,
  coverageLine,
  podsOf,
  type Row,
  rows,
  shortTarget,
  targetsLabel,
} from './groups.ts';

export const SYMBOL: Record<Status, string> = { pass: '✔', info: 'ℹ', warn: '‼', fail: '✖', error: '⁉', skip: '○' };
const COLOR: Record<Status, string> = { pass: '32', info: '36', warn: '33', fail: '31', error: '35', skip: '90' };

export interface PlainOptions {
  color?: boolean;
  /** Every target on its own line, every member of a cause listed. */
  verbose?: boolean;
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

const WIDTH = 110;
/** `a, b, c` wrapped to lines of about WIDTH characters, each starting with `indent`. */
function wrapList(items: readonly string[], indent: string, first = ''): string[] {
  const out: string[] = [];
  let line = first;
  for (const [i, it] of items.entries()) {
    const piece = `${it}${i < items.length - 1 ? ',' : ''}`;
    if (line.length + piece.length + 1 > WIDTH && line.trim()) {
      out.push(`${indent}${line.trimEnd()}`);
      line = '';
    }
    line += `${piece} `;
  }
  if (line.trim()) out.push(`${indent}${line.trimEnd()}`);
  return out;
}
const cap = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
/** The first `max` items and how many more (all of them with --verbose). */
function some(items: readonly string[], max: number, verbose?: boolean): string[] {
  if (verbose || items.length <= max) return [...items];
  return [...items.slice(0, max), `… ${items.length - max} more (-v)`];
}

/**
 * The results section, by category: the checks that passed (or were skipped) alike everywhere share one
 * line of names; every other check has its own row, with the results that differ listed under it and
 * the cause it belongs to ("→ fix 2"). With --verbose: one line per check and target.
 */
function resultRows(report: Report, found: Cause[], opts: PlainOptions): string[] {
  const color = opts.color;
  const all = rows(report, found);
  const short = (t: string) => shortTarget(report, t);
  const name = (r: Row) =>
    r.checkId.startsWith(`${r.category}.`) ? r.checkId.slice(r.category.length + 1) : r.checkId;
  const catW = Math.max(...all.map((r) => r.category.length)) + 2;
  const nameW = Math.max(...all.map((r) => name(r).length)) + 2;
  const lines: string[] = [];
  let category = '';
  const lead = (cat: string) => {
    const shown = cat !== category ? cat : '';
    category = cat;
    return paint(color, '1', shown.padEnd(catW));
  };
  const sym = (s: Status) => paint(color, COLOR[s], SYMBOL[s]);
  const pad = ' '.repeat(catW + 2 + nameW);
  const dim = (on: boolean, s: string) => paint(color && on, '90', s);
  const row = (r: Row) => {
    const where =
      r.where || r.differ ? ` (${[r.where, r.differ ? 'details differ: -v' : ''].filter(Boolean).join('; ')})` : '';
    const refs = r.causes.length ? dim(true, ` → fix ${r.causes.join(', ')}`) : '';
    lines.push(
      `${lead(r.category)}${sym(r.status)} ${name(r).padEnd(nameW)}${dim(r.status === 'skip', cap(cleanText(r.text), 160))}${where}${refs}`,
    );
    for (const v of r.variants) {
      const ts = v.targets.length > 3 ? targetsLabel(report, v.targets) : v.targets.map(short).join(', ');
      lines.push(`${pad}${sym(v.status)} ${ts}: ${cap(cleanText(v.message), 140)}`);
    }
  };
  /**
   * Rows that say nothing of their own share a line per category: passed or skipped alike on every
   * target (the messages are in -v), or could not judge for one cause (named in "What to fix").
   */
  const packKey = (r: Row): string | undefined => {
    if (r.variants.length) return undefined;
    if ((r.status === 'pass' || r.status === 'skip') && !r.causes.length) return r.status;
    if (r.status === 'error' && r.causes.length === 1 && r.results.every((x) => x.status === 'error'))
      return `error:${r.causes[0]}`;
    return undefined;
  };
  const cats = [...new Set(all.map((r) => r.category))];
  for (const cat of cats) {
    const inCat = all.filter((r) => r.category === cat);
    if (opts.verbose) {
      for (const r of inCat)
        for (const x of r.results) {
          const t = x.target === 'local' ? '' : ` [${short(x.target)}]`;
          lines.push(
            `${lead(cat)}${sym(x.status)} ${name(r).padEnd(nameW)}${dim(x.status === 'skip', cleanText(x.message))}${t}`,
          );
        }
      continue;
    }
    const packs = new Map<string, Row[]>();
    for (const r of inCat) {
      const k = packKey(r);
      if (k) packs.set(k, [...(packs.get(k) ?? []), r]);
    }
    for (const [k, pack] of packs) {
      if (pack.length < 2) continue;
      const status = pack[0]?.status ?? 'pass';
      // Names grouped by where they ran: "a, b, c (2/2 pods); d".
      const runs: { where: string; names: string[] }[] = [];
      for (const r of pack) {
        const run = runs.find((x) => x.where === r.where);
        if (run) run.names.push(name(r));
        else runs.push({ where: r.where, names: [name(r)] });
      }
      const text = runs.map((x) => `${x.names.join(', ')}${x.where ? ` (${x.where})` : ''}`).join('; ');
      const reason = pack[0]?.results[0]?.skipReason;
      const why =
        status === 'skip' && reason && pack.every((r) => r.results.every((x) => x.skipReason === reason))
          ? `: ${reason.replace('-', ' ')}`
          : status === 'error'
            ? ': could not judge'
            : '';
      const refs = k.startsWith('error:') ? dim(true, ` → fix ${k.slice(6)}`) : '';
      lines.push(`${lead(cat)}${sym(status)} ${dim(status === 'skip', `${text}${why}`)}${refs}`);
    }
    for (const r of inCat) {
      const k = packKey(r);
      if (!k || (packs.get(k)?.length ?? 0) < 2) row(r);
    }
  }
  return lines;
}

/** "What to fix": one numbered step per cause, most blocking first. */
export function causeSteps(report: Report, found: Cause[], opts: PlainOptions = {}): string[] {
  const color = opts.color;
  const short = (t: string) => shortTarget(report, t);
  const out: string[] = [];
  const ind = '       ';
  found.forEach((c, i) => {
    const mark = c.isNew ? paint(color, '1', ' [new]') : '';
    out.push(
      `${String(i + 1).padStart(3)}. ${paint(color, COLOR[c.status], SYMBOL[c.status])} ${cleanText(c.title)}${mark}`,
    );
    const targets = c.targets.map(short).filter((t) => !['cluster', 'doctor', 'local'].includes(t));
    if (c.kind === 'egress') {
      out.push(...wrapList(some(c.subjects, 12, opts.verbose), ind, 'endpoints: '));
      if (c.conclusion) out.push(`${ind}where: ${cleanText(c.conclusion)}`);
    } else if (c.kind === 'forbidden' || c.kind === 'error') {
      const on = targets.length > 1 ? ` on ${targetsLabel(report, c.targets)}` : targets[0] ? ` on ${targets[0]}` : '';
      const verb = c.kind === 'forbidden' ? 'blocks' : 'could not judge';
      out.push(
        ...wrapList(some(c.subjects, 8, opts.verbose), ind, `${verb} ${plural(c.subjects.length, 'check')}${on}: `),
      );
      if (opts.verbose && targets.length > 1) out.push(...wrapList(targets, ind, 'targets: '));
    } else if (targets.length > 1 || (targets[0] && !c.title.includes(targets[0]))) {
      const differ = c.messages.length > 1 && !opts.verbose ? ' (details differ: -v)' : '';
      const label = targets.length > 3 ? `${targetsLabel(report, c.targets)}: ` : '';
      out.push(...wrapList(some(targets, 6, opts.verbose), ind, `on ${label}`));
      if (differ) out[out.length - 1] += differ;
    }
    if (opts.verbose && c.messages.length > 1)
      for (const i of c.results) {
        const r = report.results[i];
        if (r) out.push(`${ind}- [${short(r.target)}] ${cleanText(r.message)}`);
      }
    if (c.fix) {
      out.push(`${ind}→ ${cleanText(c.fix.text)}`);
      if (c.fix.command) out.push(`${ind}  $ ${cleanText(c.fix.command)}`);
    }
    const codes =
      c.codes.length > 1 || (c.codes[0]?.count ?? 0) > 1
        ? ` · ${c.codes.map((x) => `${x.code} ×${x.count}`).join(', ')}`
        : '';
    out.push(
      paint(color, '90', `${ind}${c.explain}${c.fix?.url ? ` · ${c.fix.url}` : ''}${opts.verbose ? codes : ''}`),
    );
  });
  return out;
}

/** New, resolved and unchanged findings against `--baseline`. */
export function baselineLines(report: Report, opts: PlainOptions = {}): string[] {
  const b = report.baseline;
  if (!b) return [];
  const color = opts.color;
  const short = (t: string) => shortTarget(report, t);
  const when = b.startedAt ? ` (run ${b.startedAt})` : '';
  const out = [
    paint(
      color,
      '1',
      `Since the baseline ${b.source}${when}: ${b.new.length} new, ${b.resolved.length} resolved, ${b.unchanged.length} unchanged`,
    ),
  ];
  const list = (label: string, fs: BaselineDiff['new']) =>
    some(
      fs.map(
        (f) =>
          `  ${label.padEnd(10)} ${paint(color, COLOR[f.status], SYMBOL[f.status])} ${f.code}  [${short(f.target)}]${f.count > 1 ? ` ×${f.count}` : ''}`,
      ),
      10,
      opts.verbose,
    ).map((l) => (l.startsWith('…') ? `  ${l}` : l));
  out.push(...list('new', b.new), ...list('resolved', b.resolved));
  if (opts.verbose) out.push(...list('unchanged', b.unchanged));
  if (report.failOn === 'new') {
    const gate = b.new.filter((f) => f.status === 'warn' || f.status === 'fail').length;
    out.push(
      gate
        ? `  --fail-on new: ${plural(gate, 'new finding')} ${gate === 1 ? 'fails' : 'fail'} the gate`
        : `  --fail-on new: no new finding; ${plural(b.unchanged.length, 'known finding')} ${b.unchanged.length === 1 ? 'does' : 'do'} not fail the gate`,
    );
  }
  return out;
}

export function renderPlain(report: Report, opts: PlainOptions = {}): string {
  const color = opts.color;
  const found = causes(report);
  const lines: string[] = [`runner-doctor ${report.tool.version} — ${report.target.description}`];
  const pods = podsOf(report);
  if (pods.length)
    lines.push(
      ...wrapList(
        pods.map((p) => shortTarget(report, p)),
        '',
        `${plural(pods.length, 'runner pod')}: `,
      ),
    );
  lines.push('');
  if (report.fatal) {
    lines.push(paint(color, '31', `✖ could not run: ${report.fatal.message}`), `  → ${report.fatal.remediation}`, '');
  }
  if (report.results.length) lines.push(...resultRows(report, found, opts), '');
  lines.push(summaryLine(report));
  for (const n of report.notes) lines.push(`note: ${n}`);
  if (found.length)
    lines.push('', paint(color, '1', `What to fix — ${causeCountLine(found)}:`), ...causeSteps(report, found, opts));
  const base = baselineLines(report, opts);
  if (base.length) lines.push('', ...base);
  const closing = report.fatal
    ? `could not run: ${cleanText(report.fatal.message)}`
    : `${causeCountLine(found)}; ${coverageLine(coverage(report))}`;
  lines.push('', paint(color, '1', closing));
  return `${lines.join('\n')}\n`;
}

const VERDICT: Record<number, string> = {
  0: 'clean',
  1: 'findings',
  2: 'usage error',
  3: 'could not run',
  4: 'incomplete',
};

/** A few lines for a Job's termination message: the verdict, the counts, and the first findings by code. */
export function verdictText(report: Report, exitCode: number): string {
  const c = report.summary.counts;
  const lines = [
    `runner-doctor ${VERDICT[exitCode] ?? 'done'} (exit ${exitCode}): ${c.fail} failed, ${c.warn} warnings, ${c.error} errors, ${c.pass} passed`,
  ];
  if (report.fatal) lines.push(`could not run: ${report.fatal.message}`);
  const findings = report.results.filter((r) => r.status === 'fail' || r.status === 'error');
  for (const r of findings.slice(0, 5)) lines.push(`${r.status} ${r.code} [${r.target}]: ${cleanText(r.message, 300)}`);
  if (findings.length > 5) lines.push(`… and ${findings.length - 5} more: see the Job's log or its JSON report`);
  return `${lines.join('\n')}\n`;
}
