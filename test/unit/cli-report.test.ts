// The built binary's report options, as a CI job uses them: --baseline with --fail-on new (known debt
// passes the gate, a new finding fails it, in every format), a bad baseline file as a usage error in one
// line, --output markdown=PATH for the step summary, --verbose for every target.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { marked } from 'marked';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FixtureOptions, makeFixture } from '../helpers/fixture-root.ts';
import { tempDir } from '../helpers/tmp.ts';

const BIN = join(process.cwd(), 'bin/runner-doctor');
beforeAll(() => {
  if (!existsSync('dist/runner-doctor.mjs'))
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
});

/** `check --local` on a fixture root; never the internet (no derived egress targets). */
function check(fixture: FixtureOptions, args: string[]) {
  const fx = makeFixture(fixture);
  const res = spawnSync(
    process.execPath,
    [BIN, 'check', '--local', '--no-derived-targets', '--root', fx.root, ...args],
    { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...fx.env }, encoding: 'utf8', timeout: 60_000 },
  );
  fx.cleanup();
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('--baseline and --fail-on new', () => {
  const dir = tempDir('rd-baseline-');
  const root = { uid: 0 } satisfies FixtureOptions; // runs as root: security.non-root fails
  const worse = { uid: 0, cgroup: { version: 2, memoryMax: '4294967296', memoryCurrent: '10', oomKill: 3 } } as const;

  it('known findings pass the gate, a new one fails it; every format says which is which', () => {
    const first = check(root, ['--output', `json=${dir}/before.json`]);
    expect(first.code).toBe(1);
    // Same findings as the baseline: exit 0 with --fail-on new (and still 1 without it).
    const same = check(root, ['--baseline', `${dir}/before.json`, '--fail-on', 'new']);
    expect(same.stderr).toBe('');
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/^Since the baseline .*before\.json \(run [^)]+\): 0 new, 0 resolved, \d+ unchanged$/m);
    expect(same.stdout).toMatch(/--fail-on new: no new finding; \d+ known findings? do(es)? not fail the gate/);
    expect(check(root, ['--baseline', `${dir}/before.json`]).code).toBe(1);

    const out = ['json', 'junit', 'markdown'].flatMap((f) => ['--output', `${f}=${dir}/after.${f}`]);
    const next = check(worse, ['--baseline', `${dir}/before.json`, '--fail-on', 'new', ...out]);
    expect(next.code).toBe(1);
    expect(next.stdout).toMatch(/^ {2}new {7} ✖ resources\.oom-kills\/killed {2}\[local\]$/m);
    expect(next.stdout).toMatch(/--fail-on new: 1 new finding fails the gate/);
    const json = JSON.parse(readFileSync(`${dir}/after.json`, 'utf8'));
    expect(json.baseline.new.map((f: { code: string }) => f.code)).toEqual(['resources.oom-kills/killed']);
    const xml = readFileSync(`${dir}/after.junit`, 'utf8');
    expect([...xml.matchAll(/<failure /g)]).toHaveLength(1);
    expect(xml).toMatch(/<failure type="fail" message="3 OOM kill/);
    const md = marked.lexer(readFileSync(`${dir}/after.markdown`, 'utf8'));
    const heading = md.find((t) => t.type === 'heading' && t.text === 'Since the baseline');
    expect(heading).toBeDefined();
  });

  it('a missing or malformed baseline, or --fail-on new without one, is a usage error in one line', () => {
    const missing = check(root, ['--baseline', `${dir}/nope.json`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`runner-doctor: --baseline ${dir}/nope.json: cannot read it (ENOENT)\n`);
    writeFileSync(`${dir}/bad.json`, '{"schemaVersion": 1}');
    const bad = check(root, ['--baseline', `${dir}/bad.json`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      `runner-doctor: --baseline ${dir}/bad.json: not a runner-doctor JSON report (no results array)\n`,
    );
    const alone = check(root, ['--fail-on', 'new']);
    expect(alone.code).toBe(2);
    expect(alone.stderr.trim().split('\n')).toHaveLength(1);
    expect(alone.stderr).toMatch(/--fail-on new compares with an earlier report: name it with --baseline/);
  });
});

describe('--output markdown and --verbose', () => {
  it('writes the CI summary; -v lists every check with its own message', () => {
    const dir = tempDir('rd-md-');
    const quiet = check({}, ['--output', `markdown=${dir}/summary.md`]);
    const md = readFileSync(`${dir}/summary.md`, 'utf8');
    expect(md).toMatch(/^## runner-doctor: /);
    expect(md).toMatch(/<details><summary>All \d+ results<\/summary>/);
    // Default: the checks that passed share a line; -v gives each its own with its message.
    expect(quiet.stdout).toMatch(
      /^filesystem +✔ tmp\.writable, tmp\.exec, tmp\.free, shm\.size, workdir\.writable, rootfs\.readonly$/m,
    );
    const loud = check({}, ['-v']);
    expect(loud.stdout).toMatch(/^filesystem +✔ tmp\.writable +\/tmp is writable$/m);
    expect(loud.stdout).toMatch(/^ +✔ shm\.size +\/dev\/shm is /m);
  });
});
