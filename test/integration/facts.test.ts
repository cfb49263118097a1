// Facts as data, on the real control plane: a live run and an offline run of its snapshot judge the
// same; a snapshot and every output hold no secret value (canaries in a pod's env, a Secret and a proxy
// URL); the deadline holds from process start through an API server that answers late. (A forbidden
// fact with nothing failing, exit 4: check-cluster.test.ts.)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { Cluster } from '../cluster/cluster.ts';
import { NS, runnerObjects, wireRunnerPod } from '../cluster/fixture.ts';
import { delayingProxy } from '../helpers/net-servers.ts';
import { parse as parseJunit } from 'test-results-parser';
import { tempDir } from '../helpers/tmp.ts';

const skip = inject('clusterSkip');
const c = skip ? (undefined as unknown as Cluster) : Cluster.attach(inject('clusterDir'));
const BIN = join(process.cwd(), 'bin/runner-doctor');

interface Result {
  checkId: string;
  code: string;
  status: string;
  message: string;
  target: string;
  durationMs: number;
  details?: Record<string, unknown>;
}
interface Report {
  results: Result[];
  fatal?: { message: string };
  durationMs: number;
  notes: string[];
  summary: unknown;
}

/** The built CLI, asynchronously (local servers in this process must keep answering while it runs). */
function doctor(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'check', ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: c.kubeconfig, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
const tmp = () => tempDir('rd-facts-');
const withoutTimes = (r: Report) => r.results.map(({ durationMs: _d, ...x }) => x);

describe.skipIf(Boolean(skip))('facts as data on the real control plane', () => {
  it('a live run and an offline run of its snapshot give equal reports (timings aside)', async () => {
    const dir = tmp();
    const live = await doctor([
      '--namespace',
      NS,
      '--no-derived-targets',
      '--output',
      `json=${dir}/live.json`,
      '--save-snapshot',
      `${dir}/s.json.gz`,
    ]);
    const offline = await doctor(['--from-snapshot', `${dir}/s.json.gz`, '--output', `json=${dir}/offline.json`], {
      KUBECONFIG: '/nonexistent',
    });
    const a = JSON.parse(readFileSync(`${dir}/live.json`, 'utf8')) as Report;
    const b = JSON.parse(readFileSync(`${dir}/offline.json`, 'utf8')) as Report;
    expect(a.results.length).toBeGreaterThan(60);
    expect(withoutTimes(b)).toEqual(withoutTimes(a));
    expect(b.summary).toEqual(a.summary);
    expect(offline.code).toBe(live.code);
    // Every kind of fact is in there: cluster lists, the in-pod probe of each pod, the metrics scrapes.
    const snap = JSON.parse(gunzipSync(readFileSync(`${dir}/s.json.gz`)).toString('utf8'));
    expect(Object.keys(snap.facts.run)).toEqual(
      expect.arrayContaining(['runnerPods', 'nodes', 'clusterPods', 'podSecurity', 'runnerMetrics', 'secretKeys']),
    );
    const pods = snap.targets.filter((t: { kind: string }) => t.kind === 'pod');
    expect(pods).toHaveLength(2);
    for (const p of pods)
      expect(Object.keys(snap.facts[p.name])).toEqual(expect.arrayContaining(['runtimes', 'cgroup', 'env']));
  });

  it('no secret value reaches any output or the snapshot: canaries in a pod env value, a Secret and a proxy URL', async () => {
    const ns = 'v-canary';
    const ENV_CANARY = 'canary-env-5e1d-never-print';
    const SECRET_CANARY = 'canary-secret-8b2c-never-print';
    const PROXY_CANARY = 'canary-proxy-pw-77aa';
    const objs = runnerObjects({ replicas: 1 }).filter((x: any) => x.kind !== 'APIService') as Record<string, any>[];
    for (const x of objs) {
      if (x.kind === 'Namespace') x.metadata.name = ns;
      else x.metadata.namespace = ns;
    }
    const dep = objs.find((x) => x.kind === 'Deployment');
    const ctr = dep?.spec.template.spec.containers[0];
    ctr.env.push(
      { name: 'DB_PASSWORD', value: ENV_CANARY },
      { name: 'WAREHOUSE_TOKEN', valueFrom: { secretKeyRef: { name: 'warehouse', key: 'token' } } },
    );
    ctr.env = ctr.env.map((e: { name: string; value?: string }) =>
      e.name === 'PROXY_HTTPS'
        ? { name: 'PROXY_HTTPS', value: `http://doctor:${PROXY_CANARY}@proxy.internal:3128` }
        : e,
    );
    objs.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'warehouse', namespace: ns },
      stringData: { token: SECRET_CANARY },
    });
    onTestFinished(() => c.deleteNamespaces([ns]));
    await c.apply(objs.slice(0, 1));
    await c.waitFor(async () => (await c.kubectl(['get', 'sa', 'default', '-n', ns])).code === 0, 30_000, 'default SA');
    await c.apply(objs.slice(1));
    await c.waitForPods(ns, 1);
    // The pod's exec gets the same env, so the in-pod probe sees the canaries too.
    const [pod] = await podsIn(ns);
    if (pod)
      await wireRunnerPod(
        c,
        pod,
        {},
        {
          DB_PASSWORD: ENV_CANARY,
          WAREHOUSE_TOKEN: SECRET_CANARY,
          PROXY_HTTPS: `http://doctor:${PROXY_CANARY}@proxy.internal:3128`,
        },
        ns,
      );
    const dir = tmp();
    const r = await doctor([
      '--namespace',
      ns,
      '--no-derived-targets',
      '--target',
      'warehouse=127.0.0.1:9',
      '--output',
      `json=${dir}/r.json`,
      '--output',
      `junit=${dir}/r.xml`,
      '--output',
      `text=${dir}/r.txt`,
      '--save-snapshot',
      `${dir}/s.json`,
    ]);
    const outputs: Record<string, string> = {
      stdout: r.stdout,
      stderr: r.stderr,
      ...Object.fromEntries(
        ['r.json', 'r.xml', 'r.txt', 's.json'].map((f) => [f, readFileSync(`${dir}/${f}`, 'utf8')]),
      ),
    };
    for (const [name, text] of Object.entries(outputs))
      for (const canary of [ENV_CANARY, SECRET_CANARY, PROXY_CANARY])
        expect(text.includes(canary), `${canary} in ${name}`).toBe(false);
    // The JUnit file of this real run, read by a JUnit consumer from npm (the parser behind testbeats'
    // CI publishers), beside the xmllint schema test: its counts are those of the JSON report.
    const rep = JSON.parse(outputs['r.json'] ?? '{}') as Report;
    const junit = parseJunit({ type: 'junit', files: [`${dir}/r.xml`] });
    const count = (st: string) => rep.results.filter((x) => x.status === st).length;
    // Its root counts (the consumer leaves skipped cases out of `total`), its suites' skipped counts, and
    // the status it gives each case (an <error> case is FAIL to it).
    expect(junit.failed).toBe(count('fail'));
    expect(junit.errors).toBe(count('error'));
    expect(junit.suites.reduce((n, x) => n + x.skipped, 0)).toBe(count('skip'));
    const cases = junit.suites.flatMap((x) => x.cases);
    expect(cases.length).toBe(rep.results.length);
    const by = (st: string) => cases.filter((k) => k.status === st).length;
    expect([by('PASS'), by('FAIL'), by('SKIP')]).toEqual([
      count('pass') + count('info') + count('warn'),
      count('fail') + count('error'),
      count('skip'),
    ]);
    // The facts were really collected: the Secret by its key names, the env by name, the proxy without its password.
    const snap = JSON.parse(outputs['s.json'] ?? '{}');
    expect(snap.facts.run.secretKeys.value).toContainEqual({ namespace: ns, name: 'warehouse', keys: ['token'] });
    expect(JSON.stringify(snap.facts.run.runnerPods.value)).toContain('"name":"DB_PASSWORD","value":"***"');
    expect(JSON.stringify(snap)).toContain('http://***@proxy.internal:3128');
  });

  it('the deadline holds from process start through an API server that answers every response 2 s late', async () => {
    const port = Number(new URL(c.server).port);
    const proxy = await delayingProxy(port, 2000);
    onTestFinished(() => proxy.close());
    const slow = join(tmp(), 'slow.kubeconfig');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      slow,
      readFileSync(c.kubeconfig, 'utf8').replace(
        /server: https:\/\/127\.0\.0\.1:\d+/,
        `server: https://127.0.0.1:${proxy.port}`,
      ),
    );
    const r = await doctor(['--namespace', NS, '--no-derived-targets', '--timeout', '8', '--output', 'json=-'], {
      KUBECONFIG: slow,
    });
    const rep = JSON.parse(r.stdout) as Report;
    // It stopped at the deadline instead of waiting for every late answer (counted by the proxy, not timed):
    // answers were still on their way when the doctor had gone.
    await new Promise((res) => setTimeout(res, 2500));
    expect(proxy.dropped()).toBeGreaterThan(0);
    const late = rep.results.filter((x) => x.code.endsWith('/error-deadline') || x.details?.reason === 'deadline');
    expect(late.length).toBeGreaterThan(0);
    for (const x of late) expect(x.message).toMatch(/deadline/);
    expect(rep.notes.join(' ')).toMatch(/deadline \(--timeout 8 s, from process start\) passed/);
    expect([1, 3, 4]).toContain(r.code);
  });
});

async function podsIn(ns: string) {
  const out = JSON.parse(await c.k(['get', 'pods', '-n', ns, '-o', 'json'])).items as {
    metadata: { name: string };
    spec: { containers: { env?: { name: string; value?: string }[] }[] };
  }[];
  return out.map((p) => ({
    name: p.metadata.name,
    node: '',
    phase: 'Running',
    env: {
      ...Object.fromEntries(
        (p.spec.containers[0]?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? '']),
      ),
      OAUTH_CLIENT_ID: 'x',
      OAUTH_CLIENT_SECRET: 'y',
    },
  }));
}
