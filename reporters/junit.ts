// JUnit XML valid against Jenkins' junit-10.xsd: one testsuite per category, classname = category,
// name = id + title (+ target when a check ran for several). fail → <failure>, error → <error>,
// skip → <skipped>, warn passes with its message in system-out unless the threshold is warn.
import type { Report } from '../src/engine/report.ts';
import { meetsThreshold } from '../src/engine/report.ts';
import type { CheckResult } from '../src/engine/types.ts';
import { cleanText } from '../src/redact/redact.ts';

// XML 1.0 allows tab, LF, CR and U+0020..U+D7FF, U+E000..U+FFFD, supplementary planes.
const XML_INVALID = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;
export function xmlText(s: string): string {
  return cleanText(s, 16384)
    .replace(XML_INVALID, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}
const attr = (s: string) => xmlText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
const secs = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

function body(r: CheckResult): string {
  const lines = [`${r.status.toUpperCase()}: ${r.message}`, `target: ${r.target}`];
  if (r.remediation)
    lines.push(
      `fix: ${r.remediation.text}`,
      ...(r.remediation.command ? [`run: ${r.remediation.command}`] : []),
      ...(r.remediation.docs ? [`docs: ${r.remediation.docs}`] : []),
    );
  return xmlText(lines.join('\n'));
}

export function renderJunit(report: Report): string {
  const byCat = new Map<string, CheckResult[]>();
  for (const r of report.results) byCat.set(r.category, [...(byCat.get(r.category) ?? []), r]);
  const multi = new Set<string>();
  const seen = new Set<string>();
  for (const r of report.results) (seen.has(r.checkId) ? multi : seen).add(r.checkId);

  const isFailure = (r: CheckResult) =>
    r.status === 'fail' || (r.status === 'warn' && meetsThreshold('warn', report.failOn));
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  for (const [cat, rs] of byCat) {
    const f = rs.filter(isFailure).length;
    const e = rs.filter((r) => r.status === 'error').length;
    const s = rs.filter((r) => r.status === 'skip').length;
    const time = rs.reduce((a, r) => a + r.durationMs, 0);
    tests += rs.length;
    failures += f;
    errors += e;
    const cases = rs.map((r) => {
      const name = `${r.checkId}: ${r.title}${multi.has(r.checkId) ? ` [${r.target}]` : ''}`;
      let inner = '';
      if (r.status === 'error')
        inner = `<error type="${attr(String(r.details?.reason ?? 'error'))}" message="${attr(r.message)}">${body(r)}</error>`;
      else if (isFailure(r)) inner = `<failure type="${r.status}" message="${attr(r.message)}">${body(r)}</failure>`;
      else if (r.status === 'skip') inner = `<skipped message="${attr(r.message)}"/>`;
      if (r.status !== 'skip') inner += `<system-out>${body(r)}</system-out>`;
      return `    <testcase classname="${attr(cat)}" name="${attr(name)}" time="${secs(r.durationMs)}">${inner}</testcase>`;
    });
    suites.push(
      `  <testsuite name="${attr(cat)}" tests="${rs.length}" failures="${f}" errors="${e}" skipped="${s}" time="${secs(time)}" timestamp="${attr(report.startedAt)}">\n${cases.join('\n')}\n  </testsuite>`,
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
