// Measuring one thing repeatedly: the built CLI (or any command) spawned asynchronously — servers
// that live in the bench process (the latency proxy) keep working meanwhile — under /usr/bin/time for
// the peak RSS, its JSON report read back for the doctor's own counters (API requests, bytes). Rows
// and their JSON file: the table printed at the end and bench/results/<date>-<scenario>.json.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');
export const BIN = join(REPO, 'bin', 'runner-doctor');
const TIME = '/usr/bin/time';

export interface Stats {
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function stats(xs: readonly number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: s[Math.floor(s.length / 2)] ?? Number.NaN,
    min: s[0] ?? Number.NaN,
    max: s.at(-1) ?? Number.NaN,
    runs: s.length,
  };
}

export interface Exec {
  ms: number;
  code: number | null;
  /** Peak resident set of the command (KiB), when /usr/bin/time is there. */
  rssKiB?: number;
  /** CPU time (user + system, ms): on a shared machine steadier than wall time. */
  cpuMs?: number;
  stdout: string;
  stderr: string;
  /** Wall-clock (epoch ms) when it was spawned: to find its requests in the audit log. */
  startedAt: number;
}

/** Spawns `cmd args` (under /usr/bin/time -f %M when present) and waits for it; times the whole process. */
export function execTimed(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<Exec> {
  const timed = existsSync(TIME);
  const argv = timed ? ['-f', '@@rss=%M cpu=%U+%S', cmd, ...args] : args;
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const t0 = performance.now();
    const child = spawn(timed ? TIME : cmd, argv, {
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd ?? REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      if (stdout.length < 1 << 20) stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-64 * 1024);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      const m = stderr.match(/@@rss=(\d+) cpu=([\d.]+)\+([\d.]+)\s*$/);
      resolve({
        ms,
        code,
        ...(m ? { rssKiB: Number(m[1]), cpuMs: Math.round((Number(m[2]) + Number(m[3])) * 1000) } : {}),
        stdout,
        stderr: stderr.replace(/(Command exited with non-zero status \d+\n)?@@rss=.*\s*$/, ''),
        startedAt,
      });
    });
  });
}

export interface DoctorRun extends Exec {
  /** From the report's notes. */
  requests: number;
  bytes: number;
  decodedBytes: number;
  /** The report's per-result durations, for what exec cost. */
  report: {
    durationMs: number;
    notes: string[];
    summary: { counts: Record<string, number> };
    results: { checkId: string; target: string; scope: string; status: string; durationMs: number }[];
  };
}

/** One run of `runner-doctor <args> --output json=<tmp>`; exit codes 0–2 are verdicts, anything else a failure. */
export async function runDoctor(args: string[], env: NodeJS.ProcessEnv = {}): Promise<DoctorRun> {
  const dir = mkdtempSync(join(tmpdir(), 'rd-bench-'));
  const out = join(dir, 'report.json');
  try {
    const r = await execTimed(process.execPath, [BIN, ...args, '--output', `json=${out}`], {
      env: { CI: '1', ...env },
    });
    if (r.code === null || r.code > 2 || !existsSync(out))
      throw new Error(`runner-doctor ${args.join(' ')} exited ${r.code}: ${r.stderr.slice(-2000)}`);
    const report = JSON.parse(readFileSync(out, 'utf8')) as DoctorRun['report'];
    const note = (re: RegExp) => Number(report.notes.map((n) => n.match(re)?.[1]).find(Boolean) ?? Number.NaN);
    return {
      ...r,
      report,
      requests: note(/^(\d+) Kubernetes API requests/),
      bytes: note(/^(\d+) bytes received from the Kubernetes API/),
      decodedBytes: note(/\((\d+) decompressed\)/),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `warmup` unrecorded runs, then `runs` recorded ones, one after another. */
export async function repeat<T>(runs: number, f: () => Promise<T>, warmup = 1): Promise<T[]> {
  for (let i = 0; i < warmup; i++) await f();
  const out: T[] = [];
  for (let i = 0; i < runs; i++) out.push(await f());
  return out;
}

export interface Row {
  scenario: string;
  name: string;
  target?: string;
  /** Wall time, ms. */
  time: Stats;
  requests?: number;
  /** Longest chain of strictly sequential API requests (audit log). */
  sequential?: number;
  bytes?: number;
  decodedBytes?: number;
  rssMiB?: number;
  /** Median CPU time (user + system) of the process, ms. */
  cpuMs?: number;
  /** The floor's median (ms) and what this row's median is of it. */
  floorMs?: number;
  ratio?: number;
  /** Whether the target was met, when it is a number we can compare. */
  met?: boolean;
  notes?: string;
  /** The load average (1 min) when the row was measured. */
  load: number;
  extra?: Record<string, unknown>;
}

export const load1 = () => Math.round(loadavg()[0]! * 100) / 100;

const MiB = (b: number) => (b / 1024 / 1024).toFixed(b < 10 * 1024 * 1024 ? 2 : 1);

export function printTable(rows: readonly Row[]): void {
  const ms = (n: number) => (n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);
  const lines = [
    '| scenario | benchmark | median | min – max | runs | CPU | API req. (seq.) | received (decompressed) | peak RSS | floor · ratio | target | load |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const req =
      r.requests === undefined ? '' : `${r.requests}${r.sequential === undefined ? '' : ` (${r.sequential})`}`;
    const bytes =
      r.bytes === undefined || Number.isNaN(r.bytes)
        ? ''
        : `${MiB(r.bytes)} MiB${r.decodedBytes ? ` (${MiB(r.decodedBytes)})` : ''}`;
    const floor = r.floorMs === undefined ? '' : `${ms(r.floorMs)} · ${r.ratio?.toFixed(2)}×`;
    const target = r.target ? `${r.target}${r.met === undefined ? '' : r.met ? ' ✓' : ' ✗'}` : '';
    lines.push(
      `| ${r.scenario} | ${r.name}${r.notes ? ` — ${r.notes}` : ''} | ${ms(r.time.median)} | ${ms(r.time.min)} – ${ms(r.time.max)} | ${r.time.runs} | ${r.cpuMs === undefined ? '' : ms(r.cpuMs)} | ${req} | ${bytes} | ${r.rssMiB === undefined ? '' : `${r.rssMiB.toFixed(0)} MiB`} | ${floor} | ${target} | ${r.load} |`,
    );
  }
  console.log(`\n${lines.join('\n')}\n`);
}

/** Writes bench/results/<date>-<scenario>.json; returns its path. */
export function writeResult(scenario: string, rows: readonly Row[], extra: Record<string, unknown> = {}): string {
  const dir = join(REPO, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  const file = join(dir, `${date}-${scenario}.json`);
  const body = {
    scenario,
    measuredAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 1024 ** 3),
      loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
      node: process.version,
    },
    ...extra,
    rows,
  };
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}
