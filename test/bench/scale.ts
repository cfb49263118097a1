// The scale scenarios of `npm run bench -- --scale`: a kwok cluster of 500 nodes / 5,000 pods in 50
// namespaces, and one of 2,000 nodes / 20,000 pods with many DaemonSets and NetworkPolicies, the runner
// among them (installed as the chart renders it, scheduled by the real scheduler). Populating is done
// in parallel (populate.ts) and not timed; what the control plane holds afterwards is recorded.
import { readdirSync, readFileSync } from 'node:fs';
import { Cluster } from '../cluster/cluster.ts';
import { installRunner } from '../cluster/fixture.ts';
import { benchClusterRows, benchUser, type BenchCluster } from './bench-cluster.ts';
import { load1, type Row, runDoctor } from './measure.ts';
import { type Population, populate, waitRunning } from './populate.ts';

export const SCALE_SCENARIOS: Record<string, Population> = {
  'scale-500': { nodes: 500, pods: 5000, namespaces: 50, daemonSets: 4, extraDaemonSets: 16, networkPolicies: 200 },
  'scale-2000': { nodes: 2000, pods: 20000, namespaces: 50, daemonSets: 6, extraDaemonSets: 34, networkPolicies: 1000 },
};

/** Resident memory (MiB) of this cluster's control-plane processes, found by its work dir in their command line. */
export function controlPlaneRss(c: Cluster): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!cmd.some((a) => a.includes(c.dir))) continue;
      const name = (cmd[0] ?? '').split('/').at(-1) ?? '?';
      const rss = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
      if (rss) out[name] = (out[name] ?? 0) + Math.round(Number(rss[1]) / 1024);
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** How many API requests a run makes for a few selections of checks: bounded by facts, not checks. */
export async function requestsBySelection(b: BenchCluster, scenario: string): Promise<Row> {
  const selections: [string, string[]][] = [
    ['all checks', []],
    ['one cluster check (scaling.headroom)', ['--only', 'scaling.headroom']],
    ['the workload and scaling categories', ['--only', 'workload,scaling']],
  ];
  const counts: Record<string, number> = {};
  const ms: number[] = [];
  for (const [name, args] of selections) {
    const r = await runDoctor([
      'check',
      '--kubeconfig',
      b.kubeconfig,
      '--namespace',
      'matillion',
      '--no-derived-targets',
      ...args,
    ]);
    counts[name] = r.requests;
    ms.push(r.ms);
  }
  return {
    scenario,
    name: `API requests by selection: ${Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    time: { median: ms[0] ?? 0, min: Math.min(...ms), max: Math.max(...ms), runs: 1 },
    load: load1(),
    extra: { requestsBySelection: counts },
  };
}

export async function benchScale(
  scenario: string,
  runs: number,
): Promise<{ rows: Row[]; info: Record<string, unknown> }> {
  const pop = SCALE_SCENARIOS[scenario];
  if (!pop) throw new Error(`no scenario ${scenario}`);
  const c = await Cluster.start({ nodes: [] });
  try {
    const t0 = performance.now();
    const filled = await populate(c, pop, { afterNodes: () => installRunner(c) });
    const total = pop.pods + 2;
    const running = await waitRunning(c, total, 20 * 60_000);
    const info = {
      population: pop,
      populateMs: filled.ms,
      readyMs: Math.round(performance.now() - t0),
      podsRunning: running,
      controlPlaneRssMiB: controlPlaneRss(c),
    };
    process.stderr.write(`[bench] ${scenario} ready: ${JSON.stringify(info)}\n`);
    const b = await benchUser(c);
    const big = scenario === 'scale-2000';
    const rows = await benchClusterRows(
      b,
      scenario,
      runs,
      big ? { namespaced: { text: '< 5 s, ≤ 1.5× floor, RSS < 300 MB', ms: 5000, ratio: 1.5, rssMiB: 300 } } : {},
    );
    rows.push(await requestsBySelection(b, scenario));
    return { rows, info: { ...info, controlPlaneRssMiBAfter: controlPlaneRss(c) } };
  } finally {
    await c.stop();
  }
}
