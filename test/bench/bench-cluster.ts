// The cluster rows of `npm run bench`, for any cluster (the fixture, the scale scenarios, the real node):
// full `check --namespace matillion` and `check` over all namespaces — wall time (median, min, max of
// repeated runs), API requests (the doctor's count, checked against the audit log) and the longest chain
// of strictly sequential requests, bytes received (wire and decompressed, from the client's counters),
// the doctor's peak RSS and CPU time — and the floor measured in the same run: the same cluster-wide
// LISTs done minimally, by our built kubectl and by a bare Node script. Every doctor run is as its own
// user (a client certificate bound to cluster-admin), so its requests are told apart in the audit log.
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { BIN_DIR, type Cluster } from '../cluster/cluster.ts';
import { AuditTail, summarize } from './audit.ts';
import { FLOOR_LISTS } from './floor-lists.ts';
import { latencyProxy } from './latency-proxy.ts';
import { type DoctorRun, execTimed, load1, REPO, type Row, repeat, runDoctor, stats } from './measure.ts';

export const BENCH_USER = 'rd-bench';

/** Derived egress targets stay off in every bench run: nothing may leave this machine. */
export const DOCTOR_FLAGS = ['--no-derived-targets'];

export interface BenchCluster {
  c: Cluster;
  /** The bench user's kubeconfig. */
  kubeconfig: string;
  audit: AuditTail;
}

export async function benchUser(c: Cluster): Promise<BenchCluster> {
  await c.apply({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: BENCH_USER },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'User', name: BENCH_USER, apiGroup: 'rbac.authorization.k8s.io' }],
  });
  return { c, kubeconfig: c.userKubeconfig(BENCH_USER), audit: new AuditTail(c.auditLog) };
}

/** The ids of the cluster-scope checks: a run of only those does no exec (the API's cost alone). */
export async function clusterCheckIds(): Promise<string[]> {
  const r = await execTimed(process.execPath, [join(REPO, 'bin', 'runner-doctor'), 'list', '--json']);
  return (JSON.parse(r.stdout) as { id: string; scope: string }[])
    .filter((c) => c.scope === 'cluster')
    .map((c) => c.id);
}

interface Measured {
  runs: DoctorRun[];
  sequential: number[];
  auditRequests: number[];
  firstRequestMs: number[];
  chain: string[];
}

/** `runs` doctor runs (after one warm-up), each with its audit summary. */
export async function measureDoctor(
  b: BenchCluster,
  args: string[],
  runs: number,
  kubeconfig = b.kubeconfig,
): Promise<Measured> {
  const out: Measured = { runs: [], sequential: [], auditRequests: [], firstRequestMs: [], chain: [] };
  await runDoctor(['check', '--kubeconfig', kubeconfig, ...args, ...DOCTOR_FLAGS]);
  for (let i = 0; i < runs; i++) {
    b.audit.mark();
    const r = await runDoctor(['check', '--kubeconfig', kubeconfig, ...args, ...DOCTOR_FLAGS]);
    const events = await b.audit.events(b.c, BENCH_USER);
    const s = summarize(events);
    out.runs.push(r);
    out.sequential.push(s.sequential);
    out.auditRequests.push(s.requests);
    out.chain = s.chain;
    const first = events.map((e) => Date.parse(e.requestReceivedTimestamp)).sort((x, y) => x - y)[0];
    if (first !== undefined) out.firstRequestMs.push(first - r.startedAt);
  }
  return out;
}

const med = (xs: number[]) => stats(xs).median;

/** A doctor row from measured runs. */
export function doctorRow(
  scenario: string,
  name: string,
  m: Measured,
  o: { target?: string; limitMs?: number; floorMs?: number; ratioLimit?: number; rssLimitMiB?: number } = {},
): Row {
  const time = stats(m.runs.map((r) => r.ms));
  const rss = Math.max(...m.runs.map((r) => r.rssKiB ?? 0)) / 1024;
  const execMs = m.runs.map((r) =>
    Math.max(0, ...r.report.results.filter((x) => x.scope === 'pod').map((x) => x.durationMs)),
  );
  const row: Row = {
    scenario,
    name,
    ...(o.target ? { target: o.target } : {}),
    time,
    requests: med(m.runs.map((r) => r.requests)),
    sequential: med(m.sequential),
    bytes: med(m.runs.map((r) => r.bytes)),
    decodedBytes: med(m.runs.map((r) => r.decodedBytes)),
    rssMiB: rss,
    cpuMs: med(m.runs.map((r) => r.cpuMs ?? Number.NaN)),
    load: load1(),
    extra: {
      auditRequests: m.auditRequests,
      sequentialPerRun: m.sequential,
      criticalChain: m.chain,
      msPerRun: m.runs.map((r) => Math.round(r.ms)),
      peakRssMiBPerRun: m.runs.map((r) => Math.round((r.rssKiB ?? 0) / 1024)),
      startToFirstRequestMs: med(m.firstRequestMs),
      inPodFactsMs: med(execMs),
      summary: m.runs[0]?.report.summary.counts,
    },
  };
  if (o.floorMs !== undefined) {
    row.floorMs = o.floorMs;
    row.ratio = time.median / o.floorMs;
  }
  const held: boolean[] = [];
  if (o.limitMs !== undefined) held.push(time.median < o.limitMs);
  if (o.ratioLimit !== undefined && row.ratio !== undefined) held.push(row.ratio <= o.ratioLimit);
  if (o.rssLimitMiB !== undefined) held.push(rss < o.rssLimitMiB);
  if (held.length) row.met = held.every(Boolean);
  return row;
}

/** The floor: our built kubectl's LISTs of pods, nodes and DaemonSets (all at once) and the bare Node script. */
export async function measureFloor(
  b: BenchCluster,
  scenario: string,
  runs: number,
): Promise<{ rows: Row[]; kubectlMs: number; nodeMs: number }> {
  const kubectl = join(BIN_DIR, 'kubectl');
  const kc = ['--kubeconfig', b.kubeconfig];
  const gets = [
    ['get', 'pods', '-A', '--field-selector=status.phase!=Succeeded,status.phase!=Failed', '-o', 'json'],
    ['get', 'nodes', '-o', 'json'],
    ['get', 'daemonsets', '-A', '-o', 'json'],
  ];
  const kubectlRuns = await repeat(runs, async () => {
    const t0 = performance.now();
    const rs = await Promise.all(gets.map((g) => execTimed(kubectl, [...kc, ...g])));
    for (const r of rs) if (r.code !== 0) throw new Error(`kubectl failed: ${r.stderr}`);
    return {
      ms: performance.now() - t0,
      rss: Math.max(...rs.map((r) => r.rssKiB ?? 0)),
      cpu: rs.reduce((n, r) => n + (r.cpuMs ?? 0), 0),
    };
  });
  const nodeRuns = await repeat(runs, async () => {
    const r = await execTimed(process.execPath, [
      join(REPO, 'test', 'bench', 'floor-lists.ts'),
      b.kubeconfig,
      ...FLOOR_LISTS,
    ]);
    if (r.code !== 0) throw new Error(`floor-lists failed: ${r.stderr}`);
    const o = JSON.parse(r.stdout) as { wire: number; decoded: number; requests: number; items: number };
    return { ...o, ms: r.ms, rss: r.rssKiB ?? 0, cpu: r.cpuMs ?? 0 };
  });
  const kt = stats(kubectlRuns.map((r) => r.ms));
  const nt = stats(nodeRuns.map((r) => r.ms));
  const n0 = nodeRuns[0]!;
  return {
    kubectlMs: kt.median,
    nodeMs: nt.median,
    rows: [
      {
        scenario,
        name: 'floor: kubectl get pods (same field selector), nodes, daemonsets -A -o json, all at once',
        time: kt,
        rssMiB: Math.max(...kubectlRuns.map((r) => r.rss)) / 1024,
        cpuMs: stats(kubectlRuns.map((r) => r.cpu)).median,
        load: load1(),
        notes: 'CPU of the three, peak RSS of the largest',
      },
      {
        scenario,
        name: 'floor: bare Node paged LISTs (gzip, rv=0, parse and drop)',
        time: nt,
        requests: n0.requests,
        bytes: n0.wire,
        decodedBytes: n0.decoded,
        rssMiB: Math.max(...nodeRuns.map((r) => r.rss)) / 1024,
        cpuMs: stats(nodeRuns.map((r) => r.cpu)).median,
        load: load1(),
        extra: { items: n0.items },
      },
    ],
  };
}

/**
 * The standard cluster rows: full check with --namespace and over all namespaces, the cluster-scope
 * checks alone (no exec), and the floor. `targets` gives the scenario's targets per row.
 */
export async function benchClusterRows(
  b: BenchCluster,
  scenario: string,
  runs: number,
  targets: { namespaced?: { text: string; ms?: number; ratio?: number; rssMiB?: number } } = {},
): Promise<Row[]> {
  const floor = await measureFloor(b, scenario, runs);
  const only = (await clusterCheckIds()).join(',');
  const ns = await measureDoctor(b, ['--namespace', 'matillion'], runs);
  const all = await measureDoctor(b, [], runs);
  const api = await measureDoctor(b, ['--namespace', 'matillion', '--only', only], runs);
  const rows = [
    doctorRow(scenario, 'full `check --namespace matillion`', ns, {
      ...(targets.namespaced ? { target: targets.namespaced.text } : {}),
      ...(targets.namespaced?.ms ? { limitMs: targets.namespaced.ms } : {}),
      ...(targets.namespaced?.ratio ? { ratioLimit: targets.namespaced.ratio } : {}),
      ...(targets.namespaced?.rssMiB ? { rssLimitMiB: targets.namespaced.rssMiB } : {}),
      floorMs: floor.nodeMs,
    }),
    doctorRow(scenario, 'full `check` (all namespaces)', all, { floorMs: floor.nodeMs }),
    doctorRow(scenario, '`check --namespace matillion`, cluster-scope checks only (no exec)', api, {
      floorMs: floor.nodeMs,
    }),
    ...floor.rows,
  ];
  for (const r of rows.slice(0, 3)) {
    r.extra = {
      ...r.extra,
      kubectlFloorMs: Math.round(floor.kubectlMs),
      ratioToKubectlFloor: r.time.median / floor.kubectlMs,
    };
  }
  return rows;
}

/** A copy of the bench user's kubeconfig whose server is the latency proxy in front of the API server. */
export async function latencyRows(b: BenchCluster, scenario: string, runs: number, delays: number[]): Promise<Row[]> {
  const rows: Row[] = [];
  const cfg = readFileSync(b.kubeconfig, 'utf8');
  const apiPort = Number(new URL(b.c.server).port);
  const only = (await clusterCheckIds()).join(',');
  for (const d of delays) {
    const proxy = await latencyProxy(apiPort, d);
    const file = join(b.c.dir, `bench-latency-${d}.kubeconfig`);
    writeFileSync(file, cfg.replace(`127.0.0.1:${apiPort}`, `127.0.0.1:${proxy.port}`), { mode: 0o600 });
    try {
      const before = proxy.connections();
      const m = await measureDoctor(b, ['--namespace', 'matillion'], runs, file);
      const row = doctorRow(scenario, `full \`check --namespace matillion\`, API server ${d} ms away (one way)`, m);
      row.notes = `round trip ${2 * d} ms`;
      row.extra = { ...row.extra, connectionsPerRun: (proxy.connections() - before) / (runs + 1) };
      rows.push(row);
      // The API's share alone: the in-pod probe of a fake pod runs on this machine (python3 twice, a JVM
      // once), which no latency changes; the cluster-scope checks are what the round trips cost.
      const api = await measureDoctor(b, ['--namespace', 'matillion', '--only', only], runs, file);
      const apiRow = doctorRow(
        scenario,
        `\`check --namespace matillion\`, cluster-scope checks only, API server ${d} ms away (one way)`,
        api,
        d === 100 ? { target: '< 1.6 s', limitMs: 1600 } : {},
      );
      apiRow.notes = `round trip ${2 * d} ms`;
      rows.push(apiRow);
    } finally {
      await proxy.close();
    }
  }
  return rows;
}
