// `runner-doctor check --namespace` against the real control plane: the healthy fixture, each fault
// the cluster checks must catch, bad access (unauthorized, unreachable, forbidden), the in-pod probe
// through exec, the API request budget and read-only behaviour read from the audit log.
import { afterAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from '../cluster/cluster.ts';
import {
  NS,
  chartEnv,
  OAUTH_SECRET_CANARY,
  runnerObjects,
  runnerPods,
  wireRunnerPod,
  type FixtureOpts,
} from '../cluster/fixture.ts';
import { PodMetricsServer, runnerMetrics } from '../cluster/metrics.ts';
import { mkdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { toolsDir } from '../helpers/fixture-root.ts';
import { deriveTargets, settingsFromEnv } from '../../src/domain/egress.ts';
import { connectProxy, httpsServer, makePki, refusedPort } from '../helpers/net-servers.ts';
import { CHECKS } from '../../checks/index.ts';
import { rbacFor } from '../../src/cli/manifest.ts';
import { COLLECTORS, factClosure } from '../../src/facts/registry.ts';

const skip = inject('clusterSkip');
const c = skip ? (undefined as unknown as Cluster) : Cluster.attach(inject('clusterDir'));
const BIN = join(process.cwd(), 'bin/runner-doctor');
// The pod metrics server started with the cluster, inside a harness network namespace ('' when none could be made: not root).
const metricsAddr = skip ? '' : inject('metricsAddr');
const metricsSkip = skip ? skip : inject('metricsSkip');
/** Every variant namespace a test made: removed when that test finishes, and again at the end in case one was missed. */
const variants = new Set<string>();

interface Result {
  checkId: string;
  status: string;
  message: string;
  target: string;
  remediation?: { text: string };
}
interface Report {
  results: Result[];
  fatal?: { message: string };
  notes: string[];
}

function doctor(args: string[], kubeconfig = c.kubeconfig) {
  // Never the internet: derived endpoints off unless a test points them at local servers with overrides.
  const noInternet = args.some((a) => a.startsWith('--egress-override') || a === '--derived-targets')
    ? []
    : ['--no-derived-targets'];
  const r = spawnSync(process.execPath, [BIN, 'check', ...args, ...noInternet, '--output', 'json=-'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: kubeconfig },
    encoding: 'utf8',
    timeout: 90_000,
  });
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`not JSON (exit ${r.status}): ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 300)}`);
  }
  return { code: r.status, report, stderr: r.stderr, stdout: r.stdout };
}
const byId = (rep: Report, id: string) => rep.results.filter((r) => r.checkId === id);
const first = (rep: Report, id: string) => {
  const r = byId(rep, id)[0];
  if (!r) throw new Error(`no result for ${id}: ${JSON.stringify(rep.results.map((x) => x.checkId))}`);
  return r;
};

/**
 * A copy of the runner release in its own namespace, mutated; waits for its pods to exist (and run, unless
 * told not to). The namespace and its pods are deleted when the test finishes, so no test depends on the
 * capacity an earlier one left behind; a wait that times out says why (phases, scheduler, ReplicaSet).
 */
async function variant(
  ns: string,
  o: FixtureOpts & { replicas?: number; running?: boolean } = {},
  mutate: (objs: Record<string, any>[]) => void = () => {},
): Promise<void> {
  const objs = runnerObjects({ replicas: 1, ...o }).filter((x: any) => x.kind !== 'APIService') as Record<
    string,
    any
  >[];
  for (const x of objs) {
    if (x.kind === 'Namespace') x.metadata.name = ns;
    else x.metadata.namespace = ns;
  }
  mutate(objs);
  variants.add(ns);
  onTestFinished(async () => {
    await c.deleteNamespaces([ns]);
    variants.delete(ns);
  });
  await c.apply(objs.slice(0, 1));
  await c.waitFor(async () => (await c.kubectl(['get', 'sa', 'default', '-n', ns])).code === 0, 30_000, 'default SA');
  await c.apply(objs.slice(1));
  await c.waitForPods(ns, o.replicas ?? 1, { running: o.running !== false });
}
const podNames = async (ns: string) =>
  (await c.k(['get', 'pods', '-n', ns, '-o', 'name']))
    .trim()
    .split('\n')
    .map((p) => p.replace('pod/', ''))
    .sort();
const deployment = (objs: Record<string, any>[]) => objs.find((x) => x.kind === 'Deployment')!;
const sa = (objs: Record<string, any>[]) => objs.find((x) => x.kind === 'ServiceAccount')!;
const container = (objs: Record<string, any>[]) => deployment(objs).spec.template.spec.containers[0];

describe.skipIf(Boolean(skip))('check --namespace on the real control plane', () => {
  it('the healthy fixture: every check judges, nothing fails, exit 0, in-pod results per pod', () => {
    const { code, report } = doctor(['--namespace', NS]);
    expect(report.fatal).toBeUndefined();
    const bad = report.results.filter((r) => r.status === 'fail' || r.status === 'error');
    expect(bad, JSON.stringify(bad, null, 1)).toEqual([]);
    expect(code).toBe(0);
    const pods = new Set(byId(report, 'runtime.python.file').map((r) => r.target));
    expect(pods.size).toBe(2);
    expect(first(report, 'network.policy').status).toBe('pass');
    expect(first(report, 'identity.service-account').status).toBe('pass');
    expect(first(report, 'security.agents').message).toMatch(/no known runtime security agent/);
    expect(first(report, 'scaling.headroom')).toMatchObject({
      status: 'pass',
      message: expect.stringMatching(
        /more runner pods \(1 CPU \/ 4\.0 GiB \/ 50\.0 GiB disk each\) fit on the nodes; maxReplicas 10 needs 8 more — task capacity 40 now, 200 at maxReplicas 10/,
      ),
    });
    expect(first(report, 'workload.resources')).toMatchObject({
      status: 'pass',
      message: expect.stringMatching(/^runnerSize small/),
    });
    if (metricsAddr)
      expect(byId(report, 'workload.metrics').map((r) => [r.status, r.message])).toEqual(
        [0, 1].map(() => ['pass', 'agent running, 3/20 active tasks, version 2026.11.3']),
      );
    expect(JSON.stringify(report)).not.toContain(OAUTH_SECRET_CANARY);
  });

  it('counts its API requests: a full run stays within a fixed budget, whatever the number of checks', async () => {
    const user = 'doctor-budget';
    await c.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: user },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'User', name: user, apiGroup: 'rbac.authorization.k8s.io' }],
    });
    const kc = c.userKubeconfig(user);
    doctor(['--namespace', NS], kc);
    const events = (await c.auditEvents()).filter((e) => e.user.username === user && e.stage !== 'RequestReceived');
    const requests = new Set(events.map((e) => e.auditID)).size;
    // Budget: 1 version + 1 pod LIST + ~12 LISTs (one per resource type) + one access review before each
    // + 2 PSA dry-runs + 1 exec per pod (+ its access review) ≈ 32 for 2 pods. It does not grow with checks.
    expect(requests).toBeGreaterThan(10);
    expect(requests).toBeLessThanOrEqual(40);
    const lists = events.filter((e) => e.verb === 'list' && e.stage === 'ResponseComplete');
    const perResource = new Map<string, number>();
    for (const e of lists)
      perResource.set(`${e.objectRef?.resource}`, (perResource.get(`${e.objectRef?.resource}`) ?? 0) + 1);
    // No per-object GET loops: at most one LIST per resource type and scope (pods: runner pods + all pods).
    for (const [res, n] of perResource) expect(n, res).toBeLessThanOrEqual(res === 'pods' ? 2 : 1);
    expect(
      events.filter((e) => e.verb === 'get' && e.objectRef?.resource === 'pods' && !e.objectRef.subresource),
    ).toEqual([]);
  });

  it('read-only: as the least-privilege ServiceAccount, the only writes are exec, self-subject reviews and dry-runs', async () => {
    await c.k(['apply', '-f', 'deploy/rbac.yaml']);
    const kc = await c.serviceAccountKubeconfig(NS, 'runner-doctor');
    const { report } = doctor(['--namespace', NS], kc);
    expect(report.results.filter((r) => r.status === 'error')).toEqual([]);
    const events = (await c.auditEvents()).filter(
      (e) => e.user.username === `system:serviceaccount:${NS}:runner-doctor` && e.stage === 'ResponseComplete',
    );
    const writes = events.filter((e) => !['get', 'list', 'watch'].includes(e.verb));
    for (const w of writes) {
      const ok =
        (w.objectRef?.resource === 'pods' && w.objectRef.subresource === 'exec') ||
        w.objectRef?.resource === 'selfsubjectaccessreviews' ||
        /[?&]dryRun=All/.test(w.requestURI);
      expect(ok, `${w.verb} ${w.requestURI}`).toBe(true);
    }
    // Exec over WebSocket is an HTTP GET, so audit records it as `get pods/exec`: it ran, once per pod.
    expect(events.filter((e) => e.objectRef?.subresource === 'exec').length).toBe(2);
    expect(writes.some((w) => /dryRun=All/.test(w.requestURI) && w.objectRef?.resource === 'namespaces')).toBe(true);
  });

  it('expired credentials: exit 3, "unauthorized" with the certificate\'s expiry, every output written', () => {
    const { code, report } = doctor(['--namespace', NS], c.userKubeconfig('expired-user', [], { expired: true }));
    expect(code).toBe(3);
    expect(report.fatal?.message).toMatch(
      /^unauthorized: the API server rejected the credentials \(the client certificate expired on \d{4}-/,
    );
  });

  it('API server unreachable: exit 3, "connection refused"', () => {
    const text = readFileSync(c.kubeconfig, 'utf8').replace(
      /server: https:\/\/127\.0\.0\.1:\d+/,
      'server: https://127.0.0.1:9',
    );
    const file = join(c.dir, 'unreachable.kubeconfig');
    writeFileSync(file, text);
    const { code, report } = doctor(['--namespace', NS], file);
    expect(code).toBe(3);
    expect(report.fatal?.message).toBe('API server unreachable: connection to 127.0.0.1:9 refused');
    // The client remembers the failure: one request, not one per check waiting for the same timeout.
    // The first wave of requests (discovery and the cluster-wide lists, sent together) finds the port closed;
    // nothing after it is sent: the client remembers the failure.
    const sent = Number(report.notes.find((n) => /Kubernetes API requests/.test(n))?.split(' ')[0]);
    expect(sent).toBeGreaterThanOrEqual(1);
    // At most the first wave: one request per cluster fact started beside discovery (and retries of none).
    expect(sent).toBeLessThanOrEqual(30);
    expect(report.results.filter((r) => r.status === 'error').every((r) => r.message === report.fatal?.message)).toBe(
      true,
    );
  });

  it('forbidden secrets only: the checks reading Secrets are error: forbidden (with the rule), everything else still runs', async () => {
    // The generated least-privilege rules (what `runner-doctor manifest` prints) without the one on Secrets.
    const { role, clusterRole } = rbacFor(CHECKS, true);
    const noSecrets = (rules: { resources: string[] }[]) => rules.filter((r) => !r.resources.includes('secrets'));
    const subjects = [{ kind: 'User', name: 'no-secrets', apiGroup: 'rbac.authorization.k8s.io' }];
    const rbac = 'rbac.authorization.k8s.io';
    await c.apply([
      {
        apiVersion: `${rbac}/v1`,
        kind: 'Role',
        metadata: { name: 'doctor-no-secrets', namespace: NS },
        rules: noSecrets(role),
      },
      {
        apiVersion: `${rbac}/v1`,
        kind: 'RoleBinding',
        metadata: { name: 'doctor-no-secrets', namespace: NS },
        roleRef: { apiGroup: rbac, kind: 'Role', name: 'doctor-no-secrets' },
        subjects,
      },
      {
        apiVersion: `${rbac}/v1`,
        kind: 'ClusterRole',
        metadata: { name: 'doctor-no-secrets' },
        rules: noSecrets(clusterRole),
      },
      {
        apiVersion: `${rbac}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: { name: 'doctor-no-secrets' },
        roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'doctor-no-secrets' },
        subjects,
      },
    ]);
    // The checks whose facts (or the facts those are made from) declare the Secrets rule.
    const secretFacts = new Set(
      [...COLLECTORS].filter(([, col]) => col.rbac.some((r) => r.resources.includes('secrets'))).map(([n]) => n),
    );
    const readingSecrets = CHECKS.filter((ch) =>
      [...factClosure(ch.needs, { namespaced: true, failingOnly: true })].some((f) => secretFacts.has(f)),
    )
      .map((ch) => ch.id)
      .sort();
    expect(readingSecrets).toContain('workload.secrets');
    const { report, code } = doctor(['--namespace', NS], c.userKubeconfig('no-secrets'));
    // Nothing failed, one check could not judge: incomplete, not a finding.
    expect(code).toBe(4);
    expect(first(report, 'workload.secrets')).toMatchObject({
      status: 'error',
      message:
        'forbidden: cannot list secrets in namespace matillion (needs {apiGroups: [""], resources: ["secrets"], verbs: ["list"]})',
    });
    expect([...new Set(report.results.filter((r) => r.status === 'error').map((r) => r.checkId))].sort()).toEqual(
      readingSecrets,
    );
    expect(first(report, 'network.policy').status).toBe('pass');
    expect(byId(report, 'runtime.python.file').map((r) => r.status)).toEqual(['pass', 'pass']);
  });

  it('forbidden pod list: every check that reads the runner pods says so with the rule, cluster-wide checks still run', async () => {
    const { report } = doctor(['--namespace', NS], c.userKubeconfig('nobody-special'));
    expect(first(report, 'workload.runner-pods')).toMatchObject({
      status: 'error',
      message: expect.stringMatching(
        /^forbidden: cannot list pods in namespace matillion \(needs \{apiGroups: \[""\], resources: \["pods"\], verbs: \["list"\]\}\)$/,
      ),
    });
    expect(first(report, 'cluster.version').status).toBe('pass');
    const readers = report.results.filter(
      (r) => r.checkId.startsWith('workload.') || r.checkId === 'identity.service-account',
    );
    expect(readers.length).toBeGreaterThan(4);
    for (const r of readers)
      expect(r).toMatchObject({
        status: 'error',
        message: expect.stringMatching(/^forbidden: cannot (list|get) \S+ in namespace matillion \(needs /),
      });
  });

  it('IRSA role ARN placeholder → identity fail and placeholder fail; malformed → warn; CLOUD_PROVIDER missing → warn', async () => {
    await variant('v-irsa-ph', { roleArn: '<ServiceAccountRoleArn>' });
    const a = doctor([
      '--namespace',
      'v-irsa-ph',
      '--only',
      'identity,workload.placeholders',
      '--skip',
      'runtime,filesystem,resources,security,environment,credentials',
    ]).report;
    expect(first(a, 'identity.service-account')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/unfilled placeholder \(<ServiceAccountRoleArn>\)/),
    });
    expect(first(a, 'workload.placeholders')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/eks\.amazonaws\.com\/role-arn = <ServiceAccountRoleArn>/),
    });
    await variant('v-irsa-bad', { roleArn: 'matillion-role' });
    expect(
      first(doctor(['--namespace', 'v-irsa-bad', '--only', 'identity']).report, 'identity.service-account'),
    ).toMatchObject({ status: 'warn', message: expect.stringMatching(/malformed/) });
    await variant('v-no-provider', {}, (objs) => {
      container(objs).env = container(objs).env.filter((e: { name: string }) => e.name !== 'CLOUD_PROVIDER');
    });
    expect(
      first(doctor(['--namespace', 'v-no-provider', '--only', 'identity']).report, 'identity.service-account'),
    ).toMatchObject({ status: 'warn', message: expect.stringMatching(/CLOUD_PROVIDER is not set/) });
  });

  it('IRSA missing: fail without static keys, info with static keys from a Secret', async () => {
    await variant('v-irsa-none', {}, (objs) => (sa(objs).metadata.annotations = {}));
    expect(
      first(doctor(['--namespace', 'v-irsa-none', '--only', 'identity']).report, 'identity.service-account').status,
    ).toBe('fail');
    await variant('v-static', {}, (objs) => {
      sa(objs).metadata.annotations = {};
      objs.push({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'matillion-runner-aws-local', namespace: 'v-static' },
        stringData: {
          'aws-region': 'eu-west-1',
          'aws-access-key-id': 'AKIAEXAMPLE',
          'aws-secret-access-key': 'static-secret',
        },
      });
      container(objs).envFrom.push({ secretRef: { name: 'matillion-runner-aws-local' } });
    });
    const r = doctor(['--namespace', 'v-static', '--only', 'identity,workload.secrets']).report;
    expect(first(r, 'identity.service-account')).toMatchObject({
      status: 'info',
      message: expect.stringMatching(/static AWS keys/),
    });
    expect(first(r, 'workload.secrets').status).toBe('pass');
  });

  it('Azure workload identity without the pod label → fail; complete → pass', async () => {
    const azure = (podLabel: boolean) => (objs: Record<string, any>[]) => {
      sa(objs).metadata.annotations = { 'azure.workload.identity/client-id': '00000000-1111-2222-3333-444444444444' };
      sa(objs).metadata.labels = { ...sa(objs).metadata.labels, 'azure.workload.identity/use': 'true' };
      const labels = deployment(objs).spec.template.metadata.labels;
      if (podLabel) labels['azure.workload.identity/use'] = 'true';
      else delete labels['azure.workload.identity/use'];
    };
    await variant('v-azure-nolabel', { cloud: 'AZURE' }, azure(false));
    expect(
      first(doctor(['--namespace', 'v-azure-nolabel', '--only', 'identity']).report, 'identity.service-account'),
    ).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/label azure\.workload\.identity\/use: "true" on the pod/),
    });
    await variant('v-azure-ok', { cloud: 'AZURE' }, azure(true));
    expect(
      first(doctor(['--namespace', 'v-azure-ok', '--only', 'identity']).report, 'identity.service-account').status,
    ).toBe('pass');
  });

  it('a NetworkPolicy that blocks DNS → fail; one that drops 443 → fail', async () => {
    await variant('v-np-deny', {}, (objs) =>
      objs.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'default-deny', namespace: 'v-np-deny' },
        spec: { podSelector: {}, policyTypes: ['Egress'] },
      }),
    );
    const deny = doctor(['--namespace', 'v-np-deny', '--only', 'network.policy']).report;
    // The chart's policy still allows DNS and 443: the union of policies decides, so this passes.
    expect(first(deny, 'network.policy').status).toBe('pass');
    await variant('v-np-nodns', {}, (objs) => {
      const np = objs.find((x) => x.kind === 'NetworkPolicy')!;
      np.spec.egress = [{ ports: [{ port: 443, protocol: 'TCP' }] }];
    });
    expect(
      first(doctor(['--namespace', 'v-np-nodns', '--only', 'network.policy']).report, 'network.policy'),
    ).toMatchObject({ status: 'fail', message: expect.stringMatching(/block.*DNS 53\/UDP, DNS 53\/TCP/) });
    await variant('v-np-no443', {}, (objs) => {
      const np = objs.find((x) => x.kind === 'NetworkPolicy')!;
      np.spec.egress = [
        {
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
        },
      ];
    });
    expect(
      first(doctor(['--namespace', 'v-np-no443', '--only', 'network.policy']).report, 'network.policy'),
    ).toMatchObject({ status: 'fail', message: expect.stringMatching(/HTTPS 443\/TCP/) });
  });

  it('HPA target above 20 → fail; non-standard image tag → warn; a referenced Secret missing → fail', async () => {
    await variant('v-mixed', { image: 'public.ecr.aws/matillion/etl-agent:1.2.3' }, (objs) => {
      const hpa = objs.find((x) => x.kind === 'HorizontalPodAutoscaler')!;
      hpa.spec.metrics[0].pods.target.averageValue = '25';
      container(objs).env.push({
        name: 'DB_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'warehouse-credentials', key: 'password' } },
      });
    });
    const r = doctor(['--namespace', 'v-mixed', '--only', 'scaling,workload']).report;
    expect(first(r, 'scaling.hpa')).toMatchObject({ status: 'fail', message: expect.stringMatching(/target 25 > 20/) });
    expect(first(r, 'workload.image')).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/"1\.2\.3" is not a supported track/),
    });
    expect(first(r, 'workload.secrets')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/Secret v-mixed\/warehouse-credentials \(env DB_PASSWORD\) does not exist/),
    });
  });

  it("no Running runner pod → fail with the scheduler's reason", async () => {
    await variant(
      'v-pending',
      { running: false },
      (objs) => (deployment(objs).spec.template.spec.nodeSelector = { pool: 'does-not-exist' }),
    );
    await c.waitFor(
      async () => (await c.k(['get', 'events', '-n', 'v-pending'])).includes('FailedScheduling'),
      30_000,
      'a scheduling event',
    );
    const { report, code } = doctor(['--namespace', 'v-pending']);
    expect(first(report, 'workload.runner-pods')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(
        /none of the 1 runner pod\(s\) is Running: .* is Pending .*FailedScheduling: .*node affinity\/selector/,
      ),
    });
    expect(code).toBe(1);
  });

  it("a namespace enforcing restricted is reported from the API server's own dry-run", async () => {
    await variant(
      'v-restricted',
      {},
      (objs) => (objs[0]!.metadata.labels = { 'pod-security.kubernetes.io/warn': 'restricted' }),
    );
    // Enforce after the pods exist (admission would otherwise reject them): exactly the situation of a namespace hardened later.
    await c.k(['label', 'ns', 'v-restricted', 'pod-security.kubernetes.io/enforce=restricted', '--overwrite']);
    const r = doctor(['--namespace', 'v-restricted', '--only', 'security.pod-security']).report;
    expect(first(r, 'security.pod-security')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/enforces restricted and the runner pods violate it/),
    });
  });

  it("a CrowdStrike DaemonSet with a pod on the runner's node → warn explaining the exit-137 signature", async () => {
    const nodes = [...new Set((await runnerPods(c)).map((p) => p.node))];
    await c.apply([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'falcon-system' } }]);
    onTestFinished(() => c.deleteNamespaces(['falcon-system']));
    await c.waitFor(
      async () => (await c.kubectl(['get', 'sa', 'default', '-n', 'falcon-system'])).code === 0,
      30_000,
      'default SA',
    );
    await c.apply({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'falcon-node-sensor', namespace: 'falcon-system' },
      spec: {
        selector: { matchLabels: { app: 'falcon' } },
        template: {
          metadata: { labels: { app: 'falcon' } },
          spec: { containers: [{ name: 'sensor', image: 'falcon-sensor:7' }] },
        },
      },
    });
    await c.waitFor(
      async () =>
        JSON.parse(await c.k(['get', 'pods', '-n', 'falcon-system', '-o', 'json'])).items.filter(
          (p: { spec: { nodeName?: string } }) => nodes.includes(p.spec.nodeName ?? ''),
        ).length > 0,
      30_000,
      'falcon pods',
    );
    const r = doctor(['--namespace', NS, '--only', 'security.agents']).report;
    expect(first(r, 'security.agents')).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/CrowdStrike Falcon \(node sensor\).*exit 137/),
    });
  });

  it('python3 killed with 137 on file runs inside one pod is caught for that pod only', async () => {
    await variant('v-py137', {});
    const [pod] = (await c.k(['get', 'pods', '-n', 'v-py137', '-o', 'name'])).trim().split('\n');
    const name = pod!.replace('pod/', '');
    const env = Object.fromEntries(
      runnerObjects()
        .flatMap((o: any) => (o.kind === 'Deployment' ? o.spec.template.spec.containers[0].env : []))
        .map((e: any) => [e.name, e.value]),
    );
    const py137 = '#!/bin/sh\nif [ "$1" = "-c" ]; then echo "rd-inline-ok Python 3.11.9"; exit 0; fi\nexit 137\n';
    await wireRunnerPod(
      c,
      { name, node: '', phase: 'Running', env: { ...env, OAUTH_CLIENT_ID: 'x', OAUTH_CLIENT_SECRET: 'y' } },
      { bin: { python3: py137 }, real: ['java'] },
      {},
      'v-py137',
    );
    const r = doctor([
      '--namespace',
      'v-py137',
      '--only',
      'runtime.python.present,runtime.python.inline,runtime.python.file',
    ]).report;
    expect(first(r, 'runtime.python.inline').status).toBe('pass');
    expect(first(r, 'runtime.python.file')).toMatchObject({
      status: 'fail',
      target: `v-py137/${name}`,
      message: expect.stringMatching(/killed \(exit 137\).*security agent/),
    });
    // The healthy pods in the fixture namespace are unaffected.
    expect(
      byId(doctor(['--namespace', NS, '--only', 'runtime.python.file']).report, 'runtime.python.file').map(
        (x) => x.status,
      ),
    ).toEqual(['pass', 'pass']);
  });
});

describe.skipIf(Boolean(skip))('scaling, resources, metrics and pod status on the real control plane', () => {
  it('max replicas that do not fit on the nodes → fail naming what blocks them; with an autoscaler → info', async () => {
    await variant('v-headroom', {}, (objs) => {
      objs.find((x) => x.kind === 'HorizontalPodAutoscaler')!.spec.maxReplicas = 200;
      container(objs).resources = { requests: { cpu: '4', memory: '16Gi' }, limits: { cpu: '8', memory: '16Gi' } };
      deployment(objs).spec.template.spec.nodeSelector = { 'topology.kubernetes.io/zone': 'zone-a' };
    });
    let r = doctor(['--namespace', 'v-headroom', '--only', 'scaling.headroom']).report;
    const res = first(r, 'scaling.headroom') as Result & {
      details: { morePodsFit: number; nodes: { node: string; fits: number; reason?: string }[] };
    };
    // Only kwok-node-a (zone-a, 8 CPU / 32 GiB) may take the pods; it already holds the fixture's and this variant's.
    expect(res).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(
        /^only [01] more runner pods \(4 CPU \/ 16\.0 GiB each\) fit on the current nodes but maxReplicas 200 needs 199 more: capacity stops at \d+ of 4000 tasks.*no cluster autoscaler or Karpenter/,
      ),
    });
    expect(res.details.nodes.find((n) => n.node === 'kwok-node-b')).toMatchObject({
      fits: 0,
      reason: 'nodeSelector topology.kubernetes.io/zone=zone-a does not match',
    });
    expect(res.remediation?.text).toMatch(/lower the HPA's maxReplicas to [12]/);
    // A Karpenter controller in the cluster: the same shortfall is what it is for.
    await c.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'karpenter-7d9f', namespace: 'kube-system', labels: { 'app.kubernetes.io/name': 'karpenter' } },
      spec: { containers: [{ name: 'controller', image: 'karpenter/controller:1.8' }] },
    });
    r = doctor(['--namespace', 'v-headroom', '--only', 'scaling.headroom']).report;
    expect(first(r, 'scaling.headroom')).toMatchObject({
      status: 'info',
      message: expect.stringMatching(/karpenter \(pod kube-system\/karpenter-7d9f\) can add nodes/),
    });
    await c.k(['delete', 'pod', '-n', 'kube-system', 'karpenter-7d9f', '--wait=false']);
  });

  it('custom metrics API missing → fail: the HPA cannot read app_active_task_count', async () => {
    await c.k(['delete', 'apiservice', 'v1beta1.custom.metrics.k8s.io']);
    try {
      const r = doctor(['--namespace', NS, '--only', 'scaling.hpa']).report;
      expect(first(r, 'scaling.hpa')).toMatchObject({
        status: 'fail',
        message:
          'HPA matillion/matillion-runner-hpa cannot scale: the custom metrics API v1beta1.custom.metrics.k8s.io is not registered',
      });
    } finally {
      await c.apply(runnerObjects().filter((x: any) => x.kind === 'APIService'));
    }
  });

  it("resources: no memory limit → fail; -Xmx at the memory limit → fail; the chart's small size → pass", async () => {
    await variant('v-nolimit', {}, (objs) => (container(objs).resources = { requests: { cpu: '1', memory: '4Gi' } }));
    await variant('v-xmx', {}, (objs) => container(objs).env.push({ name: 'JAVA_OPTS', value: '-Xms1g -Xmx4g' }));
    expect(
      first(doctor(['--namespace', 'v-nolimit', '--only', 'workload.resources']).report, 'workload.resources'),
    ).toMatchObject({ status: 'fail', message: expect.stringMatching(/^no memory limit/) });
    expect(
      first(doctor(['--namespace', 'v-xmx', '--only', 'workload.resources']).report, 'workload.resources'),
    ).toMatchObject({
      status: 'fail',
      message: 'JVM -Xmx 4.0 GiB ≥ memory limit 4.0 GiB: the runner is OOM-killed before the heap is full',
    });
  });

  it('restarts > 5 → warn; last exit OOMKilled → warn; ImagePullBackOff → fail with the registry to allow (status as a kubelet reports it)', async () => {
    await variant('v-restarts', { replicas: 3 });
    const [a, b, d] = await podNames('v-restarts');
    const status = (pod: string, patch: object[]) =>
      c.k([
        'patch',
        'pod',
        '-n',
        'v-restarts',
        pod!,
        '--subresource=status',
        '--type=json',
        '-p',
        JSON.stringify(patch),
      ]);
    await status(a!, [{ op: 'replace', path: '/status/containerStatuses/0/restartCount', value: 7 }]);
    await status(b!, [
      { op: 'replace', path: '/status/containerStatuses/0/restartCount', value: 2 },
      {
        op: 'add',
        path: '/status/containerStatuses/0/lastState',
        value: {
          terminated: {
            exitCode: 137,
            reason: 'OOMKilled',
            startedAt: '2026-11-21T00:00:00Z',
            finishedAt: '2026-11-21T01:00:00Z',
          },
        },
      },
    ]);
    await status(d!, [
      {
        op: 'replace',
        path: '/status/containerStatuses/0/state',
        value: {
          waiting: {
            reason: 'ImagePullBackOff',
            message: 'Back-off pulling image "public.ecr.aws/matillion/etl-agent:stable"',
          },
        },
      },
      { op: 'replace', path: '/status/containerStatuses/0/ready', value: false },
    ]);
    const r = doctor(['--namespace', 'v-restarts', '--only', 'workload.pod-health']).report;
    const by = Object.fromEntries(byId(r, 'workload.pod-health').map((x) => [x.target, x]));
    expect(by[`v-restarts/${a}`]).toMatchObject({ status: 'warn', message: '7 restarts' });
    expect(by[`v-restarts/${b}`]).toMatchObject({
      status: 'warn',
      message: 'last container exit was OOMKilled at its 4Gi memory limit (2 restarts)',
    });
    expect(by[`v-restarts/${d}`]).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^ImagePullBackOff for public\.ecr\.aws/),
    });
    expect(by[`v-restarts/${d}`]!.remediation?.text).toMatch(/api\.ecr-public\.us-east-1\.amazonaws\.com/);
  });

  it.skipIf(Boolean(metricsSkip))(
    "metrics through the API server's pod proxy: agent stopped → fail, a full pod → warn, mixed versions → warn",
    async () => {
      await variant('v-metrics', { replicas: 2 });
      const [a, b] = await podNames('v-metrics');
      const [host, port] = metricsAddr.split(':');
      const m = new PodMetricsServer(host!, Number(port), join(c.dir, 'metrics'));
      mkdirSync(join(m.dir, 'v-metrics'), { recursive: true });
      writeFileSync(join(m.dir, 'v-metrics', `${a}.prom`), runnerMetrics({ status: 0 }));
      writeFileSync(join(m.dir, 'v-metrics', `${b}.prom`), runnerMetrics({ tasks: 20, version: '2026.10.1' }));
      for (const p of [a!, b!]) await m.route(c, 'v-metrics', p);
      const r = doctor(['--namespace', 'v-metrics', '--only', 'workload.metrics']).report;
      const by = Object.fromEntries(byId(r, 'workload.metrics').map((x) => [x.target, x]));
      expect(by[`v-metrics/${a}`]).toMatchObject({
        status: 'fail',
        message: expect.stringMatching(/^app_agent_status is 0: the agent is stopped/),
      });
      expect(by[`v-metrics/${b}`]).toMatchObject({
        status: 'warn',
        message: expect.stringMatching(/20\/20 active tasks: this pod is full/),
      });
      expect(by['v-metrics']).toMatchObject({
        status: 'warn',
        message: expect.stringMatching(/different versions: 2026\.11\.3 on .*; 2026\.10\.1 on /),
      });
      // Hostile output from a pod: ANSI, control characters and garbage are no runner metrics, and never reach the report raw.
      writeFileSync(join(m.dir, 'v-metrics', `${a}.prom`), '\u001b[31mHACKED\u001b[0m\u0007\nnot metrics at all {{{\n');
      const h = doctor(['--namespace', 'v-metrics', '--only', 'workload.metrics']);
      expect(byId(h.report, 'workload.metrics').find((x) => x.target === `v-metrics/${a}`)).toMatchObject({
        status: 'warn',
        message: expect.stringMatching(/no app_agent_status among 0 samples \(2 malformed lines/),
      });
      expect(h.stdout).not.toContain('\u001b[31m');
    },
  );
});

describe.skipIf(Boolean(skip))(
  'egress from the doctor and from inside the runner pods, on the real control plane',
  () => {
    /** Asynchronous: the local servers live in this process and must answer while the doctor runs. */
    function doctorAsync(
      args: string[],
    ): Promise<{ code: number | null; report: Report & { results: (Result & { details?: any })[] } }> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, 'check', ...args, '--output', 'json=-'], {
          env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: c.kubeconfig },
        });
        let out = '';
        child.stdout.on('data', (b) => (out += b));
        child.on('close', (code) => {
          try {
            resolve({ code, report: JSON.parse(out) });
          } catch {
            reject(new Error(`not JSON (exit ${code}): ${out.slice(0, 300)}`));
          }
        });
      });
    }

    it('derived endpoints (overridden to 127.0.0.1) tested from the doctor and each pod — python3 in one, curl in the other — and compared', async () => {
      // Exactly the endpoints the doctor derives from the pods' own settings: every one is overridden to a
      // server on 127.0.0.1 below, so no name is ever resolved by this machine's resolver.
      // The pods' env is the chart's plus what the EKS webhook injects (AWS_REGION …): derive from both views.
      const image = 'public.ecr.aws/matillion/etl-agent:stable';
      const chart = Object.fromEntries(
        chartEnv('AWS').flatMap((e: { name: string; value?: string }) =>
          e.value === undefined ? [] : [[e.name, e.value]],
        ),
      );
      const injected = Object.fromEntries(
        runnerObjects()
          .flatMap((o: any) => (o.kind === 'Deployment' ? o.spec.template.spec.containers[0].env : []))
          .flatMap((e: { name: string; value?: string }) => (e.value === undefined ? [] : [[e.name, e.value]])),
      );
      const derived = [
        ...new Set([chart, injected].flatMap((e) => deriveTargets(settingsFromEnv(e, image)).map((t) => t.host))),
      ];
      const pki = makePki();
      const good = await httpsServer(pki.leaf('api.matillion.com', { sans: derived }));
      const good2 = await httpsServer(pki.leaf('api.matillion.com', { sans: derived }));
      const proxy = await connectProxy({ deny: [`127.0.0.1:${good2.port}`] });
      const refused = await refusedPort();
      try {
        await variant('v-egress', { replicas: 2 });
        const [a, b] = await podNames('v-egress');
        const env = Object.fromEntries(
          runnerObjects()
            .flatMap((o: any) => (o.kind === 'Deployment' ? o.spec.template.spec.containers[0].env : []))
            .map((e: any) => [e.name, e.value]),
        );
        const pod = (name: string) => ({
          name,
          node: '',
          phase: 'Running',
          env: { ...env, OAUTH_CLIENT_ID: 'x', OAUTH_CLIENT_SECRET: 'y' },
        });
        // Pod a: python3, and the runner's proxy, which denies the host api.matillion.com is routed to.
        await wireRunnerPod(
          c,
          pod(a!),
          {},
          { CUSTOM_CERT_LOCATION: pki.caFile, PROXY_HTTPS: `http://127.0.0.1:${proxy.port}` },
          'v-egress',
        );
        // Pod b: no python3 in the image, curl instead.
        const bin = toolsDir(['sh', 'curl', 'tr', 'head', 'rm', 'printf', 'cat', 'sed', 'grep', 'df', 'id', 'ls']);
        await wireRunnerPod(c, pod(b!), { real: [] }, { CUSTOM_CERT_LOCATION: pki.caFile, PATH: bin }, 'v-egress');
        const overrides = derived.flatMap((h) => [
          '--egress-override',
          `${h}=127.0.0.1:${h === 'api.matillion.com' ? good2.port : good.port}`,
        ]);
        const { report } = await doctorAsync([
          '--namespace',
          'v-egress',
          '--only',
          'network',
          '--ca',
          pki.caFile,
          '--target',
          `warehouse=localhost:${refused}`,
          ...overrides,
          '--egress-timeout',
          '2',
        ]);
        const r = (id: string, target: string) =>
          report.results.find((x) => x.checkId === id && x.target === target)! as Result & { details: any };
        // The doctor: every derived endpoint answers, with per-stage timings in the JSON report; their
        // certificates chain to our test CA, not a public one, which is exactly TLS interception.
        const d = r('network.egress', 'doctor → api.matillion.com');
        expect(d).toMatchObject({
          status: 'warn',
          message: expect.stringMatching(
            /^api\.matillion\.com \(via 127\.0\.0\.1:\d+\) answers, but its certificate is issued by CN=test Root CA, O=runner-doctor tests, not a public CA: something intercepts TLS \(DNS .* TCP .* TLS TLSv1\.3 .* HTTP 401/,
          ),
          remediation: { text: expect.stringMatching(/CUSTOM_CERT_LOCATION/) },
        });
        for (const s of ['dns', 'tcp', 'tls', 'http']) expect(d.details.stages[s].ms).toEqual(expect.any(Number));
        expect(
          report.results
            .filter((x) => x.checkId === 'network.egress' && x.target.startsWith('doctor → ') && x.status === 'fail')
            .map((x) => x.target),
        ).toEqual(['doctor → warehouse']);
        // Pod a: python3 through its proxy, which answers 403 for the one host.
        expect(r('network.egress', `v-egress/${a} → api.matillion.com`)).toMatchObject({
          status: 'fail',
          message: expect.stringMatching(
            /PROXY failed through proxy http:\/\/127\.0\.0\.1:\d+ — the proxy .* answered 403/,
          ),
          remediation: { text: expect.stringMatching(/allow-list/) },
        });
        expect(r('network.egress', `v-egress/${a} → keycloak.core.matillion.com`)).toMatchObject({
          status: 'pass',
          details: { tool: 'python3', proxy: expect.stringMatching(/127\.0\.0\.1/) },
        });
        // Pod b: no python3, curl did the stages.
        expect(r('network.egress', `v-egress/${b} → api.matillion.com`)).toMatchObject({
          status: 'pass',
          message: expect.stringMatching(/\(tested with curl\)$/),
          details: { tool: 'curl' },
        });
        expect(r('network.egress', `v-egress/${b} → warehouse`)).toMatchObject({
          status: 'fail',
          details: { failedStage: 'tcp', stages: { tcp: { error: 'refused' } } },
        });
        // Side by side: where it breaks decides who fixes it.
        expect(r('network.egress-paths', 'api.matillion.com')).toMatchObject({
          status: 'fail',
          message: expect.stringMatching(
            new RegExp(`reachable from the doctor and 1 pod\\(s\\), blocked from v-egress/${a} \\(proxy: denied\\)`),
          ),
        });
        expect(r('network.egress-paths', 'warehouse')).toMatchObject({
          status: 'fail',
          message: expect.stringMatching(/blocked from the doctor and from .* upstream of both/),
        });
        expect(r('network.egress-paths', 'keycloak.core.matillion.com').status).toBe('pass');
      } finally {
        await Promise.all([good.close(), good2.close(), proxy.close()]);
      }
    });
  },
);

afterAll(async () => {
  if (skip) return;
  await c.deleteNamespaces([...variants]);
});
