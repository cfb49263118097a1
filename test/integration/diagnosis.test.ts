// Autoscaling, workload, network and Pod Security diagnosis on the real control plane (issue 12), each in
// a variant namespace of its own built from what the chart renders and removed when the test finishes:
// - a custom metrics adapter stand-in of ours (custom.metrics.k8s.io/v1beta1 wire format, HTTPS with our
//   own certificate) registered as the v1beta1.custom.metrics.k8s.io APIService and reached THROUGH
//   kube-apiserver's aggregation layer — by the doctor and by the HPA controller — serving values for some
//   runner pods and not others;
// - Pending pods explained node by node (no node that large, the AWS ephemeral-storage request, a taint, EKS
//   Fargate nodes outside any profile) and a rollout past its progress deadline; replicas on two image
//   builds (their imageIDs as a kubelet reports them); the 12-hour grace period;
// - NetworkPolicies declared but not enforced (no engine), then enforced (a calico-node DaemonSet); HTTPS to
//   10.0.0.0/8 only; port 80 to anywhere and the metadata endpoint, an except elsewhere not closing it; the
//   chart's name=monitoring ingress against the namespace a Prometheus pod runs in; selectors that match nothing;
// - a privileged runner in a namespace that enforces baseline.
// Every address used is 127.0.0.0/8 or a harness network namespace's (the stand-in's); the metadata IP is
// only ever evaluated in NetworkPolicies, never dialled.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { Cluster } from '../cluster/cluster.ts';
import { runnerObjects, type FixtureOpts } from '../cluster/fixture.ts';
import { netnsUnavailable } from '../cluster/netns.ts';
import { CustomMetricsStandIn } from '../helpers/custom-metrics.ts';

const skip = inject('clusterSkip');
const c = skip ? (undefined as unknown as Cluster) : Cluster.attach(inject('clusterDir'));
const BIN = join(process.cwd(), 'bin/runner-doctor');
const noNetns = netnsUnavailable();
if (noNetns && process.env.CI && !skip) throw new Error(`diagnosis tests (CI=true): ${noNetns}`);

interface Result {
  checkId: string;
  code: string;
  status: string;
  message: string;
  target: string;
  remediation?: { text: string; command?: string };
  details?: Record<string, unknown>;
}

function doctor(args: string[]): Result[] {
  const r = spawnSync(process.execPath, [BIN, 'check', ...args, '--no-derived-targets', '--output', 'json=-'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: c.kubeconfig },
    encoding: 'utf8',
    timeout: 90_000,
  });
  try {
    return (JSON.parse(r.stdout) as { results: Result[] }).results;
  } catch {
    throw new Error(`not JSON (exit ${r.status}): ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 300)}`);
  }
}
const byId = (rs: Result[], id: string) => rs.filter((r) => r.checkId === id);
const first = (rs: Result[], id: string) => {
  const r = byId(rs, id)[0];
  if (!r) throw new Error(`no result for ${id}: ${JSON.stringify(rs.map((x) => x.checkId))}`);
  return r;
};

type Obj = Record<string, any>;
const kind = (objs: Obj[], k: string) => objs.find((x) => x.kind === k) as Obj;

/** The chart's objects renamed into namespace `ns` (no APIService: that one is cluster-scoped). */
function chartIn(ns: string, o: FixtureOpts = {}): Obj[] {
  const objs = runnerObjects({ replicas: 1, ...o }).filter((x: Obj) => x.kind !== 'APIService') as Obj[];
  for (const x of objs) {
    if (x.kind === 'Namespace') x.metadata.name = ns;
    else x.metadata.namespace = ns;
  }
  return objs;
}

/** Applies objects into a fresh namespace (removed when the test finishes) once its default SA exists. */
async function install(ns: string, objs: Obj[], wait?: { pods: number; running?: boolean }): Promise<void> {
  onTestFinished(() => c.deleteNamespaces([ns]));
  await c.apply(objs.filter((x) => x.kind === 'Namespace'));
  await c.waitFor(
    async () => (await c.kubectl(['get', 'sa', 'default', '-n', ns])).code === 0,
    30_000,
    `default SA in ${ns}`,
  );
  await c.apply(objs.filter((x) => x.kind !== 'Namespace'));
  if (wait) await c.waitForPods(ns, wait.pods, { running: wait.running !== false });
}

const podNames = async (ns: string) =>
  (await c.k(['get', 'pods', '-n', ns, '-o', 'name']))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((p) => p.replace('pod/', ''))
    .sort();
const patchStatus = (ns: string, pod: string, patch: object[]) =>
  c.k(['patch', 'pod', '-n', ns, pod, '--subresource=status', '--type=json', '-p', JSON.stringify(patch)]);

describe.skipIf(Boolean(skip))('diagnosis on the real control plane', () => {
  it.skipIf(Boolean(noNetns))(
    'the custom metrics API through the aggregation layer: values for some runner pods, not others; the HPA controller reads them too',
    async () => {
      const ns = 'v-dx-metrics';
      const objs = chartIn(ns, { replicas: 3 });
      Object.assign(kind(objs, 'HorizontalPodAutoscaler').spec, { minReplicas: 2, maxReplicas: 3 });
      await install(ns, objs, { pods: 3 });
      const stand = await CustomMetricsStandIn.start(c, join(c.dir, 'custom-metrics'), ns);
      onTestFinished(() => stand.stop(c));
      await stand.register(c, ns);
      const [a = '', b = '', d = ''] = await podNames(ns);
      // 40 tasks per pod against a target of 16: the HPA wants more pods than maxReplicas allows.
      stand.setValues({ [ns]: { [a]: 40, [b]: 40 } });

      // Just installed: the pod without a value is a note, not a failure.
      let rs = doctor(['--namespace', ns, '--only', 'scaling.custom-metrics']);
      expect(first(rs, 'scaling.custom-metrics')).toMatchObject({
        code: 'scaling.custom-metrics/starting',
        status: 'info',
        message: expect.stringContaining(`no app_active_task_count yet for ${d} in ${ns}`),
      });
      // The doctor's own request reached the stand-in through the aggregator, as the authenticated user.
      const seen = stand.requests();
      const asked = seen.filter((l) =>
        l.endsWith(` GET /apis/custom.metrics.k8s.io/v1beta1/namespaces/${ns}/pods/*/app_active_task_count`),
      );
      expect(asked.length, seen.slice(-8).join('\n')).toBeGreaterThan(0);
      expect(
        asked.every((l) => !l.startsWith('- ')),
        asked.join('\n'),
      ).toBe(true);

      // An hour later (the pods' start time as a kubelet reports it), the missing value is a finding naming the pod.
      const hourAgo = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
      for (const p of [a, b, d]) await patchStatus(ns, p, [{ op: 'add', path: '/status/startTime', value: hourAgo }]);
      rs = doctor(['--namespace', ns, '--only', 'scaling.custom-metrics']);
      expect(first(rs, 'scaling.custom-metrics')).toMatchObject({
        code: 'scaling.custom-metrics/some-missing',
        status: 'warn',
        message: expect.stringMatching(
          new RegExp(`returns app_active_task_count for 2 of 3 runner pods in ${ns} but not for ${d}:`),
        ),
      });

      // The HPA controller reads the same API (through the same aggregation layer) and hits its ceiling.
      await c.waitFor(
        async () => {
          const h = JSON.parse(await c.k(['get', 'hpa', '-n', ns, 'matillion-runner-hpa', '-o', 'json']));
          return (h.status?.conditions ?? []).some(
            (x: Obj) => x.type === 'ScalingLimited' && x.reason === 'TooManyReplicas',
          );
        },
        90_000,
        'the HPA controller to read the stand-in and report TooManyReplicas',
      );
      rs = doctor(['--namespace', ns, '--only', 'scaling.hpa']);
      expect(first(rs, 'scaling.hpa')).toMatchObject({
        code: 'scaling.hpa/at-max',
        status: 'warn',
        message: expect.stringMatching(
          /is at maxReplicas 3 now \(app_active_task_count averages [\d.]+ per pod against a target of 16\): the runner holds at most 60 concurrent tasks and further tasks queue/,
        ),
        remediation: { text: expect.stringMatching(/^raise hpa\.maxReplicas/) },
      });
      // min = max: it never scales, whatever the metrics.
      await c.k([
        'patch',
        'hpa',
        '-n',
        ns,
        'matillion-runner-hpa',
        '--type=merge',
        '-p',
        '{"spec":{"minReplicas":3,"maxReplicas":3}}',
      ]);
      expect(first(doctor(['--namespace', ns, '--only', 'scaling.hpa']), 'scaling.hpa')).toMatchObject({
        code: 'scaling.hpa/fixed-size',
        message: expect.stringMatching(
          /has minReplicas = maxReplicas = 3: it never scales — 60 concurrent tasks at most/,
        ),
      });

      // No series for any pod (prometheus-adapter answers 404): outside the vendor Prometheus's namespace.
      stand.setValues({});
      rs = doctor(['--namespace', ns, '--only', 'scaling.custom-metrics']);
      expect(first(rs, 'scaling.custom-metrics')).toMatchObject({
        code: 'scaling.custom-metrics/no-values',
        status: 'warn',
        message: expect.stringMatching(
          new RegExp(
            `for any of the 3 runner pod\\(s\\) in ${ns} \\(.*\\), so the HPA cannot compute a replica count \\(<unknown>\\) — likely: the vendor's Prometheus scrapes only namespace matillion, and this runner runs in ${ns}`,
          ),
        ),
      });
    },
  );

  it('Pending runner pods explained node by node, a rollout past its progress deadline, two image builds, the grace period', async () => {
    // Two more fake nodes: one tainted for another workload, one EKS Fargate node (its label and taint).
    await c.addNodes([
      {
        name: 'kwok-dx-taint',
        labels: { dx: 'taint' },
        taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
      },
      {
        name: 'kwok-dx-fargate',
        labels: { dx: 'fargate', 'eks.amazonaws.com/compute-type': 'fargate' },
        taints: [{ key: 'eks.amazonaws.com/compute-type', value: 'fargate', effect: 'NoSchedule' }],
      },
    ]);
    onTestFinished(async () => {
      await c.kubectl(['delete', 'node', 'kwok-dx-taint', 'kwok-dx-fargate', '--ignore-not-found']);
    });
    const ns = 'v-dx-pending';
    const base = chartIn(ns);
    const deployment = kind(base, 'Deployment');
    const variantOf = (suffix: string, f: (spec: Obj, d: Obj) => void): Obj => {
      const d = structuredClone(deployment);
      d.metadata.name = `matillion-runner-${suffix}`;
      d.spec.selector.matchLabels.app = `matillion-runner-${suffix}`;
      d.spec.template.metadata.labels.app = `matillion-runner-${suffix}`;
      f(d.spec.template.spec, d);
      return d;
    };
    const resources = (r: Record<string, string>) => (s: Obj) =>
      (s.containers[0].resources = { requests: r, limits: r });
    const objs = [
      ...base.filter((x) => x.kind !== 'Deployment' && x.kind !== 'HorizontalPodAutoscaler'),
      variantOf('mem', (s, d) => {
        resources({ cpu: '1', memory: '100Gi' })(s);
        d.spec.progressDeadlineSeconds = 5;
      }),
      variantOf('eph', resources({ cpu: '1', memory: '4Gi', 'ephemeral-storage': '500Gi' })),
      variantOf('taint', (s) => (s.nodeSelector = { dx: 'taint' })),
      variantOf('fargate', (s) => (s.nodeSelector = { dx: 'fargate' })),
    ];
    await install(ns, objs, { pods: 4, running: false });
    await c.waitFor(
      async () => {
        const events = await c.k([
          'get',
          'events',
          '-n',
          ns,
          '--field-selector',
          'reason=FailedScheduling',
          '-o',
          'name',
        ]);
        const deadline = await c.k([
          'get',
          'deployment',
          '-n',
          ns,
          'matillion-runner-mem',
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}',
        ]);
        return events.trim().split('\n').filter(Boolean).length >= 4 && deadline.trim() === 'ProgressDeadlineExceeded';
      },
      60_000,
      'four FailedScheduling events and the progress deadline',
    );
    const rs = doctor(['--namespace', ns, '--only', 'workload.scheduling,workload.rollout,workload.grace-period']);
    const sched = Object.fromEntries(
      byId(rs, 'workload.scheduling').map((r) => [r.target.replace(/-[a-z0-9]+-[a-z0-9]+$/, ''), r]),
    );
    expect(sched[`${ns}/matillion-runner-mem`]).toMatchObject({
      code: 'workload.scheduling/too-small',
      message: expect.stringMatching(
        /each asks for 100 GiB memory and no node is that large \(the largest has 64\.0 GiB allocatable\)/,
      ),
    });
    expect(sched[`${ns}/matillion-runner-eph`]).toMatchObject({
      code: 'workload.scheduling/ephemeral-aws',
      message: expect.stringMatching(
        /the chart's AWS values request 500 GiB of ephemeral storage per runner, and the nodes have kwok-node-a [\d.]+ GiB free of 400 GiB/,
      ),
    });
    expect(sched[`${ns}/matillion-runner-taint`]).toMatchObject({
      code: 'workload.scheduling/taint',
      message: expect.stringMatching(
        /nodes kwok-dx-taint carry the taint dedicated=gpu:NoSchedule, which the runner pods do not tolerate; on the other nodes: nodeSelector dx=taint does not match on /,
      ),
      remediation: { text: expect.stringMatching(/kubectl taint nodes <node> dedicated-/) },
    });
    expect(sched[`${ns}/matillion-runner-fargate`]).toMatchObject({
      code: 'workload.scheduling/fargate-profile',
      message: expect.stringMatching(
        new RegExp(`nodes kwok-dx-fargate are EKS Fargate nodes, and no Fargate profile covers namespace ${ns}`),
      ),
    });
    const rollouts = Object.fromEntries(byId(rs, 'workload.rollout').map((r) => [r.target, r]));
    expect(rollouts[`${ns}/matillion-runner-mem`]).toMatchObject({
      code: 'workload.rollout/deadline-exceeded',
      status: 'fail',
      message: expect.stringMatching(
        /has stopped progressing \(ProgressDeadlineExceeded after 5 s\): ReplicaSet "matillion-runner-mem-\w+" has timed out progressing/,
      ),
    });
    // The 12-hour grace period: once per Deployment, as info, with the value to lower.
    expect(byId(rs, 'workload.grace-period').map((r) => [r.code, r.status])).toEqual(
      Array.from({ length: 4 }, () => ['workload.grace-period/long', 'info']),
    );
    expect(first(rs, 'workload.grace-period').remediation?.text).toMatch(
      /^lower dpcAgent\.dpcAgent\.gracePeriodSeconds/,
    );

    // Two replicas of the rolling tag `current` with IfNotPresent, on two builds (imageIDs as a kubelet reports them).
    const drift = 'v-dx-drift';
    await install(
      drift,
      chartIn(drift, {
        replicas: 2,
        image: 'public.ecr.aws/matillion/etl-agent:current',
        imagePullPolicy: 'IfNotPresent',
      }),
      { pods: 2 },
    );
    const [p1 = '', p2 = ''] = await podNames(drift);
    const id = (hex: string) => `public.ecr.aws/matillion/etl-agent@sha256:${hex.repeat(64)}`;
    await patchStatus(drift, p1, [{ op: 'add', path: '/status/containerStatuses/0/imageID', value: id('a') }]);
    await patchStatus(drift, p2, [{ op: 'add', path: '/status/containerStatuses/0/imageID', value: id('b') }]);
    expect(
      first(doctor(['--namespace', drift, '--only', 'workload.image-drift']), 'workload.image-drift'),
    ).toMatchObject({
      code: 'workload.image-drift/drift',
      status: 'warn',
      message: expect.stringMatching(
        /run 2 different images \(sha256:aaaaaaaaaaaa… on .* and sha256:bbbbbbbbbbbb… on .*\): imagePullPolicy IfNotPresent keeps/,
      ),
      remediation: { text: expect.stringMatching(/^set dpcAgent\.dpcAgent\.imagePullPolicy: Always/) },
    });
  });

  it('NetworkPolicies: declared but not enforced, then enforced; HTTPS only to 10.0.0.0/8; port 80 and the metadata endpoint; the scrape rule; selectors that match nothing', async () => {
    const ns = 'v-dx-netpol';
    const prom = 'v-dx-prom';
    const objs = chartIn(ns);
    const netpol = kind(objs, 'NetworkPolicy');
    netpol.spec.egress[1] = { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ protocol: 'TCP', port: 443 }] };
    const policy = (name: string, spec: Obj) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, namespace: ns },
      spec,
    });
    objs.push(
      policy('block-metadata', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }],
            ports: [{ protocol: 'TCP', port: 8443 }],
          },
        ],
      }),
      policy('runner-egress', {
        podSelector: { matchLabels: { app: 'matillion-runer-pods' } },
        policyTypes: ['Egress'],
        egress: [{}],
      }),
      policy('to-proxy', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          { to: [{ podSelector: { matchLabels: { app: 'squid' } } }], ports: [{ protocol: 'TCP', port: 3128 }] },
        ],
      }),
    );
    await install(ns, objs, { pods: 1 });
    // A Prometheus server in a namespace of its own (the vendor's guide uses `prometheus`), on a fake node.
    await install(
      prom,
      [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: prom } },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'prometheus-server-0',
            namespace: prom,
            labels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'server' },
          },
          spec: {
            nodeSelector: { type: 'kwok' },
            containers: [{ name: 'prometheus', image: 'quay.io/prometheus/prometheus:v3.7.0' }],
          },
        },
      ],
      { pods: 1 },
    );

    let rs = doctor(['--namespace', ns, '--only', 'network']);
    expect(first(rs, 'network.policy')).toMatchObject({
      code: 'network.policy/https-public-blocked',
      status: 'fail',
      message: expect.stringMatching(
        /allowed only to private or in-cluster destinations \(matillion-runner-netpol egress\[1\] to 10\.0\.0\.0\/8\): the public endpoints .* are blocked$/,
      ),
      remediation: {
        text: expect.stringMatching(/^add to matillion-runner-netpol an egress rule for 443 to any destination/),
      },
    });
    expect(first(rs, 'network.policy-enforced')).toMatchObject({
      code: 'network.policy-enforced/not-enforced',
      status: 'warn',
      message: expect.stringMatching(/but no policy engine runs in the cluster .*: they are declared, not enforced/),
    });
    expect(first(rs, 'network.metadata-endpoint')).toMatchObject({
      code: 'network.metadata-endpoint/open',
      message: expect.stringMatching(
        /^matillion-runner-netpol egress\[2\] \(to anywhere\) allows TCP 80 .*169\.254\.169\.254.* — the except for 169\.254\.169\.254 in block-metadata egress\[0\] does not close it: policies and their rules are a union/,
      ),
      remediation: {
        text: expect.stringMatching(/^if nothing the runner talks to needs plain HTTP, set allowHttp: false/),
      },
    });
    expect(first(rs, 'network.metrics-scrape')).toMatchObject({
      code: 'network.metrics-scrape/label-missing',
      message: expect.stringMatching(
        /admits scrapes on 8080 only from namespaces labelled name=monitoring, and no namespace carries it/,
      ),
      remediation: { text: `label the namespace Prometheus runs in: kubectl label namespace ${prom} name=monitoring` },
    });
    expect(
      byId(rs, 'network.policy-selectors')
        .map((r) => r.code)
        .sort(),
    ).toEqual(['network.policy-selectors/peer-selects-nothing', 'network.policy-selectors/selects-nothing']);

    // The label on Prometheus's namespace, and a policy engine: the scrape is admitted, the policies enforced.
    await c.k(['label', 'namespace', prom, 'name=monitoring']);
    const calico = 'v-dx-calico';
    await install(calico, [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: calico } },
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'calico-node', namespace: calico },
        spec: {
          selector: { matchLabels: { 'k8s-app': 'calico-node' } },
          template: {
            metadata: { labels: { 'k8s-app': 'calico-node' } },
            spec: {
              nodeSelector: { type: 'kwok' },
              containers: [{ name: 'calico-node', image: 'quay.io/calico/node:v3.31.0' }],
            },
          },
        },
      },
    ]);
    await c.waitFor(
      async () =>
        Number(await c.k(['get', 'ds', '-n', calico, 'calico-node', '-o', 'jsonpath={.status.numberReady}'])) > 0,
      60_000,
      'calico-node pods ready on the kwok nodes',
    );
    rs = doctor(['--namespace', ns, '--only', 'network.metrics-scrape,network.policy-enforced']);
    expect(first(rs, 'network.metrics-scrape')).toMatchObject({
      code: 'network.metrics-scrape/admitted',
      message: `Prometheus in ${prom} may scrape the runner on 8080 (matillion-runner-netpol ingress[0])`,
    });
    expect(first(rs, 'network.policy-enforced')).toMatchObject({
      code: 'network.policy-enforced/enforced',
      message: expect.stringMatching(
        new RegExp(`^Calico \\(${calico}/calico-node\\) enforces the NetworkPolicies that select the runner pods`),
      ),
    });
  });

  it('a privileged runner in a namespace that enforces baseline: fail, the field to change, never "enforce baseline"', async () => {
    const ns = 'v-dx-psa';
    await install(ns, chartIn(ns, { securityContext: { privileged: true } }), { pods: 1 });
    // Enforced after the pod exists: it runs now and is rejected when recreated.
    await c.k(['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=baseline']);
    const r = first(doctor(['--namespace', ns, '--only', 'security.pod-security']), 'security.pod-security');
    expect(r).toMatchObject({
      code: 'security.pod-security/baseline-rejected',
      status: 'fail',
      message: expect.stringMatching(
        /enforces baseline and the running runner pods violate it: recreated .* they will be rejected — .*: privileged/,
      ),
    });
    expect(r.remediation?.text).toMatch(
      /^remove privileged: true from the runner container’s securityContext; .*Helm post-renderer .* kustomize patch/,
    );
    expect(r.remediation?.text).not.toMatch(/baseline/);
  });
});
