// The single executable (`npm run build:binary`): built once, then run with a PATH that holds no node
// at all — only sh and the few tools the local probe uses — and compared with the bundle run by Node.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolboxDir } from '../helpers/fixture-root.ts';
import { tempDir } from '../helpers/tmp.ts';

const execFileP = promisify(execFile);
const ROOT = process.cwd();
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
let dir = '';
let binary = '';
// /usr/bin/node may exist here (a system Node.js): the PATH is a directory of symlinks to just sh and
// the coreutils the probe needs.
const PATH = toolboxDir();
const env = { PATH, HOME: tmpdir() };

/** Runs the binary from a neutral directory (no package.json or node_modules to lean on). */
async function run(args: string[]) {
  try {
    const { stdout, stderr } = await execFileP(binary, args, { env, cwd: dir, maxBuffer: 32 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

interface Report {
  tool: { version: string };
  target: { mode: string };
  results: { checkId: string; target: string; code: string; status: string }[];
  fatal?: unknown;
}
const codes = (r: Report) => r.results.map((x) => `${x.checkId} ${x.target} ${x.code}`).sort();

describe('the single executable (Node SEA)', () => {
  beforeAll(() => {
    dir = tempDir('rd-binary-');
    binary = join(dir, 'runner-doctor-linux-x64');
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-binary.mjs'), '--out', binary], { cwd: ROOT });
  }, 180_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs with no node on PATH', () => {
    expect(() => execFileSync('/bin/sh', ['-c', 'command -v node'], { env })).toThrow();
    expect(statSync(binary).mode & 0o111).toBeTruthy();
  });

  it('--version is the package version', async () => {
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('list and explain', async () => {
    const list = await run(['list']);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toContain('runtime.python.file');
    const explain = await run(['explain', 'runtime.python.file']);
    expect(explain).toMatchObject({ code: 0, stderr: '' });
    expect(explain.stdout).toMatch(/^runtime\.python\.file — /);
    expect(explain.stdout).toContain('security-agent');
  });

  it('check --local judges this host exactly like the bundle run by Node does', async () => {
    const args = ['check', '--local', '--no-derived-targets', '--output', 'json=-'];
    const r = await run(args);
    expect(r.stderr).toBe('');
    expect([0, 1, 4]).toContain(r.code);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.fatal).toBeUndefined();
    expect(report.tool.version).toBe(pkg.version);
    expect(report.target.mode).toBe('local');
    expect(report.results.length).toBeGreaterThan(20);
    // The probe ran: in-pod checks judged, not all errors.
    expect(report.results.some((x) => x.checkId.startsWith('filesystem.') && x.status === 'pass')).toBe(true);

    const viaNode = await execFileP(process.execPath, [join(ROOT, 'bin/runner-doctor'), ...args], {
      env,
      cwd: dir,
    }).catch((e: { stdout: string }) => e);
    expect(codes(report)).toEqual(codes(JSON.parse(viaNode.stdout) as Report));
  });

  it('an unknown command is a usage error (exit 2, one line)', async () => {
    const r = await run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
