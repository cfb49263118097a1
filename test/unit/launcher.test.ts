// bin/runner-doctor on an older Node.js (this machine's system Node is 20): it re-runs itself with the
// node@24 that `npm ci` put in node_modules/node, so the exit code and output are those of a Node 24 run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = process.cwd();
const BIN = join(ROOT, 'bin/runner-doctor');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

/** An installed Node.js older than 22.19 (the system one here), if there is one. */
function oldNode(): string | undefined {
  for (const p of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(p)) continue;
    const v = execFileSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    const [major = 0, minor = 0] = v.split('.').map(Number);
    if (major < 22 || (major === 22 && minor < 19)) return p;
  }
  return undefined;
}
const old = oldNode();

describe.skipIf(!old)(`the launcher on an older Node.js (${old ?? 'none installed'})`, () => {
  const node = old ?? '';
  it('re-runs itself with the node@24 from node_modules', () => {
    const r = spawnSync(node, [BIN, 'check', '--local', '--only', 'runtime.python.present', '-o', 'json=-'], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { tool: { version: string; node?: string } };
    expect(report.tool.version).toBe(pkg.version);
  });

  it('passes the exit code of a usage error through', () => {
    const r = spawnSync(node, [BIN, 'check', '--bogus'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Unknown argument: bogus');
  });

  it('says what to do when no newer Node.js is at hand', () => {
    // RUNNER_DOCTOR_REEXEC marks a run that was already re-executed: the launcher must not loop.
    const r = spawnSync(node, [BIN, '--version'], {
      encoding: 'utf8',
      env: { ...process.env, RUNNER_DOCTOR_REEXEC: '1' },
    });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/needs Node\.js >= 22\.19 \(this is v\d+.*npm ci/);
  });
});
