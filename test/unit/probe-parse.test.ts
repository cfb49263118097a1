// The probe's output is untrusted: strict parsing, cleaning, truncation, and the real probe on this
// machine's own /proc and /sys.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { parseRaw, ProbeParseError, toFacts, mountFor, parseMountinfo } from '../../src/facts/pod/parse.ts';
import { runLocalProbe } from '../../src/facts/local/probe.ts';
import { makeFixture } from '../helpers/fixture-root.ts';
import { tempDir } from '../helpers/tmp.ts';
import { join } from 'node:path';

const N = 'abc123';
const wrap = (...lines: string[]) => [`@@RDP:${N}:begin:1`, ...lines, `@@RDP:${N}:end`].join('\n');

describe('probe output parser', () => {
  it('reads kv lines and file sections', () => {
    const raw = parseRaw(
      wrap(
        `@@RDP:${N}:kv:python.path=/usr/bin/python3`,
        `@@RDP:${N}:file:/proc/self/status`,
        'Uid:\t0\t0\t0\t0',
        'Seccomp:\t2',
      ),
      N,
    );
    expect(raw.kv.get('python.path')).toBe('/usr/bin/python3');
    expect(raw.files.get('/proc/self/status')).toBe('Uid:\t0\t0\t0\t0\nSeccomp:\t2');
  });
  it('rejects garbage (no marker), unknown markers, malformed keys, a wrong nonce and a missing end', () => {
    expect(() => parseRaw('hello\nworld\n', N)).toThrow(ProbeParseError);
    expect(() => parseRaw(wrap(`@@RDP:${N}:evil:x`), N)).toThrow(/unknown marker/);
    expect(() => parseRaw(wrap(`@@RDP:${N}:kv:bad key$=1`), N)).toThrow(/malformed key/);
    expect(() => parseRaw(wrap('stray line'), N)).toThrow(/unrecognised line/);
    expect(() => parseRaw(wrap(`@@RDP:${N}:kv:a=1`).replaceAll(N, 'other'), N)).toThrow(
      /does not start with the probe marker|no probe output/,
    );
    expect(() => parseRaw(`@@RDP:${N}:begin:1\n@@RDP:${N}:kv:a=1\n`, N)).toThrow(/incomplete/);
  });
  it('accepts a truncated output with a note when the cap cut it', () => {
    const raw = parseRaw(`@@RDP:${N}:begin:1\n@@RDP:${N}:kv:a=1\n`, N, { truncated: true });
    expect(raw.notes.join()).toMatch(/truncated/);
  });
  it('strips ANSI and control characters from values', () => {
    const raw = parseRaw(
      wrap(`@@RDP:${N}:kv:python.inline.out=\u001b[2J\u001b[31mok\u0007\u001b]8;;http://x\u001b\\`),
      N,
    );
    expect(raw.kv.get('python.inline.out')).toBe('ok');
  });
  it('never turns non-numbers into numbers', () => {
    const f = toFacts(
      parseRaw(
        wrap(
          `@@RDP:${N}:kv:python.path=/p`,
          `@@RDP:${N}:kv:python.inline.rc=1e9`,
          `@@RDP:${N}:kv:cgroup.version=2`,
          `@@RDP:${N}:file:/sys/fs/cgroup/memory.max`,
          '12abc',
        ),
        N,
      ),
    );
    expect(f.runtimes.python.inline?.rc).toBeNull();
    expect(f.cgroup.memoryLimit).toBeNull();
  });
  it('finds the mount a path lives on (longest prefix, later mounts shadow)', () => {
    const m = parseMountinfo(
      '1 0 0:1 / / rw - overlay o rw\n2 1 0:2 / /tmp rw,noexec - tmpfs t rw\n3 1 0:3 / /tmpfoo rw - tmpfs t rw\n',
    );
    expect(mountFor(m, '/tmp/x')?.options).toContain('noexec');
    expect(mountFor(m, '/tmpfoo')?.mountPoint).toBe('/tmpfoo');
    expect(mountFor(m, '/home')?.mountPoint).toBe('/');
  });
  it('runs against a fixture whose python3 prints hostile escape sequences, and stays clean', async () => {
    const fx = makeFixture({
      bin: { python3: '#!/bin/sh\nprintf "\\033[31mrd-inline-ok Python 3.12.1\\033]0;pwned\\007\\n"\n' },
    });
    try {
      const f = await runLocalProbe({ root: fx.root, env: fx.env });
      expect(f.runtimes.python.inline?.out).toBe('rd-inline-ok Python 3.12.1');
      expect(f.runtimes.python.version).toBe('3.12.1');
    } finally {
      fx.cleanup();
    }
  });
  it('caps the output size: what came before the cut is kept, the rest is missing, nothing throws', async () => {
    const fx = makeFixture({ files: { 'proc/self/mountinfo': `${'x'.repeat(30000)}\n` } });
    try {
      const f = await runLocalProbe({ root: fx.root, env: fx.env, maxBytes: 2000 });
      expect(f.identity.uid).not.toBeNull();
      expect(f.filesystem.paths['/tmp']).toBeUndefined();
    } finally {
      fx.cleanup();
    }
  });
});

describe('the runtimes the probe starts in the background', () => {
  it("start after the cgroup is read: the memory in use is the container's, not python3's", async () => {
    // The stand-in python3 raises memory.current the moment it starts, as a real one (or a JVM) would.
    const fx = makeFixture({
      bin: {
        python3:
          '#!/bin/sh\necho 3221225472 > "$RD_ROOT/sys/fs/cgroup/memory.current"\necho rd-inline-ok Python 3.12.1\n',
      },
    });
    try {
      const f = await runLocalProbe({ root: fx.root, env: fx.env });
      expect(f.runtimes.python?.inline?.out).toMatch(/rd-inline-ok/);
      expect(f.cgroup.memoryUsage).toBe(1024 ** 3);
    } finally {
      fx.cleanup();
    }
  });

  it('do not keep a stopped probe open: its timeout ends it while a runtime still runs', async () => {
    // python3 that hangs (a security agent holding it, say): it records its pid, sleeps, then marks
    // that it finished. The probe is stopped after 1 s; it must be over before python3 is.
    const marks = tempDir('rd-marks-');
    const fx = makeFixture({
      env: { RD_MARKS: marks },
      bin: { python3: `#!/bin/sh\necho $$ >> "$RD_MARKS/pids"\n/bin/sleep 15\n: > "$RD_MARKS/done"\n` },
    });
    try {
      const outcome = await runLocalProbe({ root: fx.root, env: fx.env, timeoutMs: 1000 }).then(
        () => 'facts',
        (e: Error) => e.message,
      );
      expect(outcome).toMatch(/timed out/);
      expect(existsSync(join(marks, 'done'))).toBe(false);
    } finally {
      for (const pid of readFileSync(join(marks, 'pids'), 'utf8').split('\n').filter(Boolean))
        try {
          process.kill(Number(pid));
        } catch {
          // already gone
        }
      fx.cleanup();
    }
  });
});

describe('the probe on this machine (real /proc and /sys)', () => {
  it('reads identity, mounts, limits and cgroups consistent with what Node sees', async () => {
    const f = await runLocalProbe({});
    expect(f.identity.uid).toBe(process.getuid!());
    expect(f.identity.gid).toBe(process.getgid!());
    expect(f.identity.capabilities).toBeInstanceOf(Array);
    expect(f.filesystem.paths['/tmp']?.write).toBe('ok');
    expect(f.filesystem.paths['/tmp']?.freeKiB).toBeGreaterThan(0);
    expect(f.kernel.ulimits.nofile?.soft).not.toBeNull();
    const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
    const v1 = existsSync('/sys/fs/cgroup/memory');
    expect(f.cgroup.version).toBe(v2 ? 2 : v1 ? 1 : 'none');
    expect([0, 1, 2]).toContain(f.kernel.overcommitMemory);
    // /proc/sys answers only a read from offset 0; cgroupfs is read by the shell itself: both whole.
    expect(f.kernel.overcommitMemory).toBe(Number(readFileSync('/proc/sys/vm/overcommit_memory', 'utf8')));
    if (v2 || v1) expect(f.cgroup.memoryUsage).toBeGreaterThan(0);
    // JSON-safe: the snapshot stores these facts as they are.
    expect(JSON.parse(JSON.stringify(f))).toEqual(f);
  });
});
