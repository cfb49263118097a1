// Golden output of the plain report, from reports of real runs on the local control plane (trimmed and
// made machine-independent: test/unit/golden/reports/): the healthy fixture offline (egress fails
// everywhere: one root cause), the same with pods/exec forbidden (one cause naming the rule and the
// checks it blocked), a broken variant (a per-pod difference, identity, NetworkPolicy, a warning), the
// healthy fixture without derived egress targets. `vitest run -u` rewrites the goldens after a deliberate
// change; review the diff like code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { causes, rows } from '../../reporters/groups.ts';
import { renderPlain } from '../../reporters/plain.ts';
import type { Report } from '../../src/engine/report.ts';

const DIR = join(import.meta.dirname, 'golden');
const load = (name: string): Report => JSON.parse(readFileSync(join(DIR, 'reports', `${name}.json`), 'utf8'));
const FIXTURES = ['offline', 'noexec', 'broken-offline', 'healthy'] as const;

describe('plain report goldens', () => {
  for (const name of FIXTURES) {
    it(`${name}: matches the golden, no ANSI, the same text every time`, async () => {
      const report = load(name);
      const text = renderPlain(report);
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      expect(renderPlain(load(name))).toBe(text);
      await expect(text).toMatchFileSnapshot(join(DIR, `${name}.txt`));
    });
  }
  it('noexec --verbose: every target on its own line, every blocked check named', async () => {
    const text = renderPlain(load('noexec'), { verbose: true });
    expect(text).toMatch(
      /python\.present {5}forbidden: cannot get\/create pods\/exec .* \[matillion-runner-app-5c65d7545c-bblr7\]/,
    );
    expect(text).toMatch(/credentials\.token-expiry/);
    expect(text).not.toMatch(/more \(-v\)/);
    await expect(text).toMatchFileSnapshot(join(DIR, 'noexec.verbose.txt'));
  });
});

describe('what the reports say', () => {
  it('the offline healthy fixture fits on one screen, and its 36 egress failures are one root cause', () => {
    const report = load('offline');
    const text = renderPlain(report);
    expect(text.split('\n').length).toBeLessThanOrEqual(60);
    const found = causes(report);
    const egress = found.filter((c) => c.kind === 'egress');
    expect(egress).toHaveLength(1);
    expect(egress[0]).toMatchObject({
      status: 'fail',
      title: '9 endpoints do not resolve from the doctor or any runner pod (DNS: no such name)',
      explain: 'runner-doctor explain network.egress/dns-nxdomain',
      codes: [
        { code: 'network.egress/dns-nxdomain', count: 27 },
        { code: 'network.egress-paths/everywhere', count: 9 },
      ],
    });
    expect(egress[0]?.subjects).toHaveLength(9);
    expect(egress[0]?.conclusion).toMatch(/^upstream of both/);
    // The endpoints are listed once, the fix said once, for all of them.
    expect(text.match(/api\.matillion\.com/g)).toHaveLength(1);
    expect(text.match(/the name does not resolve from the doctor or any runner pod/g)).toHaveLength(1);
    expect(found.map((c) => c.status)).toEqual(['fail', 'warn', 'warn']);
  });

  it('pods/exec forbidden: one cause naming the rule and the 31 checks it blocked on 2 pods', () => {
    const report = load('noexec');
    const found = causes(report);
    const forbidden = found.filter((c) => c.kind === 'forbidden');
    expect(forbidden).toHaveLength(1);
    expect(forbidden[0]?.results).toHaveLength(62);
    expect(forbidden[0]?.subjects).toHaveLength(31);
    expect(forbidden[0]?.fix?.text).toMatch(
      /^add \{apiGroups: \[""\], resources: \["pods\/exec"\], verbs: \["get", "create"\]\} to a Role/,
    );
    const text = renderPlain(report);
    expect(text.match(/resources: \["pods\/exec"\]/g)).toHaveLength(2); // the cause line and its fix, once
    expect(text).toMatch(/judged 16 of 48 checks; 1 skipped; 31 could not run \(forbidden\): runtime\.python\.present/);
  });

  it('the broken variant: identity before egress before the rest, a per-pod difference listed under its row', () => {
    const report = load('broken-offline');
    const found = causes(report);
    expect(found.map((c) => c.checks[0])).toEqual([
      'identity.service-account',
      'network.policy',
      'network.egress',
      'runtime.python.file',
      'workload.placeholders',
      'environment.region',
      'workload.metrics',
    ]);
    const file = rows(report, found).find((r) => r.checkId === 'runtime.python.file');
    expect(file?.variants.map((v) => [v.status, v.code])).toEqual([
      ['fail', 'runtime.python.file/security-agent-kill'],
      ['pass', 'runtime.python.file/ran'],
    ]);
    const text = renderPlain(report);
    expect(text).toMatch(
      /✖ python\.file {8}1 failed, 1 passed \(2\/2 pods\) → fix 4\n {34}✖ matillion-runner-app-bc66d8f78-4cgwn: python3 was killed \(exit 137\)/,
    );
  });

  it('identical results across the pods are one line with the count', () => {
    const text = renderPlain(load('broken-offline'));
    expect(text).toMatch(
      /‼ region {13}MATILLION_REGION is "us-east-1", not one of us1, eu1, au1: endpoints fall back to us1 \(2\/2 pods\) → fix 6/,
    );
    expect(text).toMatch(
      /^filesystem {3}✔ tmp\.writable, tmp\.exec, tmp\.free, shm\.size, workdir\.writable, rootfs\.readonly \(2\/2 pods\)$/m,
    );
  });

  it('every warn, fail and error result is in exactly one cause', () => {
    for (const name of FIXTURES) {
      const report = load(name);
      const members = causes(report).flatMap((c) => c.results);
      const findings = report.results.flatMap((r, i) => (['warn', 'fail', 'error'].includes(r.status) ? [i] : []));
      expect(
        [...members].sort((a, b) => a - b),
        name,
      ).toEqual(findings);
    }
  });
});
