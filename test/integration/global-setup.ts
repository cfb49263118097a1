// Starts one control plane (with the runner fixture) for the whole integration project. Under CI a
// missing binary or a cluster that will not start fails the run; elsewhere the tests skip with one
// line saying how to build the binaries.
import type { TestProject } from 'vitest/node';
import { HOW_TO_BUILD, missingBinaries } from '../cluster/cluster.ts';
import { DEFAULT_NODES } from '../cluster/fixture.ts';
import { type RunnerCluster, startRunnerCluster } from '../cluster/runner-cluster.ts';
import { realNodeUnavailable } from '../cluster/real-node.ts';
import { netnsUnavailable } from '../cluster/netns.ts';
import { execFileSync } from 'node:child_process';

declare module 'vitest' {
  export interface ProvidedContext {
    clusterDir: string;
    clusterSkip: string;
    /** host:port of the pod metrics server inside a harness network namespace ('' when none can be made here). */
    metricsAddr: string;
    /** Why the metrics server could not start ('' when it runs). */
    metricsSkip: string;
    /** The real node's name ('' when the runner pods are kwok fakes). */
    realNode: string;
    /** Its containerd socket (for `ctr`: importing and tagging images). */
    realNodeSocket: string;
    /** `address:port` of every TCP/UDP listener on this machine before the suite started anything. */
    listenersBefore: string[];
  }
}

let runner: RunnerCluster | undefined;

/** Local `address:port` of every listening TCP and UDP socket on this machine. */
export function listeners(): string[] {
  try {
    return execFileSync('ss', ['-H', '-l', '-n', '-t', '-u'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[4] ?? '')
      .filter(Boolean);
  } catch {
    return [];
  }
}

export async function setup(project: TestProject) {
  project.provide('listenersBefore', listeners());
  const missing = missingBinaries();
  if (missing.length) {
    if (process.env.CI)
      throw new Error(
        `integration tests need the control-plane binaries (missing: ${missing.join(', ')}): ${HOW_TO_BUILD}`,
      );
    console.log(`integration tests skipped: ${HOW_TO_BUILD}`);
    for (const k of ['clusterDir', 'metricsAddr', 'realNode', 'realNodeSocket'] as const) project.provide(k, '');
    project.provide('clusterSkip', HOW_TO_BUILD);
    project.provide('metricsSkip', HOW_TO_BUILD);
    return;
  }
  // The scraped fake pods' IPs belong to a network namespace of the harness's own, and the healthy runner
  // pods are real containers on a real node: both need root. Under CI that is a failure, else a skip.
  const noNetns = netnsUnavailable();
  const noRealNode = realNodeUnavailable();
  for (const why of [noNetns, noRealNode])
    if (why && process.env.CI) throw new Error(`integration tests (CI=true): ${why}`);
  // Two more, larger nodes than the demo's: room for the variant namespaces the tests create.
  runner = await startRunnerCluster({
    nodes: [
      ...DEFAULT_NODES,
      { name: 'kwok-node-c', cpu: '16', memory: '64Gi' },
      { name: 'kwok-node-d', cpu: '16', memory: '64Gi' },
    ],
  });
  const { cluster, metrics } = runner;
  if (noNetns) console.log(`metrics tests skipped: ${noNetns}`);
  if (noRealNode) console.log(`real-node tests skipped, the runner pods are kwok fakes: ${noRealNode}`);
  project.provide('realNode', cluster.realNode?.name ?? '');
  project.provide('realNodeSocket', cluster.realNode?.containerdSocket ?? '');
  project.provide('metricsAddr', metrics ? `${metrics.host}:${metrics.port}` : '');
  project.provide('metricsSkip', noNetns ?? '');
  project.provide('clusterSkip', '');
  project.provide('clusterDir', cluster.dir);
}

export async function teardown() {
  await runner?.stop();
  runner = undefined;
}
