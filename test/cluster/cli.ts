// npm run cluster:up / cluster:down: a long-lived local cluster with the runner fixture, for poking
// at by hand. State (work dir, kubeconfig) is kept in the cache so `down` finds it.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_ROOT, Cluster } from './cluster.ts';
import { DEFAULT_NODES, installRunner } from './fixture.ts';

const STATE = join(CACHE_ROOT, 'cluster-up.json');
const cmd = process.argv[2];

if (cmd === 'up') {
  if (existsSync(STATE)) {
    const { kubeconfig } = JSON.parse(readFileSync(STATE, 'utf8'));
    console.log(`a cluster is already up: export KUBECONFIG=${kubeconfig}   (npm run cluster:down to stop it)`);
    process.exit(0);
  }
  const t0 = performance.now();
  const c = await Cluster.start({ nodes: DEFAULT_NODES });
  const ready = performance.now();
  const pods = await installRunner(c).catch(async (e: unknown) => {
    await c.stop();
    throw e;
  });
  mkdirSync(CACHE_ROOT, { recursive: true });
  writeFileSync(STATE, JSON.stringify({ dir: c.dir, kubeconfig: c.kubeconfig }));
  console.log(
    `control plane ready in ${((ready - t0) / 1000).toFixed(1)} s; ${pods.length} runner pods Running in namespace matillion after ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  console.log(`export KUBECONFIG=${c.kubeconfig}`);
} else if (cmd === 'down') {
  if (!existsSync(STATE)) {
    console.log('no cluster is up');
    process.exit(0);
  }
  const { dir } = JSON.parse(readFileSync(STATE, 'utf8'));
  await Cluster.attach(dir).stop();
  rmSync(STATE, { force: true });
  console.log('cluster stopped');
} else {
  console.error('usage: node test/cluster/cli.ts up|down');
  process.exit(2);
}
