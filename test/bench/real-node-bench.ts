// The rows of `npm run bench -- --real-node` (also in --all): they need the real node (root, iptables,
// a cgroup memory controller; test/cluster/real-node.ts).
// 1. Its set-up, phase by phase: cold — the first start of this bench process: a fresh state dir, images
//    imported into a new containerd — and warm — a second start right after, everything cached (the
//    image build itself is a cache lookup in both; a cold image build needs debootstrap and a mirror).
// 2. Full `check --namespace matillion` against the runner as real containers (startRunnerCluster), with
//    what exec costs per pod (the in-pod checks' durationMs: the probe through the exec API).
// 3. The doctor's own Job (`runner-doctor manifest … --image`, the image imported into the node's
//    containerd) from `kubectl apply` to its Complete condition.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { BIN_DIR, Cluster } from '../cluster/cluster.ts';
import { DEFAULT_NODES, NS } from '../cluster/fixture.ts';
import { buildImages, doctorImage, importImages } from '../cluster/images.ts';
import { realNodeUnavailable } from '../cluster/real-node.ts';
import { startRunnerCluster } from '../cluster/runner-cluster.ts';
import { benchUser, doctorRow, measureDoctor } from './bench-cluster.ts';
import { BIN, load1, REPO, type Row, stats } from './measure.ts';
import { vendorRows } from './vendor-scripts.ts';

const SCENARIO = 'real-node';

export function realNodeSkip(): string | undefined {
  return realNodeUnavailable();
}

function setupRow(name: string, phases: Record<string, number>, notes: string): Row {
  return {
    scenario: SCENARIO,
    name,
    time: { median: phases.total ?? 0, min: phases.total ?? 0, max: phases.total ?? 0, runs: 1 },
    load: load1(),
    notes: `${notes}; phases (ms from start): ${Object.entries(phases)
      .filter(([k]) => k !== 'total')
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    extra: { phases },
  };
}

interface Obj {
  kind: string;
  metadata: { name: string };
  spec?: any;
}

/** What `manifest` prints for the bench Job, made to fit the one real node (no CPU request). */
function jobObjects(name: string, node: string): Obj[] {
  const r = spawnSync(
    process.execPath,
    [
      BIN,
      'manifest',
      '--namespace',
      NS,
      '--name',
      name,
      '--image',
      doctorImage(),
      '--timeout',
      '90',
      '--arg=--no-derived-targets',
    ],
    { encoding: 'utf8', cwd: REPO },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  const objs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
  for (const o of objs.filter((x) => x.kind === 'Job')) {
    const pod = o.spec.template.spec;
    pod.nodeSelector = { 'kubernetes.io/hostname': node };
    const [ctr] = pod.containers;
    delete ctr.resources?.requests?.cpu;
    delete ctr.resources?.limits?.cpu;
  }
  return objs;
}

async function jobRow(c: Cluster, node: string, runs: number): Promise<Row> {
  const built = await buildImages({ doctor: true });
  await importImages(join(BIN_DIR, 'ctr'), c.realNode!.containerdSocket, built.archives);
  const name = 'rd-bench-job';
  const objs = jobObjects(name, node);
  await c.apply(objs.filter((o) => o.kind !== 'Job'));
  const job = objs.find((o) => o.kind === 'Job')!;
  const xs: number[] = [];
  let failed = 0;
  for (let i = 0; i < runs; i++) {
    await c.kubectl(['delete', 'job', '-n', NS, name, '--ignore-not-found', '--wait=true']);
    const t0 = performance.now();
    await c.apply(job);
    let done = '';
    await c.waitFor(
      async () => {
        const j = JSON.parse(await c.k(['get', 'job', '-n', NS, name, '-o', 'json']));
        done =
          (j.status?.conditions ?? []).find(
            (x: { type: string; status: string }) =>
              (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True',
          )?.type ?? '';
        return done !== '';
      },
      240_000,
      `Job ${name} to finish`,
    );
    xs.push(performance.now() - t0);
    if (done !== 'Complete') failed++;
  }
  await c.kubectl(['delete', 'job', '-n', NS, name, '--ignore-not-found', '--wait=true']);
  return {
    scenario: SCENARIO,
    name: "the doctor's Job on the real node, `kubectl apply` → Complete",
    time: stats(xs),
    load: load1(),
    notes: `${failed ? `${failed} run(s) ended Failed; ` : ''}image imported beforehand (not timed)`,
  };
}

export async function benchRealNode(runs: number): Promise<{ rows: Row[]; info: Record<string, unknown> }> {
  const rows: Row[] = [];
  // 1. Cold, then warm: two starts of the real node, each with a fresh state dir of its own.
  const cold = await Cluster.start({ realNode: { taint: false } });
  const coldPhases = { ...cold.realNode!.startup };
  await cold.stop();
  rows.push(
    setupRow(
      'real node set-up, cold (first start: fresh state dir, images imported)',
      coldPhases,
      'containerd, kubelet, images, node Ready',
    ),
  );
  const rc = await startRunnerCluster({ nodes: DEFAULT_NODES, realNode: true });
  try {
    const c = rc.cluster;
    if (!c.realNode) throw new Error(`no real node: ${rc.noRealNode}`);
    rows.push(
      setupRow('real node set-up, warm (second start, everything cached)', { ...c.realNode.startup }, 'same phases'),
    );
    // 2. The full check against the real containers.
    const b = await benchUser(c);
    const m = await measureDoctor(b, ['--namespace', 'matillion'], runs);
    const row = doctorRow(SCENARIO, 'full `check --namespace matillion` against the real containers', m);
    const perPod = m.runs.map((r) => {
      const pods = new Map<string, number>();
      for (const x of r.report.results.filter((y) => y.scope === 'pod'))
        pods.set(x.target, Math.max(pods.get(x.target) ?? 0, x.durationMs));
      return [...pods.values()];
    });
    row.notes = `exec (probe through the exec API) per pod: median ${stats(perPod.flat()).median} ms`;
    rows.push(row);
    // 3. The Job.
    rows.push(await jobRow(c, c.realNode.name, Math.min(runs, 3)));
    // 4. The vendor's own scripts, measured the same way (when they can run here).
    rows.push(...(await vendorRows(b, SCENARIO, Math.min(runs, 3))));
    const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
    return { rows, info: { kernel, realNodePods: rc.pods.map((p) => `${p.name} on ${p.node}`) } };
  } finally {
    await rc.stop();
  }
}
