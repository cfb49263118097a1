// The runner's test cluster as the integration suite, the demo, `cluster:up` and the bench use it: the
// control plane, the real node (when this machine can run one), the runner fixture — on the real node
// as real containers, installed before any kwok node exists so the scheduler has nowhere else to put
// them — then the kwok nodes, and the pod metrics stand-in for fake pods.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BIN_DIR, Cluster, type NodeSpec } from './cluster.ts';
import { installRunner, type PodRef, VENDOR_IMAGE } from './fixture.ts';
import { buildImages, RUNNER_IMAGE } from './images.ts';
import { PodMetricsServer } from './metrics.ts';
import { netnsUnavailable } from './netns.ts';
import { realNodeUnavailable } from './real-node.ts';

const execFileP = promisify(execFile);

export interface RunnerCluster {
  cluster: Cluster;
  pods: PodRef[];
  metrics?: PodMetricsServer;
  /** Why there is no real node (the runner pods are kwok fakes then), or undefined. */
  noRealNode?: string;
  /** Why there is no metrics stand-in for fake pods, or undefined. */
  noMetrics?: string;
  stop(): Promise<void>;
}

/**
 * `detached`: the real node outlives this process (for `cluster:up`; `Cluster.attach(dir).stop()` removes it).
 */
export async function startRunnerCluster(o: {
  nodes: NodeSpec[];
  realNode?: boolean;
  metrics?: boolean;
  detached?: boolean;
}): Promise<RunnerCluster> {
  const noRealNode = o.realNode === false ? 'not asked for' : realNodeUnavailable();
  const noMetrics = o.metrics === false ? 'not asked for' : netnsUnavailable();
  const cluster = await Cluster.start({
    ...(noRealNode ? { nodes: o.nodes } : { realNode: { taint: false, detached: o.detached === true } }),
  });
  let metrics: PodMetricsServer | undefined;
  const stop = async () => {
    await metrics?.stop();
    await cluster.stop();
  };
  try {
    metrics = noMetrics ? undefined : await PodMetricsServer.start(join(cluster.dir, 'metrics'));
    const image = cluster.realNode ? await runnerImageOnNode(cluster.realNode.containerdSocket) : undefined;
    const pods = await installRunner(cluster, { ...(metrics ? { metrics } : {}), ...(image ? { image } : {}) });
    if (!noRealNode) await cluster.addNodes(o.nodes);
    return {
      cluster,
      pods,
      ...(metrics ? { metrics } : {}),
      ...(noRealNode ? { noRealNode } : {}),
      ...(noMetrics ? { noMetrics } : {}),
      stop,
    };
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
}

/**
 * The runner-like image on the real node under the vendor's name, as the reference a digest pin gives
 * (`public.ecr.aws/matillion/etl-agent@sha256:…`): the chart's own image value, and nothing to pull.
 */
export async function runnerImageOnNode(containerdSocket: string): Promise<string> {
  const built = (await buildImages()).images.find((i) => i.ref === RUNNER_IMAGE);
  if (!built) throw new Error(`${RUNNER_IMAGE} was not built`);
  // The CRI finds an image only by a name it was tagged with: the digest reference itself too.
  for (const name of [`${VENDOR_IMAGE}:stable`, `${VENDOR_IMAGE}@${built.digest}`]) {
    await execFileP(join(BIN_DIR, 'ctr'), [
      '--address',
      containerdSocket,
      '--namespace',
      'k8s.io',
      'images',
      'tag',
      '--force',
      RUNNER_IMAGE,
      name,
    ]);
  }
  return `${VENDOR_IMAGE}@${built.digest}`;
}
