// npm run demo: a local control plane with the runner fixture (on a real node as real containers when
// this machine can run one), the doctor against it, then teardown.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DEFAULT_NODES } from './fixture.ts';
import { startRunnerCluster } from './runner-cluster.ts';

const t0 = performance.now();
console.log(
  'starting a local Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok) and a real node…',
);
const rc = await startRunnerCluster({ nodes: DEFAULT_NODES });
if (rc.noRealNode) console.log(`(no real node here: ${rc.noRealNode}; the runner pods are kwok fakes)`);
if (rc.noMetrics) console.log(`(no metrics stand-in for fake pods: ${rc.noMetrics})`);
let code = 0;
try {
  const where = rc.cluster.realNode ? `as real containers on ${rc.cluster.realNode.name}` : 'as kwok fakes';
  console.log(
    `ready in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${rc.pods.length} runner pods Running in namespace matillion, ${where}\n`,
  );
  const args = ['check', '--namespace', 'matillion', ...process.argv.slice(2)];
  console.log(`$ runner-doctor ${args.join(' ')}\n`);
  // Asynchronously: the pod metrics server in this process must keep answering while the doctor runs.
  const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/runner-doctor'), ...args], {
    stdio: 'inherit',
    env: { ...process.env, KUBECONFIG: rc.cluster.kubeconfig },
  });
  code = await new Promise<number>((resolve) => child.on('close', (n) => resolve(n ?? 3)));
  console.log(`\nrunner-doctor exited with ${code} (0 clean, 1 findings, 2 usage, 3 could not run, 4 incomplete)`);
} finally {
  await rc.stop();
  console.log('local control plane stopped');
}
// The demo succeeded if the doctor ran and reported; findings on the fixture are expected output.
process.exit(code === 1 || code === 0 || code === 4 ? 0 : code);
