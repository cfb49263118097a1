// The grouped report in every format, from the real-run reports in test/unit/golden/reports/: markdown
// rendered by a Markdown parser (marked) and checked for its structure; JUnit deterministic, one-line
// messages, counts that add up, valid against Jenkins' XSD; JSON keeps every result and adds the causes;
// the baseline comparison (new / resolved / unchanged, a rollout is not news) and `--fail-on new`; the
// grouping rules on small synthetic reports; the ink progress of a check that runs longer than a second.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { render } from 'ink-testing-library';
import { marked, type Token, type Tokens } from 'marked';
import { createElement } from 'react';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks/index.ts';
import { causes, explainCommand } from '../../reporters/groups.ts';
import { renderJson } from '../../reporters/json.ts';
import { renderJunit } from '../../reporters/junit.ts';
import { renderMarkdown } from '../../reporters/markdown.ts';
import { renderPlain } from '../../reporters/plain.ts';
import schema from '../../reporters/report.schema.json' with { type: 'json' };
import { Progress } from '../../reporters/terminal.ts';
import { compareWithBaseline, parseBaseline, stableTarget } from '../../src/engine/baseline.ts';
import { EXIT, exitCodeFor, type Report } from '../../src/engine/report.ts';
import { summarize } from '../../src/engine/run.ts';
import type { CheckResult } from '../../src/engine/types.ts';
import { hasXmllint, XSD } from '../helpers/xsd.ts';
import { tempDir } from '../helpers/tmp.ts';

const load = (name: string): Report =>
  JSON.parse(readFileSync(join(import.meta.dirname, 'golden', 'reports', `${name}.json`), 'utf8'));
const withResults = (base: Report, results: CheckResult[], over: Partial<Report> = {}): Report => ({
  ...base,
  results,
  summary: summarize(results),
  ...over,
});

/** The earlier run of the offline fixture: before a rollout (other pod names), without the metrics warnings, with an image warning since fixed. */
function earlier(): Report {
  const now = load('offline');
  const rolled = (t: string) =>
    t.replaceAll('5c65d7545c-bblr7', '6d8f9b7c4d-x2k4q').replaceAll('5c65d7545c-nnk4n', '6d8f9b7c4d-p7z9w');
  const results = now.results
    .filter((r) => r.checkId !== 'workload.metrics')
    .map((r) => ({ ...r, target: rolled(r.target) }));
  results.push({
    checkId: 'workload.image',
    code: 'workload.image/rolling-tag',
    title: 'Runner image',
    category: 'workload',
    scope: 'cluster',
    status: 'warn',
    message: 'rolling tag latest',
    target: 'matillion/matillion-runner-app-6d8f9b7c4d-x2k4q',
    durationMs: 0,
  });
  return withResults(now, results, { startedAt: '2026-11-30T09:00:00.000Z' });
}
const compared = (failOn: Report['failOn'] = 'fail'): Report => {
  const now = load('offline');
  return { ...now, failOn, baseline: compareWithBaseline(now.results, earlier(), 'previous.json') };
};

describe('markdown (GitHub-flavoured), read back with a Markdown parser', () => {
  const tokens = (md: string) => marked.lexer(md, { gfm: true });
  const text = (t: Token) => ('text' in t ? String(t.text) : '');

  it('verdict, counts, one list item per cause with its fix, all results in a collapsed table', () => {
    const report = load('offline');
    const md = renderMarkdown(report);
    const ts = tokens(md).filter((t) => t.type !== 'space');
    expect(ts[0]).toMatchObject({ type: 'heading', depth: 2, text: 'runner-doctor: ❌ findings' });
    expect(ts.find((t) => t.type === 'paragraph' && /\*\*36 failed\*\*/.test(t.raw))).toBeDefined();
    const fixHeading = ts.findIndex((t) => t.type === 'heading' && text(t).startsWith('What to fix'));
    expect(text(ts[fixHeading] ?? ts[0]!)).toBe('What to fix — 1 failure, 2 warnings (3 causes)');
    const list = ts[fixHeading + 1] as Tokens.List;
    expect(list.type).toBe('list');
    expect(list.ordered).toBe(true);
    expect(list.items).toHaveLength(causes(report).length);
    expect(list.items[0]?.text).toMatch(/9 endpoints do not resolve from the doctor or any runner pod/);
    expect(list.items[0]?.text).toMatch(/fix: the name does not resolve/);
    expect(list.items[0]?.text).toMatch(/`runner-doctor explain network.egress\/dns-nxdomain`/);
    const open = ts.findIndex(
      (t) => t.type === 'html' && t.raw.startsWith('<details><summary>All 117 results</summary>'),
    );
    expect(open).toBeGreaterThan(fixHeading);
    const table = ts[open + 1] as Tokens.Table;
    expect(table.type).toBe('table');
    expect(table.header.map((h) => h.text)).toEqual(['status', 'check', 'target', 'result']);
    expect(table.rows).toHaveLength(117);
    expect(ts[open + 2]).toMatchObject({ type: 'html', raw: expect.stringMatching(/^<\/details>/) });
  });

  it('cluster data can neither break the table nor inject HTML', () => {
    const base = load('healthy');
    const evil = { ...base.results[0]!, message: 'a | b <script>alert(1)</script> `x` **y**\nsecond line' };
    const md = renderMarkdown(withResults(base, [evil, ...base.results.slice(1)]));
    expect(md).not.toMatch(/<script>/);
    const table = tokens(md).find((t): t is Tokens.Table => t.type === 'table');
    expect(table?.rows).toHaveLength(base.results.length);
    expect(table?.rows[0]?.[3]?.text).toContain(
      'a | b &lt;script&gt;alert(1)&lt;/script&gt; \\`x\\` \\*\\*y\\*\\* second line',
    );
  });

  it('the baseline section lists new and resolved findings in a table', () => {
    const md = renderMarkdown(compared('new'));
    const ts = tokens(md).filter((t) => t.type !== 'space');
    const at = ts.findIndex((t) => t.type === 'heading' && text(t) === 'Since the baseline');
    expect(at).toBeGreaterThan(0);
    expect(ts[at + 1]?.raw).toMatch(/\*\*1 new\*\*, 1 resolved, 28 unchanged/);
    const table = ts[at + 2] as Tokens.Table;
    expect(table.rows.map((r) => [r[0]?.text, r[2]?.text])).toEqual([
      ['new', '`workload.metrics/unreachable`'],
      ['resolved', '`workload.image/rolling-tag`'],
    ]);
    expect(ts[0]).toMatchObject({ type: 'heading', text: 'runner-doctor: ❌ findings' });
  });
});

describe('JUnit', () => {
  const canValidate = Boolean(XSD && hasXmllint);
  const xmllint = (xml: string) => {
    const dir = tempDir('rd-junit-');
    writeFileSync(join(dir, 'r.xml'), xml);
    execFileSync('xmllint', ['--noout', '--schema', XSD ?? '', join(dir, 'r.xml')], { stdio: 'pipe' });
  };
  const count = (xml: string, re: RegExp) => [...xml.matchAll(re)].length;

  it('the same results in any order give the same file', () => {
    const report = load('broken-offline');
    const shuffled = [...report.results].reverse();
    shuffled.push(...shuffled.splice(0, 40));
    expect(renderJunit(withResults(report, shuffled))).toBe(renderJunit(report));
  });

  it('one testcase per check and target, unique names, one-line messages, counts that add up', () => {
    const report = load('offline');
    const multi = { ...report.results[0]!, message: 'first line\nsecond line\tand a tab' };
    const dup = { ...multi, code: `${multi.checkId}/other` };
    const xml = renderJunit(withResults(report, [...report.results, dup, { ...multi, status: 'fail' as const }]));
    const cases = [...xml.matchAll(/<testcase [^>]*name="([^"]*)"/g)].map((m) => m[1]);
    expect(cases).toHaveLength(report.results.length + 2);
    expect(new Set(cases).size).toBe(cases.length);
    for (const m of xml.matchAll(/ message="([^"]*)"/g)) expect(m[1]).not.toMatch(/[\n\r\t]|&#10;|&#9;/);
    expect(xml).toContain('message="first line second line and a tab"');
    const suites = [
      ...xml.matchAll(/<testsuite name="[^"]*" tests="(\d+)" failures="(\d+)" errors="(\d+)" skipped="(\d+)"/g),
    ];
    const sum = (i: number) => suites.reduce((a, m) => a + Number(m[i]), 0);
    const top = xml.match(/<testsuites [^>]*tests="(\d+)" failures="(\d+)" errors="(\d+)"/);
    expect([Number(top?.[1]), Number(top?.[2]), Number(top?.[3])]).toEqual([sum(1), sum(2), sum(3)]);
    expect(sum(1)).toBe(cases.length);
    expect(sum(2)).toBe(count(xml, /<failure /g));
    expect(sum(3)).toBe(count(xml, /<error /g));
    expect(sum(4)).toBe(count(xml, /<skipped /g));
    if (canValidate) xmllint(xml);
  });

  it('names the explain command, never a docs path that is not a URL', () => {
    const xml = renderJunit(load('offline'));
    expect(xml).toMatch(/explain: runner-doctor explain network\.egress\/dns-nxdomain/);
    expect(xml).not.toMatch(/docs\/checks\.md/);
  });

  it('with --baseline: counts as properties, resolved findings named, each case new or unchanged; --fail-on new fails only new ones', () => {
    const lenient = renderJunit(compared('fail'));
    const strict = renderJunit(compared('new'));
    if (canValidate) {
      xmllint(lenient);
      xmllint(strict);
    }
    expect(lenient).toMatch(
      /<property name="baseline" value="previous.json"\/><property name="baseline.startedAt" value="2026-11-30T09:00:00.000Z"\/><property name="baseline.new" value="1"\/>/,
    );
    expect(lenient).toMatch(
      /resolved since the baseline: workload\.image\/rolling-tag \[matillion\/matillion-runner-app-6d8f9b7c4d-x2k4q\] \(was warn\)/,
    );
    expect(lenient).toMatch(/baseline: unchanged/);
    // --fail-on fail: the known egress failures fail; --fail-on new: only the new metrics warnings (2 pods).
    expect(count(lenient, /<failure /g)).toBe(36);
    expect(count(strict, /<failure /g)).toBe(2);
    expect(strict).toMatch(
      /<failure type="warn" message="http:\/\/127\.1\.0\.\d:8080\/actuator\/prometheus not reachable[^"]*">WARN: [^<]*\nbaseline: new/,
    );
  });
});

describe('JSON', () => {
  const validate = new Ajv({ strict: false }).compile(schema);
  it('keeps every result and adds the causes with their finding codes; valid against the schema', () => {
    for (const name of ['offline', 'noexec', 'broken-offline', 'healthy']) {
      const report = load(name);
      const doc = JSON.parse(renderJson(report));
      expect(validate(doc), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(doc.results).toEqual(JSON.parse(JSON.stringify(report.results)));
      expect(doc.groups.length).toBe(causes(report).length);
    }
    const doc = JSON.parse(renderJson(load('noexec')));
    expect(doc.groups[0]).toMatchObject({
      kind: 'forbidden',
      status: 'error',
      codes: expect.arrayContaining([{ code: 'runtime.python.present/error-forbidden', count: 2 }]),
      explain: 'runner-doctor explain runtime.python.present',
    });
  });
  it('carries the baseline comparison, valid against the schema', () => {
    const doc = JSON.parse(renderJson(compared('new')));
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.failOn).toBe('new');
    expect(doc.baseline.new).toEqual([
      {
        code: 'workload.metrics/unreachable',
        target: 'matillion/matillion-runner-app-5c65d7545c-bblr7',
        status: 'warn',
        count: 2,
      },
    ]);
    expect(doc.groups.find((g: { isNew: boolean }) => g.isNew).codes).toEqual([
      { code: 'workload.metrics/unreachable', count: 2 },
    ]);
  });
});

describe('baseline', () => {
  it('a rollout (new pod names) is not news: findings are compared by code and stable target', () => {
    expect(stableTarget('matillion/matillion-runner-app-7c784c67c4-9slnv → api.matillion.com')).toBe(
      'matillion/matillion-runner-app-* → api.matillion.com',
    );
    expect(stableTarget('matillion/matillion-runner-app')).toBe('matillion/matillion-runner-app');
    const diff = compared().baseline!;
    expect(diff.new.map((f) => f.code)).toEqual(['workload.metrics/unreachable']);
    expect(diff.resolved.map((f) => f.code)).toEqual(['workload.image/rolling-tag']);
    // 9 endpoints from the doctor, the same 9 from the pods (one key for both pods), 9 conclusions, the HPA.
    expect(diff.unchanged).toHaveLength(28);
    expect(diff.unchanged.find((f) => f.target.endsWith('bblr7 → api.matillion.com'))).toMatchObject({ count: 2 });
  });

  it('--fail-on new: exit 1 only for new warn/fail findings; known errors are not "incomplete"', () => {
    expect(exitCodeFor(compared('fail'))).toBe(EXIT.findings);
    expect(exitCodeFor(compared('new'))).toBe(EXIT.findings);
    const now = load('offline');
    const same = { ...now, failOn: 'new' as const, baseline: compareWithBaseline(now.results, now, 'same.json') };
    expect(exitCodeFor(same)).toBe(EXIT.ok);
    const noexec = load('noexec');
    const known = {
      ...noexec,
      failOn: 'new' as const,
      baseline: compareWithBaseline(noexec.results, noexec, 'x.json'),
    };
    expect(exitCodeFor(known)).toBe(EXIT.ok);
    const before = withResults(
      noexec,
      noexec.results.filter((r) => r.status !== 'error'),
    );
    expect(exitCodeFor({ ...known, baseline: compareWithBaseline(noexec.results, before, 'x.json') })).toBe(
      EXIT.incomplete,
    );
  });

  it('the plain report shows the comparison and what the gate did', () => {
    const text = renderPlain(compared('new'));
    expect(text).toMatch(
      /Since the baseline previous\.json \(run 2026-11-30T09:00:00\.000Z\): 1 new, 1 resolved, \d+ unchanged\n {2}new {7} ‼ workload\.metrics\/unreachable {2}\[matillion-runner-app-5c65d7545c-bblr7\] ×2\n {2}resolved {2} ‼ workload\.image\/rolling-tag/,
    );
    expect(text).toMatch(/--fail-on new: 1 new finding fails the gate/);
    expect(text).toMatch(/‼ workload\.metrics: [^\n]* \[new\]/);
  });

  it('a file that is not an earlier report says why in one line', () => {
    expect(() => parseBaseline('{', 'b.json')).toThrow(/^--baseline b\.json: not JSON \(/);
    expect(() => parseBaseline('[]', 'b.json')).toThrow(
      '--baseline b.json: not a runner-doctor JSON report (not an object)',
    );
    expect(() => parseBaseline('{"schemaVersion":2,"results":[]}', 'b.json')).toThrow(/schemaVersion 2, expected 1/);
    expect(() => parseBaseline('{"schemaVersion":1,"results":[{"code":"a/b"}]}', 'b.json')).toThrow(
      /results\[0\] has no code, target or status/,
    );
    expect(parseBaseline(renderJson(load('healthy')), 'ok.json').results).toHaveLength(85);
  });
});

const res = (
  checkId: string,
  status: CheckResult['status'],
  target: string,
  extra: Partial<CheckResult> = {},
): CheckResult => ({
  checkId,
  code: `${checkId}/m`,
  title: checkId,
  category: checkId.split('.')[0] as CheckResult['category'],
  scope: 'pod',
  status,
  message: `${checkId} on ${target}`,
  target,
  durationMs: 0,
  ...extra,
});
const egress = (from: string, endpoint: string, code: string, stage = 'tcp') =>
  res('network.egress', 'fail', `${from} → ${endpoint}`, {
    code: `network.egress/${code}`,
    scope: 'vantage',
    message: `${endpoint}: ${stage.toUpperCase()} failed`,
    details: { endpoint: `${endpoint}:443`, failedStage: stage },
    remediation: { text: `packets to ${endpoint}:443 are dropped from ${from}: allow egress 443/TCP` },
  });

describe('grouping rules', () => {
  const base = load('healthy');
  const titles = (rs: CheckResult[]) => causes(withResults(base, rs)).map((c) => c.title);

  it('egress: one cause per failure class and set of vantage points, said of all its endpoints', () => {
    const pods = ['ns/app-7c784c67c4-aaaaa', 'ns/app-7c784c67c4-bbbbb'];
    const rs = [
      ...['a.example', 'b.example'].flatMap((e) => pods.map((p) => egress(p, e, 'tcp-timeout'))),
      egress('doctor', 'c.example', 'dns-nxdomain', 'dns'),
      egress(pods[0]!, 'd.example', 'tcp-timeout'),
      res('network.egress', 'pass', `doctor → a.example`, { scope: 'vantage', code: 'network.egress/reachable' }),
      res('network.egress', 'pass', `doctor → b.example`, { scope: 'vantage', code: 'network.egress/reachable' }),
    ];
    const found = causes(withResults(base, rs));
    expect(found.map((c) => c.title)).toEqual([
      '2 endpoints drop TCP connections from any runner pod (TCP: timed out)',
      '1 endpoint does not resolve from the doctor (DNS: no such name)',
      '1 endpoint drops TCP connections from 1 of 2 runner pods (TCP: timed out)',
    ]);
    expect(found[0]?.fix?.text).toBe(
      'packets to these endpoints are dropped from any runner pod: allow egress 443/TCP',
    );
  });

  it('errors: one cause per forbidden rule; the same error message across checks is one cause', () => {
    const rule = (resource: string) => ({
      apiGroups: [''],
      resources: [resource],
      verbs: ['list'],
      scope: 'namespace',
    });
    const forbidden = (id: string, resource: string) =>
      res(id, 'error', 'cluster', {
        code: `${id}/error-forbidden`,
        message: `forbidden: cannot list ${resource} in namespace ns`,
        details: { reason: 'forbidden', fact: resource, rule: rule(resource) },
      });
    const deadline = (id: string, t: string) =>
      res(id, 'error', t, {
        code: `${id}/error-deadline`,
        message: 'timed out: the run deadline passed',
        details: { reason: 'deadline' },
      });
    const found = causes(
      withResults(base, [
        forbidden('workload.secrets', 'secrets'),
        forbidden('workload.runner-pods', 'pods'),
        forbidden('identity.service-account', 'pods'),
        deadline('runtime.python.file', 'ns/p1'),
        deadline('filesystem.tmp.free', 'ns/p2'),
      ]),
    );
    expect(found.map((c) => [c.kind, c.subjects])).toEqual([
      ['forbidden', ['workload.runner-pods', 'identity.service-account']],
      ['forbidden', ['workload.secrets']],
      ['error', ['runtime.python.file', 'filesystem.tmp.free']],
    ]);
  });

  it('findings: one cause per code and fix across targets; failures by impact (pods, identity, egress, rest), warnings after', () => {
    const fix = (text: string) => ({ remediation: { text } });
    expect(
      titles([
        res('runtime.python.file', 'fail', 'ns/p1', fix('exclude it')),
        res('runtime.python.file', 'fail', 'ns/p2', { ...fix('exclude it'), message: 'runtime.python.file on ns/p1' }),
        res('filesystem.shm.size', 'warn', 'ns/p1', fix('mount more')),
        res('workload.runner-pods', 'fail', 'cluster', fix('schedule them')),
        res('credentials.aws', 'fail', 'ns/p1', fix('role')),
        res('network.policy', 'fail', 'cluster', fix('allow 443')),
        res('environment.region', 'warn', 'ns/p1', fix('set the region')),
        res('environment.region', 'warn', 'ns/p2', fix('set it another way')),
      ]),
    ).toEqual([
      'workload.runner-pods: workload.runner-pods on cluster',
      'credentials.aws: credentials.aws on ns/p1',
      'network.policy: network.policy on cluster',
      'runtime.python.file: runtime.python.file on ns/p1',
      'filesystem.shm.size: filesystem.shm.size on ns/p1',
      'environment.region: environment.region on ns/p1',
      'environment.region: environment.region on ns/p2',
    ]);
  });

  it('a waived or passing result is in no cause', () => {
    expect(
      titles([res('security.non-root', 'skip', 'ns/p1', { skipReason: 'waived' }), res('a.b', 'pass', 'x')]),
    ).toEqual([]);
  });
});

describe('docs links', () => {
  it('every finding code points at an explain command that works: its message, or its check for engine outcomes', () => {
    for (const c of CHECKS) {
      for (const m of Object.keys(c.messages))
        expect(explainCommand(`${c.id}/${m}`)).toBe(`runner-doctor explain ${c.id}/${m}`);
      for (const engine of ['error-forbidden', 'error-deadline', 'skip-waived', 'skip-blocked'])
        expect(explainCommand(`${c.id}/${engine}`)).toBe(`runner-doctor explain ${c.id}`);
    }
  });
});

describe('ink progress', () => {
  it('a check that has run for a second or more gets its own line with its time; quicker ones do not', () => {
    const now = 1_000_000;
    const { lastFrame } = render(
      createElement(Progress, {
        frame: 0,
        now,
        state: {
          categories: [{ name: 'network', total: 3, done: 1 }],
          running: ['network.egress@doctor', 'runtime.python.file', 'network.policy@cluster'],
          started: {
            'network.egress@doctor': now - 3400,
            'runtime.python.file': now - 1000,
            'network.policy@cluster': now - 200,
          },
          recent: [],
        },
      }),
    );
    const frame = lastFrame() ?? '';
    expect(frame).toMatch(/⠋ network\.egress on doctor {2}3 s/);
    expect(frame).toMatch(/⠋ runtime\.python\.file {2}1 s/);
    expect(frame).not.toMatch(/network\.policy on cluster/);
    expect(frame).toMatch(/running: network\.egress@doctor, runtime\.python\.file, network\.policy@cluster/);
  });
});
