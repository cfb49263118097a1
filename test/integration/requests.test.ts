// What a full run costs in requests, connections and round trips, as counts (never times): through a
// proxy that answers in rounds (test/helpers/round-trip-proxy.ts), the depth of the run's request chain
// is counted — requests issued together are answered together — and so are the TCP connections it
// opened. A distant API server costs a run about rounds × round-trip time, so this is the figure that
// keeps the check fast at 100 ms of latency: LISTs and access reviews issued together, one keep-alive
// pool for requests and exec.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { Cluster } from '../cluster/cluster.ts';
import { NS } from '../cluster/fixture.ts';
import { roundTripProxy } from '../helpers/round-trip-proxy.ts';

const skip = inject('clusterSkip');
const c = skip ? (undefined as unknown as Cluster) : Cluster.attach(inject('clusterDir'));
const BIN = join(process.cwd(), 'bin/runner-doctor');

interface Report {
  notes: string[];
  results: { checkId: string; status: string; scope: string }[];
}

/** The doctor through a round-counting proxy (spawned, not spawnSync: the proxy lives in this process). */
async function throughProxy(args: string[]): Promise<{ report: Report; rounds: number; connections: number }> {
  const port = Number(new URL(c.server).port);
  const proxy = await roundTripProxy(port);
  const kubeconfig = join(c.dir, `rounds-${proxy.port}.kubeconfig`);
  writeFileSync(kubeconfig, readFileSync(c.kubeconfig, 'utf8').replace(`127.0.0.1:${port}`, `127.0.0.1:${proxy.port}`));
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'check', ...args, '--no-derived-targets', '--output', 'json=-'], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: kubeconfig },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b));
      const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
      child.on('error', reject);
      child.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
    });
    return { report: JSON.parse(stdout) as Report, rounds: proxy.rounds(), connections: proxy.connections() };
  } finally {
    await proxy.close();
  }
}

const requestsOf = (r: Report) => Number(r.notes.find((n) => /Kubernetes API requests/.test(n))?.split(' ')[0]);

describe.skipIf(Boolean(skip))('API round trips and connections of a full run (counts)', () => {
  it('with --namespace: every LIST and the exec access review go out at once; exec reuses a kept-alive connection', async () => {
    const { report, rounds, connections } = await throughProxy(['--namespace', NS]);
    const requests = requestsOf(report);
    console.log(`with --namespace: ${requests} requests, ${rounds} rounds, ${connections} connections`);
    const execs = report.results.some((r) => r.scope === 'pod' && r.status !== 'error');
    expect(execs, 'the in-pod checks ran').toBe(true);
    expect(requests).toBeGreaterThan(15);
    // A new connection's first request is two rounds (TLS, then the request); then the runner pods' exec
    // and metrics, and the Pod Security dry-runs (after the namespace's labels), one round more each at most.
    // Issued one after another these requests would be one round each (≥ requests).
    expect(rounds).toBeLessThanOrEqual(5);
    // Later requests and the exec WebSockets take connections the first ones left open.
    expect(connections).toBeLessThan(requests);
  });

  it('without --namespace: discovery first, then everything else together', async () => {
    const { report, rounds, connections } = await throughProxy([]);
    console.log(`all namespaces: ${requestsOf(report)} requests, ${rounds} rounds, ${connections} connections`);
    expect(requestsOf(report)).toBeGreaterThan(15);
    // Discovery (2) → the runner namespaces' LISTs and the access review (≤ 2) → exec, dry-runs (≤ 2).
    expect(rounds).toBeLessThanOrEqual(7);
  });
});
