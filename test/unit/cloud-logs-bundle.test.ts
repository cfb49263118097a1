// The cloud SDKs load lazily: the built CLI is split into chunks, and a run without --azure-workspace or
// --aws-log-group loads none of the chunks that hold @azure/identity, @azure/monitor-query-logs or
// @aws-sdk/client-cloudwatch-logs — `--version` and `check --local` pay nothing for them. Proven by a
// module hook that records every file the process loads, then looking into those files.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.ts';

const BIN = join(process.cwd(), 'bin/runner-doctor');
/** Strings only the SDKs' own code holds (user agents, the JSON 1.1 target prefix). */
const MARKERS = ['azsdk-js-monitor-query-logs', 'Logs_20140328', 'msal-node'];
let dir: string;

beforeAll(() => {
  if (!existsSync('dist/runner-doctor.mjs'))
    execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  dir = tempDir('rd-bundle-');
  writeFileSync(
    join(dir, 'hook.mjs'),
    "import { registerHooks } from 'node:module';\nimport { appendFileSync } from 'node:fs';\n" +
      'registerHooks({ load(url, ctx, next) { appendFileSync(process.env.RD_LOADED, url + "\\n"); return next(url, ctx); } });\n',
  );
});

function loaded(args: string[]): string[] {
  const log = join(dir, `loaded-${Math.random().toString(36).slice(2)}`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', join(dir, 'hook.mjs'), BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CI: '1', RD_LOADED: log },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, r.stderr).not.toBeNull();
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((u) => u.startsWith('file:'))
    .map((u) => fileURLToPath(u));
}

describe('the cloud SDKs stay out of runs that do not read logs', () => {
  it('the markers are in the SDK chunks (so their absence below means something)', () => {
    const chunks = readdirSync('dist/chunks').map((f) => readFileSync(join('dist/chunks', f), 'utf8'));
    for (const m of MARKERS)
      expect(
        chunks.some((c) => c.includes(m)),
        m,
      ).toBe(true);
  });

  it.each([
    ['--version', ['--version']],
    ['check --local', ['check', '--local', '--no-derived-targets', '--only', 'runtime']],
  ])('%s loads no SDK chunk', (_name, args) => {
    const files = loaded(args);
    expect(files.some((f) => f.includes('/dist/'))).toBe(true);
    const withSdk = files.filter((f) => f.endsWith('.mjs') && MARKERS.some((m) => readFileSync(f, 'utf8').includes(m)));
    expect(withSdk).toEqual([]);
  });
});
