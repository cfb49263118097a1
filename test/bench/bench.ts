// npm run bench [-- --scale] [-- --real-node] [-- --all] [-- --runs N]
//
// Wall time of repeated runs of the built CLI (median, min, max), and for cluster runs the API requests
// and how many of them were strictly sequential (audit log), bytes received (the client's counters),
// peak RSS (/usr/bin/time) and the floor (the same LISTs done minimally). Printed as a table and written
// as JSON to bench/results/<date>-<scenario>.json, each with the machine's load average: this machine is
// shared, so read a figure with its load. Tests never assert wall-clock times; the bench only reports.
//
// default      start-up (bundle and single executable), `check --local`, the egress phase, the fixture
//              cluster (kwok) with the floor, and the latency proxy at 25 and 100 ms one way
// --scale      500 nodes / 5,000 pods and 2,000 nodes / 20,000 pods (each populated, measured, removed)
// --real-node  the real node: cold and warm set-up, the check against real containers, the doctor's Job,
//              the vendor's scripts beside the doctor
// --all        all of it
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { Cluster, missingBinaries } from '../cluster/cluster.ts';
import { DEFAULT_NODES, installRunner } from '../cluster/fixture.ts';
import { benchClusterRows, benchUser, latencyRows } from './bench-cluster.ts';
import { removeTempDirs } from '../helpers/tmp.ts';
import { BIN, execTimed, load1, printTable, REPO, type Row, stats, writeResult } from './measure.ts';

const argv = process.argv.slice(2);
const flag = (f: string) => argv.includes(f) || argv.includes('--all');
const runsArg = argv[argv.indexOf('--runs') + 1];
const RUNS = Number(argv.includes('--runs') ? runsArg : (process.env.BENCH_RUNS ?? 5));
// The in-pod probe of fake pods and `--local` run python3 and java on this machine: pyenv's shims (a
// bash script each) would add a second per call, so the bench runs with the system's own PATH.
process.env.PATH = [
  join(REPO, 'node_modules', '.bin'),
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
].join(':');

const all: Row[] = [];
const files: string[] = [];
function record(scenario: string, rows: Row[], extra: Record<string, unknown> = {}): void {
  all.push(...rows);
  files.push(writeResult(scenario, rows, extra));
  printTable(rows);
}

/** `runs` synchronous runs after one warm-up (the page cache), spawned directly (no /usr/bin/time). */
function timeSync(cmd: string, args: string[], runs: number): Row['time'] {
  const xs: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { env: { ...process.env, CI: '1' }, stdio: 'ignore' });
    const dt = performance.now() - t0;
    if (r.status === null || r.status > 2) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
    if (i > 0) xs.push(dt);
  }
  return stats(xs);
}

// The egress phase: 20 endpoints on 127.0.0.1, half answering HTTP, half accepting TCP and never
// finishing TLS. All run at once with a 2 s stage timeout: the phase should take about one timeout.
async function egressRow(n: number): Promise<Row> {
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
    scenario: 'local',
    name: 'egress phase, 20 endpoints, 10 hanging (2 s stage timeout)',
    target: '≈ one timeout',
    time: stats(xs),
    load: load1(),
    notes: 'includes start-up; serial would be ≥ 20 s',
  };
}

async function localRows(): Promise<Row[]> {
  const rows: Row[] = [];
  // What Node.js itself costs to start on this machine now: read the start-up rows against it.
  const bare = timeSync(process.execPath, ['-e', '0'], Math.max(RUNS, 9));
  rows.push({ scenario: 'local', name: 'bare Node.js start (`node -e 0`), for reference', time: bare, load: load1() });
  const startup = timeSync(process.execPath, [BIN, '--version'], Math.max(RUNS, 9));
  rows.push({
    scenario: 'local',
    name: 'start-up (`--version`)',
    target: '< 150 ms',
    met: startup.median < 150,
    time: startup,
    load: load1(),
  });
  // The single executable: built when missing or older than the bundle (not timed).
  const exe = join(REPO, 'dist', 'runner-doctor-linux-x64');
  const bundle = join(REPO, 'dist', 'runner-doctor.mjs');
  if (!existsSync(exe) || statSync(exe).mtimeMs < statSync(bundle).mtimeMs)
    spawnSync(process.execPath, [join(REPO, 'scripts', 'build-binary.mjs')], { stdio: 'inherit', cwd: REPO });
  if (existsSync(exe)) {
    const t = timeSync(exe, ['--version'], Math.max(RUNS, 9));
    rows.push({
      scenario: 'local',
      name: 'start-up of the single executable (`dist/runner-doctor-linux-x64 --version`)',
      target: '< 150 ms',
      met: t.median < 150,
      time: t,
      load: load1(),
    });
  }
  const localRuns: number[] = [];
  let rss = 0;
  for (let i = 0; i <= RUNS; i++) {
    const r = await execTimed(
      process.execPath,
      [BIN, 'check', '--local', '--no-derived-targets', '--output', 'json=/dev/null'],
      { env: { CI: '1' } },
    );
    if (i > 0) localRuns.push(r.ms);
    rss = Math.max(rss, r.rssKiB ?? 0);
  }
  const lt = stats(localRuns);
  rows.push({
    scenario: 'local',
    name: 'full `check --local` (derived egress targets off)',
    target: '< 1 s',
    met: lt.median < 1000,
    time: lt,
    rssMiB: rss / 1024,
    load: load1(),
  });
  rows.push(await egressRow(RUNS));
  return rows;
}

async function fixtureRows(): Promise<{ rows: Row[]; info: Record<string, unknown> }> {
  const c = await Cluster.start({ nodes: DEFAULT_NODES });
  try {
    await installRunner(c);
    const b = await benchUser(c);
    const rows = await benchClusterRows(b, 'fixture', RUNS, { namespaced: { text: '< 3 s', ms: 3000 } });
    rows.push(...(await latencyRows(b, 'fixture', RUNS, [25, 100])));
    return {
      rows,
      info: {
        nodes: DEFAULT_NODES.length,
        runnerPods: 2,
        runnerPodsAre: 'kwok fakes (the probe runs on this machine)',
      },
    };
  } finally {
    await c.stop();
  }
}

const sections: [string, boolean, () => Promise<void>][] = [
  ['local', true, async () => record('local', await localRows())],
  [
    'fixture',
    !process.env.BENCH_NO_CLUSTER,
    async () => {
      const f = await fixtureRows();
      record('fixture', f.rows, f.info);
    },
  ],
  [
    'scale',
    flag('--scale') && !process.env.BENCH_NO_CLUSTER,
    async () => {
      const { benchScale } = await import('./scale.ts');
      for (const s of ['scale-500', 'scale-2000']) {
        const r = await benchScale(s, RUNS);
        record(s, r.rows, r.info);
      }
    },
  ],
  [
    'real-node',
    flag('--real-node') && !process.env.BENCH_NO_CLUSTER,
    async () => {
      const { benchRealNode, realNodeSkip } = await import('./real-node-bench.ts');
      const skip = realNodeSkip();
      if (skip) {
        console.log(`real-node rows skipped: ${skip}`);
        return;
      }
      const r = await benchRealNode(RUNS);
      record('real-node', r.rows, r.info);
    },
  ],
];

if (!process.env.BENCH_NO_CLUSTER && missingBinaries().length) {
  console.log('cluster rows skipped: the control-plane binaries are missing (npm run cluster:binaries)');
  process.env.BENCH_NO_CLUSTER = '1';
}
for (const [name, on, run] of sections) {
  if (!on) continue;
  process.stderr.write(`[bench] ${name} (load ${load1()})\n`);
  await run();
}
console.log('\nall rows:');
printTable(all);
console.log(`results: ${files.map((f) => f.replace(`${REPO}/`, '')).join(', ')}`);
removeTempDirs();
process.exit(0); // the egress row's hanging server's sockets would keep the loop alive
