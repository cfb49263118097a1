// npm run bench: median wall time of repeated runs of the built CLI, printed as a table.
// Figures go into the README by hand; tests never assert wall-clock times.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '../../bin/runner-doctor');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function time(args: string[], runs: number, env: NodeJS.ProcessEnv = {}): { median: number; min: number; max: number } {
  const xs: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, CI: '1', ...env }, stdio: 'ignore' });
    const dt = performance.now() - t0;
    if (r.status === null || r.status > 1) throw new Error(`${args.join(' ')} exited with ${r.status}`);
    if (i > 0) xs.push(dt); // the first run warms the page cache
  }
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) };
}

export interface Row {
  name: string;
  target: string;
  median: number;
  min: number;
  max: number;
  extra?: string;
}

export function printTable(rows: Row[]): void {
  const fmt = (n: number) => `${n.toFixed(0)} ms`;
  console.log('\n| benchmark | median | min | max | target | notes |\n|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${fmt(r.median)} | ${fmt(r.min)} | ${fmt(r.max)} | ${r.target} | ${r.extra ?? ''} |`);
}

const rows: Row[] = [];
const runs = Number(process.env.BENCH_RUNS ?? 15);
rows.push({ name: 'start-up (`--version`)', target: '< 150 ms', ...time(['--version'], runs) });
rows.push({ name: 'full `check --local`', target: '< 1 s', ...time(['check', '--local'], runs) });
const mem = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, BIN, 'check', '--local'], { env: { ...process.env, CI: '1' }, encoding: 'utf8' });
const rssKiB = Number(mem.stderr.trim().split('\n').at(-1));
if (Number.isFinite(rssKiB)) rows[1]!.extra = `peak RSS ${(rssKiB / 1024).toFixed(0)} MiB`;

const extra = process.env.BENCH_NO_CLUSTER ? [] : await (await import('./bench-cluster.ts')).benchCluster(runs);
printTable([...rows, ...extra]);
