// npm run bench: median wall time of repeated runs of the built CLI, printed as a table.
// Figures go into the README by hand; tests never assert wall-clock times.
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import http from 'node:http';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '../../bin/runner-doctor');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function time(args: string[], runs: number, env: NodeJS.ProcessEnv = {}): { median: number; min: number; max: number } {
  const xs: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [BIN, ...args], {
      env: { ...process.env, CI: '1', ...env },
      stdio: 'ignore',
    });
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
  for (const r of rows)
    console.log(`| ${r.name} | ${fmt(r.median)} | ${fmt(r.min)} | ${fmt(r.max)} | ${r.target} | ${r.extra ?? ''} |`);
}

const rows: Row[] = [];
const runs = Number(process.env.BENCH_RUNS ?? 15);
rows.push({ name: 'start-up (`--version`)', target: '< 150 ms', ...time(['--version'], runs) });
// Derived egress endpoints are off: the figure is the doctor's own work, not this machine's internet.
rows.push({
  name: 'full `check --local`',
  target: '< 1 s',
  ...time(['check', '--local', '--no-derived-targets'], runs),
});
const mem = spawnSync(
  '/usr/bin/time',
  ['-f', '%M', process.execPath, BIN, 'check', '--local', '--no-derived-targets'],
  { env: { ...process.env, CI: '1' }, encoding: 'utf8' },
);
const rssKiB = Number(mem.stderr.trim().split('\n').at(-1));
if (Number.isFinite(rssKiB)) rows[1]!.extra = `peak RSS ${(rssKiB / 1024).toFixed(0)} MiB`;

// The egress phase: 20 endpoints on 127.0.0.1, half answering HTTP, half accepting TCP and never
// finishing TLS. All run at once with a 2 s stage timeout: the phase should take about one timeout.
async function benchEgress(n: number): Promise<Row> {
  const ok = http.createServer((_q, r) => r.writeHead(204).end());
  const hang = net.createServer((s) => s.on('error', () => {}));
  const port = async (s: net.Server) => {
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return (s.address() as net.AddressInfo).port;
  };
  const [okPort, hangPort] = [await port(ok), await port(hang)];
  const targets = Array.from({ length: 20 }, (_, i) => [
    '--target',
    i % 2 ? `t${i}=localhost:${hangPort}` : `t${i}=http://127.0.0.1:${okPort}`,
  ]).flat();
  const args = [
    'check',
    '--local',
    '--only',
    'network.egress',
    '--no-derived-targets',
    '--egress-timeout',
    '2',
    ...targets,
  ];
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    // Asynchronously: the servers live in this process.
    await new Promise<void>((resolve) =>
      spawn(process.execPath, [BIN, ...args], { env: { ...process.env, CI: '1' }, stdio: 'ignore' }).on('close', () =>
        resolve(),
      ),
    );
    xs.push(performance.now() - t0);
  }
  ok.closeAllConnections();
  hang.close();
  ok.close();
  return {
    name: 'egress phase, 20 endpoints, 10 hanging (2 s stage timeout)',
    target: '≈ one timeout',
    median: median(xs),
    min: Math.min(...xs),
    max: Math.max(...xs),
    extra: 'includes start-up; serial would be ≥ 20 s',
  };
}
rows.push(await benchEgress(Math.min(runs, 5)));

const extra = process.env.BENCH_NO_CLUSTER ? [] : await (await import('./bench-cluster.ts')).benchCluster(runs);
printTable([...rows, ...extra]);
process.exit(0); // the hanging server's sockets would keep the loop alive
