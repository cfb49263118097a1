// What `helm install matillion-runner` creates in namespace `matillion` (domain.md §1), written by us
// as objects, plus the glue that makes the fake runner pods behave like runner containers on exec:
// each gets a fixture root (cgroup v2 limits, mounts, /proc files) and the pod's own env.
import { makeFixture, fakeJwt, type FixtureOptions } from '../helpers/fixture-root.ts';
import type { Cluster, NodeSpec } from './cluster.ts';
import type { PodMetricsServer } from './metrics.ts';

export const NS = 'matillion';
export const RELEASE = 'matillion-runner';
export const FULLNAME = 'matillion-runner';
export const RUNNER_LABELS = { 'app.kubernetes.io/name': 'matillion-runner', 'app.kubernetes.io/instance': RELEASE };
export const OAUTH_SECRET_CANARY = 'oauth-canary-3f9a-never-print-me';

export const DEFAULT_NODES: NodeSpec[] = [
  { name: 'kwok-node-a', cpu: '8', memory: '32Gi', labels: { 'topology.kubernetes.io/zone': 'zone-a' } },
  { name: 'kwok-node-b', cpu: '8', memory: '32Gi', labels: { 'topology.kubernetes.io/zone': 'zone-b' } },
];

export interface FixtureOpts {
  replicas?: number;
  image?: string;
  cloud?: 'AWS' | 'AZURE' | 'GCP';
  roleArn?: string;
  env?: Record<string, string>;
}

export function runnerObjects(o: FixtureOpts = {}): object[] {
  const cloud = o.cloud ?? 'AWS';
  const podLabels = { ...RUNNER_LABELS, app: `${FULLNAME}-pods` };
  const env = {
    ACCOUNT_ID: '12345',
    AGENT_ID: 'a1b2c3d4-agent',
    MATILLION_REGION: 'eu1',
    CLOUD_PROVIDER: cloud,
    PROXY_HTTP: '',
    PROXY_HTTPS: '',
    PROXY_EXCLUDE: '',
    EXPORT_LOGS: 'false',
    KUBERNETES_CLUSTER_DOMAIN: 'cluster.local',
    ...(o.env ?? {}),
  };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { name: NS } } },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: `${FULLNAME}-sa`,
        namespace: NS,
        labels: RUNNER_LABELS,
        annotations:
          cloud === 'AWS'
            ? { 'eks.amazonaws.com/role-arn': o.roleArn ?? 'arn:aws:iam::123456789012:role/matillion-runner' }
            : {},
      },
      automountServiceAccountToken: cloud !== 'AWS',
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${FULLNAME}-config`, namespace: NS, labels: RUNNER_LABELS },
      type: 'Opaque',
      stringData: { OAUTH_CLIENT_ID: 'client-0001', OAUTH_CLIENT_SECRET: OAUTH_SECRET_CANARY },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `${FULLNAME}-app`, namespace: NS, labels: RUNNER_LABELS },
      spec: {
        replicas: o.replicas ?? 2,
        selector: { matchLabels: podLabels },
        template: {
          metadata: {
            labels: podLabels,
            annotations: {
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': '8080',
              'prometheus.io/path': '/actuator/prometheus',
            },
          },
          spec: {
            serviceAccountName: `${FULLNAME}-sa`,
            terminationGracePeriodSeconds: 43200,
            securityContext: { sysctls: [{ name: 'net.ipv4.tcp_keepalive_time', value: '30' }] },
            containers: [
              {
                name: `${FULLNAME}-pods`,
                image: o.image ?? 'public.ecr.aws/matillion/etl-agent:stable',
                imagePullPolicy: 'Always',
                ports: [{ name: 'metrics', containerPort: 8080 }],
                env: Object.entries(env).map(([name, value]) => ({ name, value })),
                envFrom: [{ secretRef: { name: `${FULLNAME}-config` } }],
                resources: {
                  requests: { cpu: '1', memory: '4Gi', ...(cloud === 'AWS' ? { 'ephemeral-storage': '50Gi' } : {}) },
                  limits: { cpu: '2', memory: '4Gi' },
                },
                securityContext: {},
                volumeMounts: [
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'api-profiles', mountPath: '/home/agentuser/api_profiles' },
                  { name: 'config', mountPath: '/etc/config', readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'tmp', emptyDir: {} },
              { name: 'api-profiles', emptyDir: {} },
              { name: 'config', secret: { secretName: `${FULLNAME}-config` } },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `${FULLNAME}-svc`, namespace: NS, labels: RUNNER_LABELS },
      spec: { selector: podLabels, ports: [{ name: 'metrics', port: 8080, targetPort: 'metrics' }] },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: `${FULLNAME}-hpa`, namespace: NS, labels: RUNNER_LABELS },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${FULLNAME}-app` },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: ['app_active_task_count', 'app_active_request_count'].map((name) => ({
          type: 'Pods',
          pods: { metric: { name }, target: { type: 'AverageValue', averageValue: '16' } },
        })),
        behavior: {
          scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 30 }] },
          scaleDown: { stabilizationWindowSeconds: 180, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
        },
      },
    },
    // A custom metrics API for the HPA. Served locally (no backing service), so the aggregator marks it
    // Available without a real adapter: the fixture's stand-in for prometheus-adapter.
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1beta1.custom.metrics.k8s.io' },
      spec: { group: 'custom.metrics.k8s.io', version: 'v1beta1', groupPriorityMinimum: 100, versionPriority: 100 },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `${FULLNAME}-netpol`, namespace: NS, labels: RUNNER_LABELS },
      spec: {
        podSelector: { matchLabels: RUNNER_LABELS },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { name: 'monitoring' } } }],
            ports: [{ port: 8080, protocol: 'TCP' }],
          },
        ],
        egress: [
          {
            ports: [
              { port: 53, protocol: 'UDP' },
              { port: 53, protocol: 'TCP' },
            ],
          },
          { ports: [{ port: 443, protocol: 'TCP' }] },
          { ports: [{ port: 80, protocol: 'TCP' }] },
        ],
      },
    },
  ];
}

export interface PodRef {
  name: string;
  node: string;
  phase: string;
  env: Record<string, string>;
}

export async function runnerPods(c: Cluster): Promise<PodRef[]> {
  const out = JSON.parse(
    await c.k(['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/name=matillion-runner', '-o', 'json']),
  ) as {
    items: {
      metadata: { name: string };
      spec: { nodeName?: string; containers: { env?: { name: string; value?: string }[] }[] };
      status: { phase: string };
    }[];
  };
  const secret = JSON.parse(await c.k(['get', 'secret', `${FULLNAME}-config`, '-n', NS, '-o', 'json'])) as {
    data: Record<string, string>;
  };
  const fromSecret = Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
  return out.items.map((p) => ({
    name: p.metadata.name,
    node: p.spec.nodeName ?? '',
    phase: p.status.phase,
    env: {
      ...fromSecret,
      ...Object.fromEntries((p.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value ?? ''])),
    },
  }));
}

/** Gives a fake runner pod a container-like root for the probe and the pod's env on exec. */
export async function wireRunnerPod(
  c: Cluster,
  pod: PodRef,
  fixture: FixtureOptions = {},
  extraEnv: Record<string, string> = {},
  namespace = NS,
): Promise<void> {
  const tokenPath = '/var/run/secrets/eks.amazonaws.com/serviceaccount/token';
  const awsEnv =
    pod.env.CLOUD_PROVIDER === 'AWS'
      ? { AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/matillion-runner', AWS_WEB_IDENTITY_TOKEN_FILE: tokenPath }
      : {};
  const fx = makeFixture({
    real: ['python3', 'java'],
    cgroup: {
      version: 2,
      memoryMax: String(4 * 1024 ** 3),
      memoryCurrent: String(1.2 * 1024 ** 3),
      oomKill: 0,
      pidsMax: '4096',
      pidsCurrent: '180',
      cpuMax: '200000 100000',
    },
    files: {
      [tokenPath]: fakeJwt({
        exp: Math.floor(Date.now() / 1000) + 86400,
        sub: `system:serviceaccount:${NS}:${FULLNAME}-sa`,
      }),
    },
    ...fixture,
  });
  await c.enableExec(namespace, pod.name, {
    ...pod.env,
    ...awsEnv,
    JAVA_TOOL_OPTIONS: '-XX:MaxRAMPercentage=75',
    ...fx.env,
    RD_ROOT: fx.root,
    ...extraEnv,
  } as Record<string, string>);
}

/** Applies the chart-like objects and waits until `replicas` runner pods are Running and exec-able. */
export async function installRunner(c: Cluster, o: FixtureOpts = {}, metrics?: PodMetricsServer): Promise<PodRef[]> {
  await c.apply(runnerObjects(o).slice(0, 1));
  await c.waitFor(
    async () => (await c.kubectl(['get', 'serviceaccount', 'default', '-n', NS])).code === 0,
    30_000,
    `the default ServiceAccount in ${NS}`,
  );
  await c.apply(runnerObjects(o).slice(1));
  const want = o.replicas ?? 2;
  let pods: PodRef[] = [];
  await c.waitFor(
    async () => {
      pods = await runnerPods(c);
      return pods.filter((p) => p.phase === 'Running').length === want;
    },
    90_000,
    `${want} runner pods to be Running`,
  );
  for (const p of pods) await wireRunnerPod(c, p);
  if (metrics) for (const p of pods) await metrics.route(c, NS, p.name);
  return pods;
}
