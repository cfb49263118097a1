// SIGTERM (a Job past its activeDeadlineSeconds, a cancelled CI job) and Ctrl-C end a run like its
// deadline: unfinished checks become errors, every report is written, the exit code says "incomplete".
// The probe here is a shell that never finishes, so the run is surely still going when the signal comes.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.ts';

const BIN = join(process.cwd(), 'bin/runner-doctor');

async function interrupted(sig: NodeJS.Signals) {
  const dir = tempDir('rd-sig-');
  const mark = join(dir, 'probe-started');
  const shell = join(dir, 'hanging-sh');
  writeFileSync(shell, `#!/bin/sh\ntouch "${mark}"\nexec sleep 60\n`);
  chmodSync(shell, 0o755);
  const child = spawn(
    process.execPath,
    [
      BIN,
      'check',
      '--local',
      '--no-derived-targets',
      '--probe-shell',
      shell,
      '--output',
      `json=${dir}/r.json`,
      '--output',
      `junit=${dir}/r.xml`,
    ],
    { env: { PATH: process.env.PATH, HOME: dir, CI: 'true' } },
  );
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  for (let i = 0; i < 300 && !existsSync(mark); i++) await new Promise((r) => setTimeout(r, 100));
  expect(existsSync(mark), 'the probe started').toBe(true);
  child.kill(sig);
  const code = await done;
  const report = JSON.parse(readFileSync(`${dir}/r.json`, 'utf8')) as {
    notes: string[];
    results: { status: string; scope: string }[];
  };
  return { code, stderr, report, xml: readFileSync(`${dir}/r.xml`, 'utf8') };
}

describe('a signal ends the run like the deadline', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s: the report is written, unfinished checks are errors, exit 4',
    async (sig) => {
      const { code, stderr, report, xml } = await interrupted(sig);
      expect(code).toBe(4);
      expect(stderr).toContain(`runner-doctor: ${sig}: stopping`);
      expect(report.notes).toContain(`interrupted by ${sig}: unfinished checks are reported as errors`);
      const inPod = report.results.filter((r) => r.scope === 'pod');
      expect(inPod.length).toBeGreaterThan(10);
      expect(inPod.every((r) => r.status === 'error' || r.status === 'skip')).toBe(true);
      expect(xml).toMatch(/<testsuites /);
    },
  );
});
