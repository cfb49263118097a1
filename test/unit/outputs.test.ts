// Where reports are written: a regular file atomically (temp file + rename), anything else in place. A
// rename over a device or FIFO replaces the node itself — `--output json=/dev/null` run as root once
// turned this machine's /dev/null into a regular file. The FIFO stands in for a device here (creating a
// character device needs mknod and would be a real one).
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { writeAtomic } from '../../src/cli/outputs.ts';
import { tempDir } from '../helpers/tmp.ts';

const dir = tempDir('rd-outputs-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeAtomic', () => {
  it('replaces a regular file whole and leaves no temp file behind', async () => {
    const f = join(dir, 'report.json');
    writeFileSync(f, 'old old old old');
    await writeAtomic(f, '{"new":1}');
    expect(readFileSync(f, 'utf8')).toBe('{"new":1}');
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('creates missing directories', async () => {
    const f = join(dir, 'a', 'b', 'doctor.xml');
    await writeAtomic(f, '<testsuites/>');
    expect(readFileSync(f, 'utf8')).toBe('<testsuites/>');
  });

  it('writes into a FIFO in place: the node stays a FIFO and the reader gets the report', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
    let got = '';
    reader.stdout.on('data', (b: Buffer) => (got += b));
    const closed = new Promise((r) => reader.on('close', r));
    try {
      // Bounded: a write that replaced the FIFO would leave the reader waiting for ever.
      await Promise.race([writeAtomic(fifo, 'report through a pipe'), sleep(10_000)]);
      await Promise.race([closed, sleep(10_000)]);
    } finally {
      reader.kill();
    }
    expect(got).toBe('report through a pipe');
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it('refuses a directory with a clear error', async () => {
    await expect(writeAtomic(dir, 'x')).rejects.toThrow(/is a directory/);
  });
});
