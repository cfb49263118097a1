// npm run demo: a local control plane with the runner fixture, the doctor against it, then teardown.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Cluster } from './cluster.ts';
import { DEFAULT_NODES, installRunner } from './fixture.ts';
import { PodMetricsServer } from './metrics.ts';
import { netnsUnavailable } from './netns.ts';

const t0 = performance.now();
console.log('starting a local Kubernetes control plane (etcd, kube-apiserver, controller-manager, scheduler, kwok)…');
const c = await Cluster.start({ nodes: DEFAULT_NODES });
let code = 0;
const noNetns = netnsUnavailable();
if (noNetns)
  console.log(`(the runner metrics stand-in needs a network namespace: ${noNetns}; workload.metrics will warn)`);
let metrics: PodMetricsServer | undefined;
try {
  metrics = noNetns ? undefined : await PodMetricsServer.start(join(c.dir, 'metrics'));
  const pods = await installRunner(c, {}, metrics);
  console.log(
    `ready in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${pods.length} runner pods Running in namespace matillion\n`,
  );
  const args = ['check', '--namespace', 'matillion', ...process.argv.slice(2)];
  console.log(`$ runner-doctor ${args.join(' ')}\n`);
  // Asynchronously: the pod metrics server in this process must keep answering while the doctor runs.
  const child = spawn(process.execPath, [join(import.meta.dirname, '../../bin/runner-doctor'), ...args], {
    stdio: 'inherit',
    env: { ...process.env, KUBECONFIG: c.kubeconfig },
  });
  code = await new Promise<number>((resolve) => child.on('close', (n) => resolve(n ?? 3)));
  console.log(`\nrunner-doctor exited with ${code} (0 ok, 1 findings, 2 usage, 3 could not run)`);
} finally {
  await metrics?.stop();
  await c.stop();
  console.log('local control plane stopped');
}
// The demo succeeded if the doctor ran and reported; findings on the fixture are expected output.
process.exit(code <= 1 ? 0 : code);
