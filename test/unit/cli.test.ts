// The built binary, spawned as a user would: exit codes, several outputs in one run, usage and config
// errors in one line, and a canary secret that must appear in no output of any format.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Ajv } from 'ajv';
import schema from '../../reporters/report.schema.json' with { type: 'json' };
import snapshotSchema from '../../src/facts/snapshot.schema.json' with { type: 'json' };
import { fakeJwt, makeFixture, type Fixture } from '../helpers/fixture-root.ts';
import { XSD } from '../helpers/xsd.ts';
import { tempDir } from '../helpers/tmp.ts';

const BIN = join(process.cwd(), 'bin/runner-doctor');
beforeAll(() => {
  if (!existsSync('dist/runner-doctor.mjs'))
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
});

function run(args: string[], env: NodeJS.ProcessEnv = {}, fx?: Fixture) {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...(fx?.env ?? {}), ...env };
  // Tests never reach the internet: the endpoints derived from the runner's settings are off here
  // (the egress tests point targets at servers on 127.0.0.1).
  const noInternet = args[0] === 'check' && !args.includes('--derived-targets') ? ['--no-derived-targets'] : [];
  const res = spawnSync(process.execPath, [BIN, ...args, ...noInternet, ...(fx ? ['--root', fx.root] : [])], {
    env: base,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}
const tmp = () => tempDir('rd-cli-');

describe('CLI basics', () => {
  it('--version prints the package version', () => {
    const { code, stdout } = run(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });
  it('--help shows examples and the exit codes', () => {
    const { code, stdout } = run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/--output junit=doctor.xml/);
    expect(stdout).toMatch(/2 {2}usage or config error/);
    expect(stdout).toMatch(/4 {2}incomplete: no finding at the threshold, but some checks could not judge/);
  });
  it('a bad flag is one line on stderr and exit code 2, no stack trace', () => {
    const { code, stderr } = run(['check', '--local', '--bogus']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^runner-doctor: Unknown argument: bogus/);
    expect(stderr).not.toMatch(/\s+at /);
  });
  it('a bad --output spec and an unknown check are usage errors', () => {
    expect(run(['check', '--local', '--output', 'xml=r.xml'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--output "xml=r.xml" is not FORMAT=PATH/),
    });
    expect(run(['check', '--local', '--only', 'runtime.pyton'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/no check, category or tag matches "runtime.pyton"/),
    });
    expect(run(['check', '--local', '--namespace', 'x'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/mutually exclusive|conflict/i),
    });
    expect(run(['check', '--pod', 'p'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--pod needs --namespace/),
    });
  });
  it('list --json and explain', () => {
    const list = JSON.parse(run(['list', '--json']).stdout);
    expect(list.length).toBeGreaterThan(25);
    expect(list.find((c: { id: string }) => c.id === 'runtime.python.file').docs.why).toMatch(/137/);
    const ex = run(['explain', 'runtime.python.file']);
    expect(ex.code).toBe(0);
    expect(ex.stdout).toMatch(/How to fix: +Create an exclusion/);
    expect(run(['explain', 'python.file'])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/did you mean runtime.python.file/),
    });
  });
});

describe('check --local', () => {
  it('writes terminal, JUnit and JSON in one run; exit 1 on a failure', () => {
    const fx = makeFixture({ uid: 0, cgroup: { version: 2, memoryMax: '1000', memoryCurrent: '10', oomKill: 2 } });
    const dir = tmp();
    const { code, stdout } = run(
      [
        'check',
        '--local',
        '--output',
        `junit=${dir}/r.xml`,
        '--output',
        `json=${dir}/sub/r.json`,
        '--output',
        `text=${dir}/r.txt`,
      ],
      {},
      fx,
    );
    expect(code).toBe(1);
    expect(stdout).toMatch(/✖ oom-kills +2 OOM kill/);
    expect(stdout).not.toMatch(/\u001b/);
    const json = JSON.parse(readFileSync(`${dir}/sub/r.json`, 'utf8'));
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.results.find((r: { checkId: string }) => r.checkId === 'resources.oom-kills').status).toBe('fail');
    expect(readFileSync(`${dir}/r.xml`, 'utf8')).toMatch(/<failure type="fail" message="2 OOM kill/);
    expect(readFileSync(`${dir}/r.txt`, 'utf8')).toContain('Summary:');
    if (XSD) execFileSync('xmllint', ['--noout', '--schema', XSD, `${dir}/r.xml`], { stdio: 'pipe' });
    fx.cleanup();
  });
  it('exit 0 when nothing reaches the threshold; --fail-on warn turns a warning into exit 1', () => {
    const fx = makeFixture({ overcommit: 2 });
    expect(run(['check', '--local', '--only', 'resources.overcommit'], {}, fx).code).toBe(0);
    expect(run(['check', '--local', '--only', 'resources.overcommit', '--fail-on', 'warn'], {}, fx).code).toBe(1);
    fx.cleanup();
  });
  it('--output json=- puts only JSON on stdout', () => {
    const fx = makeFixture({});
    const { stdout } = run(['check', '--local', '--only', 'filesystem', '--output', 'json=-'], {}, fx);
    const doc = JSON.parse(stdout);
    expect(doc.results.every((r: { category: string }) => r.category === 'filesystem')).toBe(true);
    fx.cleanup();
  });
  it('FORCE_COLOR colours a non-TTY run, NO_COLOR wins over it', () => {
    const fx = makeFixture({});
    expect(run(['check', '--local', '--only', 'filesystem.tmp.writable'], { FORCE_COLOR: '1' }, fx).stdout).toMatch(
      /\u001b\[32m✔/,
    );
    expect(
      run(['check', '--local', '--only', 'filesystem.tmp.writable'], { FORCE_COLOR: '1', NO_COLOR: '1' }, fx).stdout,
    ).not.toMatch(/\u001b/);
    fx.cleanup();
  });
  it('a bad config file: one line naming the line and key, exit 2, and a JUnit file explaining it', () => {
    const dir = tmp();
    writeFileSync(`${dir}/doctor.yaml`, 'failOn: fail\nwaivers:\n  - check: security.non-root\n    reson: typo\n');
    const { code, stderr } = run([
      'check',
      '--local',
      '--config',
      `${dir}/doctor.yaml`,
      '--output',
      `junit=${dir}/r.xml`,
    ]);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      `runner-doctor: ${dir}/doctor.yaml:4: waivers[0].reson: unknown key (allowed: check, reason, expires, target)`,
    );
    expect(readFileSync(`${dir}/r.xml`, 'utf8')).toMatch(/<error type="could-not-run" message="config error: /);
  });
  it('waivers from the config skip a check with the reason; an expired one warns', () => {
    const fx = makeFixture({ uid: 0, seccomp: 0 });
    const dir = tmp();
    writeFileSync(
      `${dir}/doctor.yaml`,
      'waivers:\n  - check: security.non-root\n    reason: vendor image runs as root\n  - check: security.seccomp\n    reason: old waiver\n    expires: 2020-01-01\n',
    );
    const { stdout } = run(['check', '--local', '--only', 'security,config', '--config', `${dir}/doctor.yaml`], {}, fx);
    expect(stdout).toMatch(/○ non-root +waived: vendor image runs as root/);
    expect(stdout).toMatch(/‼ seccomp +seccomp is disabled/);
    expect(stdout).toMatch(/‼ waivers +waiver for security\.seccomp expired on 2020-01-01/);
    fx.cleanup();
  });
  it('could not run at all: exit 3, every output still written with the reason', () => {
    const dir = tmp();
    const { code, stdout } = run([
      'check',
      '--local',
      '--probe-shell',
      '/nonexistent/sh',
      '--output',
      `junit=${dir}/r.xml`,
      '--output',
      `json=${dir}/r.json`,
    ]);
    expect(code).toBe(3);
    expect(stdout).toMatch(/could not run: the local probe failed: could not start \/nonexistent\/sh/);
    expect(JSON.parse(readFileSync(`${dir}/r.json`, 'utf8')).fatal.message).toMatch(/could not start/);
    expect(readFileSync(`${dir}/r.xml`, 'utf8')).toMatch(/could-not-run/);
  });
});

describe('snapshots: collect once, judge again offline', () => {
  const strip = (doc: { results: { durationMs: number }[] }) => doc.results.map(({ durationMs: _d, ...r }) => r);

  it('a --local run and an offline run of its snapshot give the same results; the schema validates the snapshot', () => {
    const fx = makeFixture({ uid: 0, cgroup: { version: 2, memoryMax: '1000', memoryCurrent: '10', oomKill: 2 } });
    const dir = tmp();
    const liveRun = run(
      ['check', '--local', '--output', `json=${dir}/live.json`, '--save-snapshot', `${dir}/s.json`],
      {},
      fx,
    );
    const offline = spawnSync(
      process.execPath,
      [BIN, 'check', '--from-snapshot', `${dir}/s.json`, '--output', `json=${dir}/offline.json`],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME }, encoding: 'utf8' },
    );
    expect(offline.status).toBe(liveRun.code);
    const live = JSON.parse(readFileSync(`${dir}/live.json`, 'utf8'));
    const off = JSON.parse(readFileSync(`${dir}/offline.json`, 'utf8'));
    expect(strip(off)).toEqual(strip(live));
    expect(off.summary).toEqual(live.summary);
    expect(off.target).toMatchObject({ mode: 'local', snapshot: `${dir}/s.json` });
    const validate = new Ajv({ strict: false }).compile(snapshotSchema);
    const snap = JSON.parse(readFileSync(`${dir}/s.json`, 'utf8'));
    expect(validate(snap), JSON.stringify(validate.errors)).toBe(true);
    expect(Object.keys(snap.facts.local).sort()).toEqual([
      'cgroup',
      'credentials',
      'egress',
      'env',
      'filesystem',
      'identity',
      'identityExchange',
      'kernel',
      'runtimes',
      'scriptRunnerReach',
    ]);
    expect(Object.keys(snap.facts.run).sort()).toEqual(['config', 'now']);
    fx.cleanup();
  });

  it('exit 4 when nothing fails but a fact could not be collected; the checks that read it say why', () => {
    const fx = makeFixture({});
    const dir = tmp();
    run(['check', '--local', '--only', 'filesystem,resources.memory', '--save-snapshot', `${dir}/s.json`], {}, fx);
    const snap = JSON.parse(readFileSync(`${dir}/s.json`, 'utf8'));
    snap.facts.local.cgroup = {
      error: {
        kind: 'forbidden',
        message:
          'forbidden: cannot create pods/exec in namespace matillion (needs {apiGroups: [""], resources: ["pods/exec"], verbs: ["create"]})',
        remediation: 'add the rule',
      },
    };
    writeFileSync(`${dir}/s.json`, JSON.stringify(snap));
    const r = spawnSync(
      process.execPath,
      [BIN, 'check', '--from-snapshot', `${dir}/s.json`, '--only', 'filesystem,resources.memory', '--output', 'json=-'],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME }, encoding: 'utf8' },
    );
    const doc = JSON.parse(r.stdout);
    expect(doc.results.find((x: { checkId: string }) => x.checkId === 'resources.memory')).toMatchObject({
      status: 'error',
      code: 'resources.memory/error-forbidden',
      message: expect.stringMatching(/^forbidden: cannot create pods\/exec/),
    });
    expect(doc.results.filter((x: { status: string }) => x.status === 'fail' || x.status === 'warn')).toEqual([]);
    expect(r.status).toBe(4);
    fx.cleanup();
  });

  it('a file that is not a snapshot is a usage error in one line', () => {
    const dir = tmp();
    writeFileSync(`${dir}/x.json`, '{"hello": 1}');
    expect(run(['check', '--from-snapshot', `${dir}/x.json`])).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/is not a runner-doctor snapshot/),
    });
    expect(run(['check', '--from-snapshot', `${dir}/x.json`, '--local'])).toMatchObject({ code: 2 });
  });
});

describe('check --namespace without a cluster', () => {
  it('no kubeconfig at all: exit 3, one line of why in every output', () => {
    const dir = tmp();
    const { code, stdout } = run(['check', '--namespace', 'matillion', '--output', `junit=${dir}/r.xml`], {
      HOME: dir,
      KUBECONFIG: '',
    });
    expect(code).toBe(3);
    expect(stdout).toMatch(/could not run: no kubeconfig found and not running inside a cluster/);
    expect(readFileSync(`${dir}/r.xml`, 'utf8')).toMatch(/could-not-run/);
  });
  it('a broken kubeconfig file: exit 3 naming the file', () => {
    const dir = tmp();
    writeFileSync(`${dir}/kc`, 'apiVersion: v1\nclusters: [ {');
    const { code, stdout } = run(['check', '--namespace', 'matillion', '--kubeconfig', `${dir}/kc`]);
    expect(code).toBe(3);
    expect(stdout).toMatch(new RegExp(`could not run: cannot load the kubeconfig ${dir}/kc`));
  });
});

describe('secrets never leave memory', () => {
  it('a canary secret in the environment appears in no output of any format', () => {
    const CANARY = 'canary-7f3a9c-DO-NOT-PRINT';
    const tokenFile = '/var/run/secrets/azure/tokens/azure-identity-token';
    const jwt = fakeJwt({ exp: Math.floor(Date.now() / 1000) + 600, sub: CANARY });
    const fx = makeFixture({ files: { [tokenFile]: jwt } });
    const dir = tmp();
    const env = {
      OAUTH_CLIENT_SECRET: CANARY,
      OAUTH_CLIENT_ID: `${CANARY}-id`,
      AWS_SECRET_ACCESS_KEY: CANARY,
      AZURE_CLIENT_SECRET: `<${CANARY}>`,
      MY_DB_PASSWORD: CANARY,
      PROXY_HTTPS: `http://user:${CANARY}@proxy.internal:3128`,
      CLOUD_PROVIDER: 'AZURE',
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
    };
    const { stdout, stderr } = run(
      [
        'check',
        '--local',
        '--output',
        `junit=${dir}/r.xml`,
        '--output',
        `json=${dir}/r.json`,
        '--output',
        `text=${dir}/r.txt`,
        '--output',
        `markdown=${dir}/r.md`,
        '--save-snapshot',
        `${dir}/s.json.gz`,
        '--verbose',
      ],
      env,
      fx,
    );
    const snapshot = gunzipSync(readFileSync(`${dir}/s.json.gz`)).toString('utf8');
    expect(JSON.parse(snapshot).kind).toBe('runner-doctor-snapshot');
    const outputs = [
      stdout,
      stderr,
      snapshot,
      ...['r.xml', 'r.json', 'r.txt', 'r.md'].map((f) => readFileSync(`${dir}/${f}`, 'utf8')),
    ];
    for (const o of outputs) {
      expect(o).not.toContain(CANARY);
      expect(o).not.toContain(jwt);
      expect(o).not.toContain(jwt.split('.')[1]);
    }
    // The checks did see them: names are reported, values are not.
    expect(stdout).toMatch(/placeholders +unfilled placeholders: AZURE_CLIENT_SECRET/);
    expect(stdout).toMatch(/AZURE_FEDERATED_TOKEN_FILE: token valid until/);
    fx.cleanup();
  });
});
