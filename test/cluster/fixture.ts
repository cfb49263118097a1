// What `helm install matillion-runner` renders in namespace `matillion` (domain.md §1, §8), written by us
// as objects — no runner Service, a ServiceAccount without labels, automountServiceAccountToken on the pod,
// env with empty and null values, the chart's volume names and Helm's labels, ephemeral-storage in requests
// and limits for AWS, an empty container securityContext — for AWS, Azure and GCP. For AWS it also holds
// what the EKS pod identity webhook injects into each pod (the IRSA env and the projected token), because
// no webhook runs here.
//
// The healthy runner pods run as real containers of the runner-like image on the real node when there is
// one (test/cluster/real-node.ts); elsewhere they are kwok fakes whose exec runs the probe on this machine
// against a fixture tree (the fallback for machines without root, and for the variant namespaces whose
// checks only read the API).
import { fakeJwt, type FixtureOptions, makeFixture } from '../helpers/fixture-root.ts';
import type { Cluster, NodeSpec } from './cluster.ts';
import type { PodMetricsServer } from './metrics.ts';

export const NS = 'matillion';
export const RELEASE = 'matillion-runner';
export const FULLNAME = 'matillion-runner';
export const CHART = 'matillion-runner-0.1.0';
export const APP_VERSION = '0.1.0';
export const RUNNER_LABELS = { 'app.kubernetes.io/name': 'matillion-runner', 'app.kubernetes.io/instance': RELEASE };
/** Helm's common labels on every object of the release. */
export const HELM_LABELS = {
  'helm.sh/chart': CHART,
  ...RUNNER_LABELS,
  'app.kubernetes.io/version': APP_VERSION,
  'app.kubernetes.io/managed-by': 'Helm',
};
export const OAUTH_SECRET_CANARY = 'oauth-canary-3f9a-never-print-me';
export const ROLE_ARN = 'arn:aws:iam::123456789012:role/matillion-runner';
/** Where the EKS pod identity webhook mounts the IRSA token. */
export const IRSA_TOKEN_DIR = '/var/run/secrets/eks.amazonaws.com/serviceaccount';

export const DEFAULT_NODES: NodeSpec[] = [
  { name: 'kwok-node-a', cpu: '8', memory: '32Gi', labels: { 'topology.kubernetes.io/zone': 'zone-a' } },
  { name: 'kwok-node-b', cpu: '8', memory: '32Gi', labels: { 'topology.kubernetes.io/zone': 'zone-b' } },
];

export type Cloud = 'AWS' | 'AZURE' | 'GCP';

export interface FixtureOpts {
  replicas?: number;
  /** Full image reference; the chart's default for the cloud otherwise. */
  image?: string;
  imagePullPolicy?: string;
  cloud?: Cloud;
  roleArn?: string;
  /** Extra literal env values on the runner container (null: rendered without a value). */
  env?: Record<string, string | null>;
  /** The runner container's securityContext (the chart renders `{}`). */
  securityContext?: object;
  /** The chart's `nodeSelector` value. */
  nodeSelector?: Record<string, string>;
  /** The chart's `dpcAgent.dpcAgent.resources` override (replaces the runnerSize block). */
  resources?: object;
}

const IMAGES: Record<Cloud, string> = {
  AWS: 'public.ecr.aws/matillion/etl-agent:stable',
  AZURE: 'matillion.azurecr.io/cloud-agent:stable',
  GCP: 'europe-docker.pkg.dev/maia-492711/maia-runners/maia-runner:stable',
};

/** The runner container's env as the chart renders it (null values stay without a value), then `extra`. */
export function chartEnv(cloud: Cloud, extra: Record<string, string | null> = {}) {
  const rendered: [string, string | null][] = [
    ['ACCOUNT_ID', '12345'],
    ['AGENT_ID', 'a1b2c3d4-agent'],
    ['MATILLION_REGION', 'eu1'],
    ['CLOUD_PROVIDER', cloud],
    ['PROXY_HTTP', ''],
    ['PROXY_HTTPS', ''],
    ['PROXY_EXCLUDE', ''],
    ['PROXY_PROTOCOL_HTTP', null],
    ['PROXY_PROTOCOL_HTTPS', null],
    ['CUSTOM_CERT_LOCATION', ''],
    ['EXTENSION_LIBRARY_LOCATION', ''],
    ['EXTERNAL_DRIVER_LOCATION', ''],
    ['EXPORT_LOGS', null],
    ['KUBERNETES_CLUSTER_DOMAIN', 'cluster.local'],
    ...(cloud === 'AZURE'
      ? ([
          ['DEFAULT_KEYVAULT', 'matillion-kv'],
          ['AZURE_CLIENT_ID', '00000000-1111-2222-3333-444444444444'],
        ] as [string, string][])
      : []),
    ...(cloud === 'GCP' ? ([['DEFAULT_GCP_PROJECT', 'acme-data']] as [string, string][]) : []),
    // What the EKS webhook adds to each pod of an IRSA ServiceAccount.
    ...(cloud === 'AWS'
      ? ([
          ['AWS_STS_REGIONAL_ENDPOINTS', 'regional'],
          ['AWS_DEFAULT_REGION', 'eu-west-1'],
          ['AWS_REGION', 'eu-west-1'],
          ['AWS_ROLE_ARN', ROLE_ARN],
          ['AWS_WEB_IDENTITY_TOKEN_FILE', `${IRSA_TOKEN_DIR}/token`],
        ] as [string, string][])
      : []),
  ];
  const names = new Set(rendered.map(([n]) => n));
  const all = [
    ...rendered.map(([n, v]): [string, string | null] => [n, n in extra ? (extra[n] ?? null) : v]),
    ...Object.entries(extra).filter(([n]) => !names.has(n)),
  ];
  return all.map(([name, value]) => (value === null ? { name } : { name, value }));
}

const SIZE_SMALL = (cloud: Cloud) => ({
  requests: { cpu: '1', memory: '4Gi', ...(cloud === 'AWS' ? { 'ephemeral-storage': '50Gi' } : {}) },
  limits: { cpu: '2', memory: '4Gi', ...(cloud === 'AWS' ? { 'ephemeral-storage': '50Gi' } : {}) },
});

export function runnerObjects(o: FixtureOpts = {}): object[] {
  const cloud = o.cloud ?? 'AWS';
  const podLabels = {
    app: `${FULLNAME}-pods`,
    ...RUNNER_LABELS,
    ...(cloud === 'AZURE' ? { 'azure.workload.identity/use': 'true' } : {}),
  };
  const saAnnotations =
    cloud === 'AWS'
      ? { 'eks.amazonaws.com/role-arn': o.roleArn ?? ROLE_ARN }
      : cloud === 'AZURE'
        ? { 'azure.workload.identity/client-id': '00000000-1111-2222-3333-444444444444' }
        : { 'iam.gke.io/gcp-service-account': 'matillion-runner@acme-data.iam.gserviceaccount.com' };
  const saLabels =
    cloud === 'AZURE'
      ? { 'azure.workload.identity/use': 'true' }
      : cloud === 'GCP'
        ? { 'app.kubernetes.io/gcp-workload-identity': 'true' }
        : undefined;
  const irsaVolume = {
    name: 'aws-iam-token',
    projected: {
      sources: [{ serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'token' } }],
    },
  };
  return [
    // Created by the operator (`kubectl create namespace`): no `name` label.
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: `${FULLNAME}-sa`,
        namespace: NS,
        annotations: saAnnotations,
        ...(saLabels ? { labels: saLabels } : {}),
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${FULLNAME}-config`, namespace: NS, labels: { app: 'matillion', ...HELM_LABELS } },
      type: 'Opaque',
      stringData: { OAUTH_CLIENT_ID: 'client-0001', OAUTH_CLIENT_SECRET: OAUTH_SECRET_CANARY },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: `${FULLNAME}-app`, namespace: NS, labels: { app: `${FULLNAME}-pods`, ...HELM_LABELS } },
      spec: {
        replicas: o.replicas ?? 2,
        selector: { matchLabels: { app: `${FULLNAME}-pods`, ...RUNNER_LABELS } },
        template: {
          metadata: {
            labels: podLabels,
            annotations: {
              'prometheus.io/path': '/actuator/prometheus',
              'prometheus.io/port': '8080',
              'prometheus.io/scrape': 'true',
              ...(cloud === 'AZURE' ? { 'azure.workload.identity/service-account-token-expiration': '3600' } : {}),
            },
          },
          spec: {
            serviceAccountName: `${FULLNAME}-sa`,
            automountServiceAccountToken: cloud !== 'AWS',
            securityContext: { sysctls: [{ name: 'net.ipv4.tcp_keepalive_time', value: '30' }] },
            ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
            terminationGracePeriodSeconds: 43200,
            containers: [
              {
                envFrom: [{ secretRef: { name: `${FULLNAME}-config` } }],
                env: chartEnv(cloud, o.env),
                volumeMounts: [
                  { name: 'config-volume', mountPath: '/etc/config', readOnly: true },
                  { name: 'tmp-volume', mountPath: '/tmp' },
                  { name: 'api-profiles-volume', mountPath: '/home/agentuser/api_profiles' },
                  ...(cloud === 'AWS' ? [{ name: 'aws-iam-token', mountPath: IRSA_TOKEN_DIR, readOnly: true }] : []),
                ],
                image: o.image ?? IMAGES[cloud],
                imagePullPolicy: o.imagePullPolicy ?? 'Always',
                name: `${FULLNAME}-pods`,
                ports: [{ containerPort: 8080, name: 'metrics' }],
                securityContext: o.securityContext ?? {},
                resources: o.resources ?? SIZE_SMALL(cloud),
              },
            ],
            volumes: [
              { name: 'config-volume', secret: { secretName: `${FULLNAME}-config` } },
              { name: 'tmp-volume', emptyDir: {} },
              { name: 'api-profiles-volume', emptyDir: {} },
              ...(cloud === 'AWS' ? [irsaVolume] : []),
            ],
          },
        },
      },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: `${FULLNAME}-hpa`, namespace: NS, labels: HELM_LABELS },
      spec: {
        behavior: {
          scaleDown: {
            policies: [{ periodSeconds: 60, type: 'Pods', value: 1 }],
            selectPolicy: 'Min',
            stabilizationWindowSeconds: 180,
          },
          scaleUp: {
            policies: [{ periodSeconds: 30, type: 'Pods', value: 1 }],
            selectPolicy: 'Max',
            stabilizationWindowSeconds: 0,
          },
        },
        maxReplicas: 10,
        metrics: ['app_active_task_count', 'app_active_request_count'].map((name) => ({
          pods: { metric: { name }, target: { averageValue: '16', type: 'AverageValue' } },
          type: 'Pods',
        })),
        minReplicas: 2,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${FULLNAME}-app` },
      },
    },
    // The custom metrics API comes from the vendor's separate prometheus chart (prometheus-adapter). Served
    // locally here (no backing service), so the aggregator marks it Available: a stand-in for the adapter.
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1beta1.custom.metrics.k8s.io' },
      spec: { group: 'custom.metrics.k8s.io', version: 'v1beta1', groupPriorityMinimum: 100, versionPriority: 100 },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `${FULLNAME}-netpol`, namespace: NS, labels: HELM_LABELS },
      spec: {
        podSelector: { matchLabels: RUNNER_LABELS },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { name: 'monitoring' } } }],
            ports: [{ protocol: 'TCP', port: 8080 }],
          },
        ],
        egress: [
          {
            to: [],
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
          { to: [], ports: [{ protocol: 'TCP', port: 443 }] },
          { to: [], ports: [{ protocol: 'TCP', port: 80 }] },
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

export async function runnerPods(c: Cluster, namespace = NS): Promise<PodRef[]> {
  const out = JSON.parse(
    await c.k(['get', 'pods', '-n', namespace, '-l', 'app.kubernetes.io/name=matillion-runner', '-o', 'json']),
  ) as {
    items: {
      metadata: { name: string };
      spec: { nodeName?: string; containers: { env?: { name: string; value?: string }[] }[] };
      status: { phase: string };
    }[];
  };
  const secret = JSON.parse(await c.k(['get', 'secret', `${FULLNAME}-config`, '-n', namespace, '-o', 'json'])) as {
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

/**
 * Gives a fake (kwok) runner pod a container-like root for the probe and the pod's env on exec: what the
 * chart's empty container securityContext gives on EKS/AKS (no_new_privs 0, seccomp unconfined, a
 * writable `/`, the runtime's default bounding set for a non-root user), cgroup v2 limits and the IRSA
 * token — what a real pod of the chart shows (the real node proves it; test/integration/real-chart.test.ts).
 */
export async function wireRunnerPod(
  c: Cluster,
  pod: PodRef,
  fixture: FixtureOptions = {},
  extraEnv: Record<string, string> = {},
  namespace = NS,
): Promise<void> {
  const tokenPath = `${IRSA_TOKEN_DIR}/token`;
  const fx = makeFixture({
    noNewPrivs: 0,
    seccomp: 0,
    rootOptions: 'rw,relatime',
    capBnd: '00000000a80425fb',
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
        sub: `system:serviceaccount:${namespace}:${FULLNAME}-sa`,
      }),
    },
    ...fixture,
  });
  await c.enableExec(namespace, pod.name, {
    ...pod.env,
    JAVA_TOOL_OPTIONS: '-XX:MaxRAMPercentage=75',
    ...fx.env,
    RD_ROOT: fx.root,
    ...extraEnv,
  });
}

export interface InstallOptions extends FixtureOpts {
  /** Serves the metrics of fake pods (real containers serve their own). */
  metrics?: PodMetricsServer;
}

/** The vendor's image name the runner-like image is tagged as on the real node. */
export const VENDOR_IMAGE = 'public.ecr.aws/matillion/etl-agent';

/**
 * Applies the chart-like objects and waits until `replicas` runner pods are Running and exec-able. Pods
 * on the real node are real containers (give `image`: the runner-like image pinned by digest, so nothing is
 * ever pulled); fake pods get exec wiring and, with `metrics`, a metrics route.
 */
export async function installRunner(c: Cluster, o: InstallOptions = {}): Promise<PodRef[]> {
  const real = c.realNode;
  const objs = runnerObjects({ ...(o.image ? { imagePullPolicy: 'IfNotPresent' } : {}), ...o });
  await c.apply(objs.slice(0, 1));
  await c.waitFor(
    async () => (await c.kubectl(['get', 'serviceaccount', 'default', '-n', NS])).code === 0,
    60_000,
    `the default ServiceAccount in ${NS}`,
  );
  await c.apply(objs.slice(1));
  const want = o.replicas ?? 2;
  await c.waitForPods(NS, want, { timeoutMs: 180_000 });
  const pods = await runnerPods(c);
  for (const p of pods) {
    if (real && p.node === real.name) continue;
    await wireRunnerPod(c, p);
    if (o.metrics) await o.metrics.route(c, NS, p.name);
  }
  return pods;
}
