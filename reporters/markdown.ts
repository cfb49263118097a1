// Markdown for CI summaries (`$GITHUB_STEP_SUMMARY`, GitLab merge request notes), GitHub-flavoured: the
// verdict and counts, the causes with their fixes (reporters/groups.ts), the comparison with a
// baseline, and every result in a collapsed <details> table. Cluster data is escaped so that it can
// neither close the table nor inject HTML.
import type { Report } from '../src/engine/report.ts';
import { exitCodeFor } from '../src/engine/report.ts';
import type { Status } from '../src/engine/types.ts';
import { cleanText } from '../src/redact/redact.ts';
import { causeCountLine, causes, coverage, coverageLine, shortTarget } from './groups.ts';

const ICON: Record<Status, string> = { pass: '✅', info: 'ℹ️', warn: '⚠️', fail: '❌', error: '⛔', skip: '⏭️' };
const VERDICT: Record<number, string> = {
  0: '✅ clean',
  1: '❌ findings',
  3: '⛔ could not run',
  4: '⚠️ incomplete: some checks could not judge',
};

/** Text safe in a paragraph or a table cell: one line, HTML and Markdown punctuation escaped. */
export function mdText(s: string, max = 600): string {
  return cleanText(s, max)
    .replace(/\s+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1')
    .trim();
}

/** A code span that survives backticks inside (and, in a table cell, pipes). */
export function mdCode(s: string, cell = false): string {
  const one = cleanText(s, 600).replace(/\s+/g, ' ');
  const t = cell ? one.replace(/\|/g, '\\|') : one;
  const ticks = '`'.repeat(Math.max(1, ...[...t.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  return ticks.length > 1 ? `${ticks} ${t} ${ticks}` : `\`${t}\``;
}

export function renderMarkdown(report: Report): string {
  const found = causes(report);
  const code = exitCodeFor(report);
  const c = report.summary.counts;
  const short = (t: string) => shortTarget(report, t);
  const out: string[] = [
    `## runner-doctor: ${VERDICT[code] ?? 'done'}`,
    '',
    `${mdText(report.target.description)} · runner-doctor ${mdText(report.tool.version)} · ${report.startedAt}`,
    '',
    `**${c.fail} failed**, **${c.warn} warnings**, **${c.error} could not judge**, ${c.pass} passed, ${c.info} info, ${c.skip} skipped — ${report.summary.total} results in ${(report.durationMs / 1000).toFixed(1)} s; ${mdText(coverageLine(coverage(report)))}; gate: \`--fail-on ${report.failOn}\``,
    '',
  ];
  if (report.fatal)
    out.push(`> **Could not run:** ${mdText(report.fatal.message)}  `, `> ${mdText(report.fatal.remediation)}`, '');
  if (found.length) {
    out.push(`### What to fix — ${mdText(causeCountLine(found))}`, '');
    found.forEach((g, i) => {
      const item = `${i + 1}. ${ICON[g.status]} **${mdText(g.title)}**${g.isNew ? ' _(new)_' : ''}`;
      const sub: string[] = [];
      if (g.kind === 'egress') sub.push(`endpoints: ${g.subjects.map((x) => mdCode(x)).join(', ')}`);
      else if (g.kind !== 'finding') sub.push(`blocked checks: ${g.subjects.map((x) => mdCode(x)).join(', ')}`);
      const targets = g.targets.map(short).filter((t) => !['cluster', 'doctor', 'local'].includes(t));
      if (g.kind !== 'egress' && targets.length) sub.push(`on: ${targets.map(mdText).join(', ')}`);
      if (g.conclusion) sub.push(`where: ${mdText(g.conclusion)}`);
      if (g.fix) sub.push(`fix: ${mdText(g.fix.text)}`);
      if (g.fix?.command) sub.push(`run: ${mdCode(g.fix.command)}`);
      sub.push(`${mdCode(g.explain)}${g.fix?.url ? ` · [docs](${encodeURI(g.fix.url)})` : ''}`);
      out.push(item, ...sub.map((s) => `   ${s}  `), '');
    });
  } else {
    out.push('Nothing to fix.', '');
  }
  const b = report.baseline;
  if (b) {
    out.push(
      `### Since the baseline`,
      '',
      `${mdCode(b.source)}${b.startedAt ? ` (run ${b.startedAt})` : ''}: **${b.new.length} new**, ${b.resolved.length} resolved, ${b.unchanged.length} unchanged`,
      '',
    );
    const changed = [...b.new.map((f) => ['new', f] as const), ...b.resolved.map((f) => ['resolved', f] as const)];
    if (changed.length) {
      out.push('| change | status | finding | target |', '|---|---|---|---|');
      for (const [what, f] of changed)
        out.push(`| ${what} | ${ICON[f.status]} ${f.status} | ${mdCode(f.code, true)} | ${mdText(short(f.target))} |`);
      out.push('');
    }
  }
  out.push(
    `<details><summary>All ${report.results.length} results</summary>`,
    '',
    '| status | check | target | result |',
    '|---|---|---|---|',
    ...report.results.map(
      (r) =>
        `| ${ICON[r.status]} ${r.status} | ${mdCode(r.code, true)} | ${mdText(short(r.target))} | ${mdText(r.message)} |`,
    ),
    '',
    '</details>',
    '',
  );
  if (report.notes.length) out.push(...report.notes.map((n) => `_${mdText(n)}_  `), '');
  return `${out.join('\n')}`;
}
