// Reporters are pure functions of the report: JUnit validated by xmllint against Jenkins' XSD, JSON
// validated against the shipped schema, plain text stable and ANSI-free, ink progress rendered.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { XSD, hasXmllint } from '../helpers/xsd.ts';
import { join } from 'node:path';
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { Ajv } from 'ajv';
import { renderJunit } from '../../reporters/junit.ts';
import { renderJson } from '../../reporters/json.ts';
import { renderPlain } from '../../reporters/plain.ts';
import { Progress } from '../../reporters/terminal.ts';
import schema from '../../reporters/report.schema.json' with { type: 'json' };
import { summarize } from '../../src/engine/run.ts';
import type { Report } from '../../src/engine/report.ts';
import type { CheckResult } from '../../src/engine/types.ts';
import { tempDir } from '../helpers/tmp.ts';

const r = (
  checkId: string,
  status: CheckResult['status'],
  message: string,
  extra: Partial<CheckResult> = {},
): CheckResult => ({
  checkId,
  code: `${checkId}/${status === 'error' ? 'error-timeout' : 'm'}`,
  title: `title of ${checkId}`,
  category: checkId.split('.')[0] as CheckResult['category'],
  scope: 'pod',
  status,
  message,
  target: 'local',
  durationMs: 12,
  ...extra,
});

function sampleReport(over: Partial<Report> = {}): Report {
  const results = [
    r('runtime.python.present', 'pass', 'python3 3.11.7'),
    r('runtime.python.file', 'fail', 'killed <137> & "quoted" \u0001ctrl', {
      remediation: {
        text: 'add an exclusion',
        command: 'kubectl get ds -A',
        docs: 'docs/checks.md#runtime-python-file',
      },
    }),
    r('filesystem.shm.size', 'warn', '/dev/shm is 16 MiB', { remediation: { text: 'mount an emptyDir' } }),
    r('resources.memory', 'error', 'timed out after 30.0 s', { details: { reason: 'timeout' } }),
    r('security.non-root', 'skip', 'waived: vendor image', { skipReason: 'waived' }),
    r('security.seccomp', 'info', 'seccomp filter ]]> end'),
  ];
  return {
    schemaVersion: 1,
    tool: { name: 'runner-doctor', version: '0.1.0' },
    target: { mode: 'local', description: 'local environment (test)' },
    startedAt: '2026-11-21T10:00:00.000Z',
    finishedAt: '2026-11-21T10:00:01.000Z',
    durationMs: 1000,
    failOn: 'fail',
    summary: summarize(results),
    results,
    notes: [],
    ...over,
  };
}

function xmllint(xml: string): void {
  const dir = tempDir('rd-junit-');
  writeFileSync(join(dir, 'r.xml'), xml);
  execFileSync('xmllint', ['--noout', '--schema', XSD!, join(dir, 'r.xml')], { stdio: 'pipe' });
}

describe('JUnit reporter', () => {
  const canValidate = Boolean(XSD && hasXmllint);
  if (!canValidate && process.env.CI)
    throw new Error('CI needs xmllint and ../shared/junit-10.xsd for the JUnit schema test');
  it.skipIf(!canValidate)('is valid against junit-10.xsd (xmllint), with fail/error/skip mapped', () => {
    const xml = renderJunit(sampleReport());
    xmllint(xml);
    expect(xml).toMatch(/<testsuite name="runtime" tests="2" failures="1" errors="0"/);
    expect(xml).toMatch(
      /<testcase classname="runtime" name="runtime.python.file: title of runtime.python.file" time="0.012"><failure type="fail" message="killed &lt;137&gt; &amp; &quot;quoted&quot; ctrl">/,
    );
    expect(xml).toMatch(/<error type="timeout" message="timed out after 30.0 s">/);
    expect(xml).toMatch(/<skipped message="waived: vendor image"\/>/);
    expect(xml).not.toMatch(/\u0001/);
  });
  it.skipIf(!canValidate)('a warning passes with its message in system-out, and fails with --fail-on warn', () => {
    const lenient = renderJunit(sampleReport());
    expect(lenient).toMatch(
      /name="filesystem.shm.size: title of filesystem.shm.size" time="0.012"><system-out>WARN: \/dev\/shm is 16 MiB/,
    );
    const strict = renderJunit(sampleReport({ failOn: 'warn' }));
    xmllint(strict);
    expect(strict).toMatch(/<failure type="warn" message="\/dev\/shm is 16 MiB">/);
  });
  it.skipIf(!canValidate)('writes one failed case when the run could not start', () => {
    const xml = renderJunit(
      sampleReport({
        results: [],
        summary: summarize([]),
        fatal: { message: 'config error: doctor.yaml:3: bad', remediation: 'fix it' },
      }),
    );
    xmllint(xml);
    expect(xml).toMatch(/tests="1" failures="0" errors="1"/);
    expect(xml).toMatch(/<error type="could-not-run" message="config error: doctor.yaml:3: bad">/);
  });
  it.skipIf(canValidate)(
    'skipped: xmllint or ../shared/junit-10.xsd is missing here (install libxml2-utils; CI has both)',
    () => {
      expect(canValidate).toBe(false);
    },
  );
  it('gives each target its own test case name when a check ran for several', () => {
    const rs = [
      r('runtime.python.file', 'pass', 'ok', { target: 'pod-a' }),
      r('runtime.python.file', 'pass', 'ok', { target: 'pod-b' }),
    ];
    const xml = renderJunit(sampleReport({ results: rs, summary: summarize(rs) }));
    expect(xml).toContain('[pod-a]');
    expect(xml).toContain('[pod-b]');
  });
});

describe('JSON reporter', () => {
  const validate = new Ajv({ strict: false }).compile(schema);
  it('matches the shipped JSON Schema', () => {
    const doc = JSON.parse(renderJson(sampleReport()));
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.summary.counts).toEqual({ pass: 1, info: 1, warn: 1, fail: 1, error: 1, skip: 1 });
  });
  it('the schema catches a malformed report', () => {
    const doc = JSON.parse(renderJson(sampleReport()));
    doc.results[0].status = 'ok';
    expect(validate(doc)).toBe(false);
  });
});

describe('plain reporter', () => {
  it('one row per check under its category, no ANSI, a summary, one numbered step per cause (fail first)', () => {
    const text = renderPlain(sampleReport());
    expect(text).not.toMatch(/[\u0000-\u0008\u001b]/);
    expect(text).toMatch(/^runtime {5}✔ python\.present {2}python3 3\.11\.7\n {12}✖ python\.file {5}killed/m);
    expect(text).toMatch(
      /Summary: 1 passed, 1 info, 1 warnings, 1 failed, 1 errors, 1 skipped \(6 results in 1\.0 s\)/,
    );
    expect(text).toMatch(
      /What to fix — 1 failure, 1 could not judge, 1 warning \(3 causes\):\n {2}1\. ✖ runtime\.python\.file: [^\n]*\n {7}→ add an exclusion\n {9}\$ kubectl get ds -A\n {7}runner-doctor explain runtime\.python\.file\/m\n/,
    );
    expect(text).toMatch(/ {2}2\. ⁉ timed out after 30\.0 s\n {7}could not judge 1 check: resources\.memory/);
    expect(text).toMatch(/ {2}3\. ‼ filesystem\.shm\.size/);
    // docs/checks.md anchors are not links a user can follow: explain is.
    expect(text).not.toMatch(/docs\/checks\.md/);
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      '1 failure, 1 could not judge, 1 warning (3 causes); judged 4 of 6 checks; 1 skipped; 1 could not run (timeout): resources.memory',
    );
  });
  it('colours only when asked', () => {
    expect(renderPlain(sampleReport(), { color: true })).toMatch(/\u001b\[31m✖/);
  });
});

describe('interactive terminal reporter (ink)', () => {
  it('renders live progress per category with the latest results', () => {
    const { lastFrame } = render(
      createElement(Progress, {
        frame: 0,
        state: {
          categories: [
            { name: 'runtime', total: 5, done: 2, worst: 'fail' },
            { name: 'filesystem', total: 6, done: 6, worst: 'warn' },
          ],
          running: ['runtime.python.file'],
          recent: [r('runtime.python.present', 'pass', 'python3 3.11.7')],
        },
      }),
    );
    const frame = lastFrame() ?? '';
    expect(frame).toMatch(/runtime\s+2\/5/);
    expect(frame).toMatch(/‼ filesystem\s+6\/6/);
    expect(frame).toMatch(/running: runtime\.python\.file/);
    expect(frame).toMatch(/✔ runtime\.python\.present/);
  });
});
