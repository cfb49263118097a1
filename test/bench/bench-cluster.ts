// The cluster half of `npm run bench`: full `check --namespace matillion` against the fixture cluster.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Cluster, missingBinaries } from '../cluster/cluster.ts';
import { DEFAULT_NODES, installRunner } from '../cluster/fixture.ts';
import type { Row } from './bench.ts';

export async function benchCluster(runs: number): Promise<Row[]> {
  if (missingBinaries().length) return [];
  const bin = join(import.meta.dirname, '../../bin/runner-doctor');
  const c = await Cluster.start({ nodes: DEFAULT_NODES });
  try {
    await installRunner(c);
    const xs: number[] = [];
    let requests = '';
    for (let i = 0; i <= runs; i++) {
      const t0 = performance.now();
      const r = spawnSync(
        process.execPath,
        [bin, 'check', '--namespace', 'matillion', '--no-derived-targets', '--output', 'json=-'],
        { env: { ...process.env, KUBECONFIG: c.kubeconfig }, encoding: 'utf8' },
      );
      const dt = performance.now() - t0;
      if (i > 0) xs.push(dt);
      requests = (JSON.parse(r.stdout).notes as string[]).find((n) => /API requests/.test(n)) ?? '';
    }
    xs.sort((a, b) => a - b);
    return [
      {
        name: 'full `check --namespace matillion` (2 runner pods)',
        target: '< 3 s',
        median: xs[Math.floor(xs.length / 2)]!,
        min: xs[0]!,
        max: xs.at(-1)!,
        extra: requests,
      },
    ];
  } finally {
    await c.stop();
  }
}
