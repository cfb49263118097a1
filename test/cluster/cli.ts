// npm run cluster:up / cluster:down: a long-lived local cluster with the runner fixture, for poking
// at by hand. State (work dir, kubeconfig) is kept in the cache so `down` finds it.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_ROOT, Cluster } from './cluster.ts';
import { DEFAULT_NODES } from './fixture.ts';
import { startRunnerCluster } from './runner-cluster.ts';

const STATE = join(CACHE_ROOT, 'cluster-up.json');
const cmd = process.argv[2];

if (cmd === 'up') {
  if (existsSync(STATE)) {
    const { kubeconfig } = JSON.parse(readFileSync(STATE, 'utf8'));
    console.log(`a cluster is already up: export KUBECONFIG=${kubeconfig}   (npm run cluster:down to stop it)`);
    process.exit(0);
  }
  const t0 = performance.now();
  // No metrics stand-in: it lives in this process, which exits. Real containers serve their own metrics.
  const {
    cluster: c,
    pods,
    noRealNode,
  } = await startRunnerCluster({ nodes: DEFAULT_NODES, metrics: false, detached: true });
  mkdirSync(CACHE_ROOT, { recursive: true });
  writeFileSync(STATE, JSON.stringify({ dir: c.dir, kubeconfig: c.kubeconfig }));
  console.log(
    `${pods.length} runner pods Running in namespace matillion after ${((performance.now() - t0) / 1000).toFixed(1)} s (${noRealNode ? `kwok fakes: ${noRealNode}` : `real containers on ${c.realNode?.name}`})`,
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
