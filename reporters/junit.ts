// JUnit XML valid against Jenkins' junit-10.xsd: one testsuite per category (in category order), one
// testcase per check and target, sorted by check id, target and code so that the same results always give
// the same file; classname = category, name = id + title (+ target when a check ran for several; + the
// message id if that is still not unique: GitLab drops duplicate names). fail → <failure>, error →
// <error>, skip → <skipped>, warn passes with its message in system-out unless the gate fails on it
// (--fail-on warn, or --fail-on new and the baseline did not have it). `message` attributes are one line;
// multi-line detail is in element bodies. With --baseline, each suite carries the counts as properties
// and names its resolved findings in system-out; each case says whether it is new or known.
import type { Report } from '../src/engine/report.ts';
import { failsGate } from '../src/engine/report.ts';
import { findingKey, isFinding, newKeys } from '../src/engine/baseline.ts';
import { CATEGORIES, type CheckResult } from '../src/engine/types.ts';
import { cleanText } from '../src/redact/redact.ts';
import { docsUrlOf, explainCommand } from './groups.ts';

// XML 1.0 allows tab, LF, CR and U+0020..U+D7FF, U+E000..U+FFFD, supplementary planes.
const XML_INVALID = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;
export function xmlText(s: string): string {
  return cleanText(s, 16384)
    .replace(XML_INVALID, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}
/** An attribute value: one line (whitespace runs collapsed), at most 500 characters. */
const attr = (s: string) =>
  xmlText(cleanText(s, 16384).replace(/\s+/g, ' ').trim().slice(0, 500)).replace(/"/g, '&quot;');
const secs = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);
const catRank = new Map<string, number>(CATEGORIES.map((c, i) => [c, i]));

function body(r: CheckResult, baseline: string | undefined): string {
  const lines = [`${r.status.toUpperCase()}: ${r.message}`, `code: ${r.code}`, `target: ${r.target}`];
  if (r.remediation)
    lines.push(
      `fix: ${r.remediation.text}`,
      ...(r.remediation.command ? [`run: ${r.remediation.command}`] : []),
      ...(docsUrlOf(r.remediation.docs) ? [`docs: ${r.remediation.docs}`] : []),
    );
  if (r.status !== 'pass') lines.push(`explain: ${explainCommand(r.code)}`);
  if (baseline) lines.push(`baseline: ${baseline}`);
  return xmlText(lines.join('\n'));
}

/** Case names, unique within the file. */
function caseNames(rs: readonly CheckResult[]): string[] {
  const perCheck = new Map<string, number>();
  for (const r of rs) perCheck.set(r.checkId, (perCheck.get(r.checkId) ?? 0) + 1);
  const names = rs.map((r) => `${r.checkId}: ${r.title}${(perCheck.get(r.checkId) ?? 0) > 1 ? ` [${r.target}]` : ''}`);
  const seen = new Map<string, number>();
  for (const n of names) seen.set(n, (seen.get(n) ?? 0) + 1);
  const taken = new Set<string>();
  return names.map((n, i) => {
    let name = (seen.get(n) ?? 0) > 1 ? `${n} (${rs[i]?.code.split('/')[1] ?? ''})` : n;
    for (let k = 2; taken.has(name); k++) name = `${n} #${k}`;
    taken.add(name);
    return name;
  });
}

export function renderJunit(report: Report): string {
  const sorted = [...report.results].sort(
    (a, b) =>
      (catRank.get(a.category) ?? 99) - (catRank.get(b.category) ?? 99) ||
      a.checkId.localeCompare(b.checkId) ||
      a.target.localeCompare(b.target) ||
      a.code.localeCompare(b.code) ||
      a.message.localeCompare(b.message),
  );
  const unique = caseNames(sorted);
  const names = new Map(sorted.map((r, i) => [r, unique[i] ?? r.checkId]));
  const byCat = new Map<string, CheckResult[]>();
  for (const r of sorted) byCat.set(r.category, [...(byCat.get(r.category) ?? []), r]);
  const fresh = newKeys(report.baseline);
  const b = report.baseline;
  const known = (r: CheckResult) => (!b || !isFinding(r) ? undefined : fresh.has(findingKey(r)) ? 'new' : 'unchanged');

  const isFailure = (r: CheckResult) => r.status !== 'error' && failsGate(r, report, fresh);
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  const categories = [...byCat.keys()];
  // A category whose findings were all resolved still gets a suite to say so.
  for (const f of b?.resolved ?? []) {
    const cat = f.code.split('.')[0] ?? '';
    if (!categories.includes(cat)) categories.push(cat);
  }
  categories.sort((x, y) => (catRank.get(x) ?? 99) - (catRank.get(y) ?? 99) || x.localeCompare(y));
  for (const cat of categories) {
    const rs = byCat.get(cat) ?? [];
    const f = rs.filter(isFailure).length;
    const e = rs.filter((r) => r.status === 'error').length;
    const s = rs.filter((r) => r.status === 'skip').length;
    const time = rs.reduce((a, r) => a + r.durationMs, 0);
    tests += rs.length;
    failures += f;
    errors += e;
    const cases = rs.map((r) => {
      const name = names.get(r) ?? r.checkId;
      let inner = '';
      if (r.status === 'error')
        inner = `<error type="${attr(String(r.details?.reason ?? 'error'))}" message="${attr(r.message)}">${body(r, known(r))}</error>`;
      else if (isFailure(r))
        inner = `<failure type="${r.status}" message="${attr(r.message)}">${body(r, known(r))}</failure>`;
      else if (r.status === 'skip') inner = `<skipped message="${attr(r.message)}"/>`;
      if (r.status !== 'skip') inner += `<system-out>${body(r, known(r))}</system-out>`;
      return `    <testcase classname="${attr(cat)}" name="${attr(name)}" time="${secs(r.durationMs)}">${inner}</testcase>`;
    });
    const extra: string[] = [];
    if (b) {
      const inCat = (x: { code: string }) => x.code.startsWith(`${cat}.`);
      const props = [
        ['baseline', b.source],
        ...(b.startedAt ? [['baseline.startedAt', b.startedAt]] : []),
        ['baseline.new', String(b.new.filter(inCat).length)],
        ['baseline.resolved', String(b.resolved.filter(inCat).length)],
        ['baseline.unchanged', String(b.unchanged.filter(inCat).length)],
      ];
      extra.push(
        `    <properties>${props.map(([k, v]) => `<property name="${attr(k ?? '')}" value="${attr(v ?? '')}"/>`).join('')}</properties>`,
      );
      const resolved = b.resolved.filter(inCat);
      if (resolved.length)
        extra.push(
          `    <system-out>${xmlText(resolved.map((x) => `resolved since the baseline: ${x.code} [${x.target}] (was ${x.status})`).join('\n'))}</system-out>`,
        );
    }
    suites.push(
      `  <testsuite name="${attr(cat)}" tests="${rs.length}" failures="${f}" errors="${e}" skipped="${s}" time="${secs(time)}" timestamp="${attr(report.startedAt)}">\n${[...extra.slice(0, 1), ...cases, ...extra.slice(1)].join('\n')}\n  </testsuite>`,
    );
  }
  if (report.fatal) {
    tests++;
    errors++;
    suites.push(
      `  <testsuite name="runner-doctor" tests="1" failures="0" errors="1" skipped="0" time="${secs(report.durationMs)}" timestamp="${attr(report.startedAt)}">\n    <testcase classname="runner-doctor" name="run: the doctor could examine the target" time="${secs(report.durationMs)}"><error type="could-not-run" message="${attr(report.fatal.message)}">${xmlText(`${report.fatal.message}\nfix: ${report.fatal.remediation}`)}</error></testcase>\n  </testsuite>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="runner-doctor ${attr(report.target.description)}" tests="${tests}" failures="${failures}" errors="${errors}" time="${secs(report.durationMs)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
