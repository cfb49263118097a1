// Starts one control plane (with the runner fixture) for the whole integration project. Under CI a
// missing binary or a cluster that will not start fails the run; elsewhere the tests skip with one
// line saying how to build the binaries.
import type { TestProject } from 'vitest/node';
import { Cluster, HOW_TO_BUILD, missingBinaries } from '../cluster/cluster.ts';
import { DEFAULT_NODES, installRunner } from '../cluster/fixture.ts';
import { hostAddress, PodMetricsServer } from '../cluster/metrics.ts';
import { join } from 'node:path';

declare module 'vitest' {
  export interface ProvidedContext {
    clusterDir: string;
    clusterSkip: string;
    /** host:port of the pod metrics server ('' when this machine has no non-loopback address). */
    metricsAddr: string;
  }
}

let cluster: Cluster | undefined;
let metrics: PodMetricsServer | undefined;

export async function setup(project: TestProject) {
  const missing = missingBinaries();
  if (missing.length) {
    if (process.env.CI) throw new Error(`integration tests need the control-plane binaries (missing: ${missing.join(', ')}): ${HOW_TO_BUILD}`);
    console.log(`integration tests skipped: ${HOW_TO_BUILD}`);
    project.provide('clusterSkip', HOW_TO_BUILD);
    project.provide('clusterDir', '');
    project.provide('metricsAddr', '');
    return;
  }
  // Two more, larger nodes than the demo's: room for the variant namespaces the tests create.
  cluster = await Cluster.start({ nodes: [...DEFAULT_NODES, { name: 'kwok-node-c', cpu: '16', memory: '64Gi' }, { name: 'kwok-node-d', cpu: '16', memory: '64Gi' }] });
  const host = hostAddress();
  metrics = host ? await new PodMetricsServer(host, join(cluster.dir, 'metrics')).start() : undefined;
  await installRunner(cluster, {}, metrics);
  project.provide('metricsAddr', metrics ? `${metrics.host}:${metrics.port}` : '');
  project.provide('clusterSkip', '');
  project.provide('clusterDir', cluster.dir);
}

export async function teardown() {
  await metrics?.stop();
  await cluster?.stop();
}
