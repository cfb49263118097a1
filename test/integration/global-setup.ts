// Starts one control plane (with the runner fixture) for the whole integration project. Under CI a
// missing binary or a cluster that will not start fails the run; elsewhere the tests skip with one
// line saying how to build the binaries.
import type { TestProject } from 'vitest/node';
import { Cluster, HOW_TO_BUILD, missingBinaries } from '../cluster/cluster.ts';
import { DEFAULT_NODES, installRunner } from '../cluster/fixture.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    clusterDir: string;
    clusterSkip: string;
    readyMs: number;
  }
}

let cluster: Cluster | undefined;

export async function setup(project: TestProject) {
  const missing = missingBinaries();
  if (missing.length) {
    if (process.env.CI) throw new Error(`integration tests need the control-plane binaries (missing: ${missing.join(', ')}): ${HOW_TO_BUILD}`);
    console.log(`integration tests skipped: ${HOW_TO_BUILD}`);
    project.provide('clusterSkip', HOW_TO_BUILD);
    project.provide('clusterDir', '');
    project.provide('readyMs', 0);
    return;
  }
  const t0 = performance.now();
  cluster = await Cluster.start({ nodes: DEFAULT_NODES });
  await installRunner(cluster);
  project.provide('clusterSkip', '');
  project.provide('clusterDir', cluster.dir);
  project.provide('readyMs', performance.now() - t0);
}

export async function teardown() {
  await cluster?.stop();
}
