// The kubectl plugin, through our built kubectl on the real control plane: bin/kubectl-runner_doctor
// reached through a symlink on PATH (as krew or a user's ~/bin installs it) is listed by `kubectl plugin
// list` and runs `kubectl runner-doctor check …` with the flags kubectl passes through untouched.
import { execFile } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { BIN_DIR, Cluster } from '../cluster/cluster.ts';
import { NS } from '../cluster/fixture.ts';
import { tempDir } from '../helpers/tmp.ts';

const execFileP = promisify(execFile);
const skip = inject('clusterSkip');
const c = skip ? (undefined as unknown as Cluster) : Cluster.attach(inject('clusterDir'));
const KUBECTL = join(BIN_DIR, 'kubectl');
const PLUGIN = join(process.cwd(), 'bin/kubectl-runner_doctor');
const pkg = (await import('../../package.json', { with: { type: 'json' } })).default;

let pluginDir = '';
/** The plugin's directory first, then Node 24 (the plugin's `#!/usr/bin/env node` must not find Node 20). */
const pathWith = (...rest: string[]) => [pluginDir, ...rest, process.env.PATH].join(':');

async function kubectl(args: string[], path = pathWith(join(process.cwd(), 'node_modules/.bin'))) {
  // No KUBECONFIG: the plugin must get its cluster from the flags kubectl passes through.
  const env = { PATH: path, HOME: process.env.HOME };
  try {
    const { stdout, stderr } = await execFileP(KUBECTL, args, { env, cwd: tmpdir(), maxBuffer: 32 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

describe.skipIf(Boolean(skip))('kubectl runner-doctor (plugin)', () => {
  beforeAll(() => {
    pluginDir = tempDir('rd-plugin-');
    symlinkSync(PLUGIN, join(pluginDir, 'kubectl-runner_doctor'));
  });

  it('is listed by kubectl plugin list', async () => {
    const r = await kubectl(['plugin', 'list']);
    expect(r.stdout).toContain(join(pluginDir, 'kubectl-runner_doctor'));
  });

  it('prints its version', async () => {
    const r = await kubectl(['runner-doctor', '--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it('runs check with -n, --context and --kubeconfig passed through', async () => {
    const context = (
      await execFileP(KUBECTL, ['config', 'current-context', '--kubeconfig', c.kubeconfig])
    ).stdout.trim();
    const r = await kubectl([
      'runner-doctor',
      'check',
      '-n',
      NS,
      '--context',
      context,
      '--kubeconfig',
      c.kubeconfig,
      '--only',
      'cluster.version',
      '--no-derived-targets',
      '--output',
      'json=-',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      target: { namespace?: string; context?: string };
      results: { checkId: string; status: string }[];
    };
    expect(report.target).toMatchObject({ namespace: NS, context });
    expect(report.results.filter((x) => x.checkId === 'cluster.version').map((x) => x.status)).toEqual(['pass']);
  });

  // kubectl runs the first `node` on PATH; a system Node.js that is too old gets one clear line, exit 3.
  const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((n) => existsSync(n));
  it.skipIf(!oldNode)('says which node is too old when an old one is first on PATH', async () => {
    const { stdout } = await execFileP(oldNode!, ['-p', 'process.versions.node']);
    const [major = 0, minor = 0] = stdout.trim().split('.').map(Number);
    if (major > 22 || (major === 22 && minor >= 19)) return; // not too old: nothing to see here
    const r = await kubectl(['runner-doctor', '--version'], pathWith('/usr/bin', '/bin'));
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')[0]).toMatch(
      /^kubectl runner-doctor: needs Node\.js >= 22\.19, but the `node`.*v\d+/,
    );
  });
});
