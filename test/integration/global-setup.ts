// Starts one control plane (with the runner fixture) for the whole integration project. Under CI a
// missing binary or a cluster that will not start fails the run; elsewhere the tests skip with one
// line saying how to build the binaries.
import type { TestProject } from 'vitest/node';
import { Cluster, HOW_TO_BUILD, missingBinaries } from '../cluster/cluster.ts';
import { DEFAULT_NODES, installRunner } from '../cluster/fixture.ts';
import { PodMetricsServer } from '../cluster/metrics.ts';
import { netnsUnavailable } from '../cluster/netns.ts';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

declare module 'vitest' {
  export interface ProvidedContext {
    clusterDir: string;
    clusterSkip: string;
    /** host:port of the pod metrics server inside a harness network namespace ('' when none can be made here). */
    metricsAddr: string;
    /** Why the metrics server could not start ('' when it runs). */
    metricsSkip: string;
    /** `address:port` of every TCP/UDP listener on this machine before the suite started anything. */
    listenersBefore: string[];
  }
}

let cluster: Cluster | undefined;
let metrics: PodMetricsServer | undefined;

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
    project.provide('clusterSkip', HOW_TO_BUILD);
    project.provide('clusterDir', '');
    project.provide('metricsAddr', '');
    project.provide('metricsSkip', HOW_TO_BUILD);
    return;
  }
  // The scraped pods' IPs belong to a network namespace of the harness's own; without root there is none.
  const noNetns = netnsUnavailable();
  if (noNetns && process.env.CI)
    throw new Error(
      `integration tests need ${noNetns.replace(/^harness network namespaces need /, '')} for the pod metrics stand-in (CI=true)`,
    );
  // Two more, larger nodes than the demo's: room for the variant namespaces the tests create.
  cluster = await Cluster.start({
    nodes: [
      ...DEFAULT_NODES,
      { name: 'kwok-node-c', cpu: '16', memory: '64Gi' },
      { name: 'kwok-node-d', cpu: '16', memory: '64Gi' },
    ],
  });
  try {
    metrics = noNetns ? undefined : await PodMetricsServer.start(join(cluster.dir, 'metrics'));
    await installRunner(cluster, {}, metrics);
  } catch (e) {
    await teardown();
    throw e;
  }
  if (noNetns) console.log(`metrics tests skipped: ${noNetns}`);
  project.provide('metricsAddr', metrics ? `${metrics.host}:${metrics.port}` : '');
  project.provide('metricsSkip', noNetns ?? '');
  project.provide('clusterSkip', '');
  project.provide('clusterDir', cluster.dir);
}

export async function teardown() {
  await metrics?.stop();
  metrics = undefined;
  await cluster?.stop();
  cluster = undefined;
}
