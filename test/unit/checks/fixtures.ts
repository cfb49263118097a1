// Facts for the check tables: a healthy runner environment (what the probe reports in a hardened
// runner pod) and a healthy cluster (what `helm install matillion-runner` renders, as the collectors
// reduce it). Tables start from these and change one thing.
import type {
  CgroupFact,
  CredentialsFact,
  EnvEntry,
  EnvFact,
  FactMap,
  FilesystemFact,
  IdentityFact,
  KernelFact,
  RuntimesFact,
} from '../../../src/engine/facts.ts';
import type { Sample } from '../../../src/domain/prometheus.ts';
import type {
  ClusterPod,
  Deployment,
  Hpa,
  NetworkPolicy,
  NodeInfo,
  Pod,
  ServiceAccount,
} from '../../../src/domain/kube.ts';
import { runnerObjects } from '../../cluster/fixture.ts';

export const NOW = Date.parse('2026-12-01T12:00:00Z');
const GiB = 1024 ** 3;

/** A deep copy with overrides applied by a function (tables mutate their own copy). */
export function edit<T>(v: T, f: (x: T) => void): T {
  const copy = structuredClone(v);
  f(copy);
  return copy;
}

// --- in-pod ---------------------------------------------------------------------------------------

export const envEntry = (value: string, opts: { secret?: boolean } = {}): EnvEntry => ({
  length: value.length,
  placeholder: /<[A-Za-z][^>]*>/.test(value),
  ...(opts.secret ? {} : { value }),
});

export const runnerEnv = (over: Record<string, string | null> = {}): EnvFact => {
  const base: Record<string, string> = {
    ACCOUNT_ID: '12345',
    AGENT_ID: 'a1b2c3d4-agent',
    MATILLION_REGION: 'eu1',
    CLOUD_PROVIDER: 'AWS',
    AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/matillion-runner',
    AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token',
    AWS_REGION: 'eu-west-1',
  };
  const secret = new Set([
    'OAUTH_CLIENT_ID',
    'OAUTH_CLIENT_SECRET',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_ACCESS_KEY_ID',
    'AZURE_CLIENT_SECRET',
  ]);
  const out: EnvFact = {};
  for (const [k, v] of Object.entries({
    ...base,
    OAUTH_CLIENT_ID: 'client-0001',
    OAUTH_CLIENT_SECRET: 'oauth-secret',
    ...over,
  })) {
    if (v === null) continue;
    out[k] = envEntry(v, { secret: secret.has(k) });
  }
  return out;
};

export const healthyRuntimes = (): RuntimesFact => ({
  python: {
    path: '/usr/bin/python3',
    version: '3.11.2',
    inline: { rc: 0, out: 'rd-inline-ok Python 3.11.2' },
    file: { rc: 0, out: 'rd-file-ok', dir: '/tmp' },
  },
  java: { path: '/usr/bin/java', version: 'openjdk version "17.0.15" 2025-04-15', major: 17 },
  jvm: [{ source: 'JAVA_TOOL_OPTIONS', flags: ['-XX:MaxRAMPercentage=75'] }],
  sudo: false,
  restrictedUser: false,
  restrictedGroup: false,
  preload: [],
});

export const healthyFilesystem = (): FilesystemFact => ({
  workdir: '/home/agentuser',
  paths: {
    '/tmp': {
      write: 'ok',
      sizeKiB: 10 * 1024 * 1024,
      freeKiB: 9 * 1024 * 1024,
      mount: { mountPoint: '/tmp', options: ['rw', 'relatime'], fsType: 'ext4', source: '/dev/vda' },
    },
    '/dev/shm': {
      write: 'ok',
      sizeKiB: 65536,
      freeKiB: 65536,
      mount: { mountPoint: '/dev/shm', options: ['rw', 'nosuid', 'nodev', 'noexec'], fsType: 'tmpfs', source: 'shm' },
    },
    '/home/agentuser': { write: 'ok', sizeKiB: 10 * 1024 * 1024, freeKiB: 9 * 1024 * 1024 },
    '/': {
      write: 'denied',
      mount: { mountPoint: '/', options: ['ro', 'relatime'], fsType: 'overlay', source: 'overlay' },
    },
  },
  tmpExecRc: 0,
  rootReadOnly: true,
});

export const healthyCgroup = (): CgroupFact => ({
  version: 2,
  memoryLimit: 4 * GiB,
  memoryUsage: 1.2 * GiB,
  oomKills: 0,
  cpuQuotaCores: 2,
  pidsLimit: 4096,
  pidsCurrent: 180,
});

/** A hardened container: non-root 65534, no_new_privs, seccomp filter, no capabilities. */
export const hardenedIdentity = (): IdentityFact => ({
  uid: 65534,
  gid: 65534,
  user: 'agentuser',
  groups: ['agentuser'],
  noNewPrivs: true,
  seccomp: 2,
  capEff: '0000000000000000',
  capabilities: [],
  capBnd: '0000000000000000',
  boundingCapabilities: [],
});

export const healthyCredentials = (): CredentialsFact => ({
  tokens: { AWS_WEB_IDENTITY_TOKEN_FILE: { state: 'ok', exp: Math.floor(NOW / 1000) + 86400 } },
});

export const healthyKernel = (): KernelFact => ({
  overcommitMemory: 0,
  ulimits: { nofile: { soft: 1048576, hard: 1048576 }, nproc: { soft: 'unlimited', hard: 'unlimited' } },
});

export const healthyPodFacts = (): Partial<FactMap> => ({
  runtimes: healthyRuntimes(),
  filesystem: healthyFilesystem(),
  cgroup: healthyCgroup(),
  identity: hardenedIdentity(),
  env: runnerEnv(),
  credentials: healthyCredentials(),
  kernel: healthyKernel(),
  now: NOW,
  config: { waivers: [] },
});

// --- cluster: what the chart renders ----------------------------------------------------------------

export const NS = 'matillion';
export const FULLNAME = 'matillion-runner';
export const SELECTOR_LABELS = {
  'app.kubernetes.io/name': 'matillion-runner',
  'app.kubernetes.io/instance': 'matillion-runner',
};
export const POD_LABELS = { app: `${FULLNAME}-pods`, ...SELECTOR_LABELS };

/** The chart's rendered objects (test/cluster/fixture.ts is the one description of what the chart renders). */
const rendered = (cloud: 'AWS' | 'AZURE' | 'GCP') => runnerObjects({ cloud }) as { kind: string; [k: string]: any }[];
const renderedKind = (cloud: 'AWS' | 'AZURE' | 'GCP', kind: string) => {
  const o = rendered(cloud).find((x) => x.kind === kind);
  if (!o) throw new Error(`the chart fixture renders no ${kind}`);
  return o;
};
const asCloud = (cloud: string) => (cloud === 'AZURE' || cloud === 'GCP' ? cloud : 'AWS');

export const chartEnv = (cloud = 'AWS') =>
  renderedKind(asCloud(cloud), 'Deployment').spec.template.spec.containers[0].env;

/** The runner pod template as the chart renders it (runnerSize small; for AWS with what the IRSA webhook injects). */
export const chartPodSpec = (cloud = 'AWS'): NonNullable<Pod['spec']> =>
  renderedKind(asCloud(cloud), 'Deployment').spec.template.spec;

export const runnerPod = (name: string, over: { node?: string; ip?: string; cloud?: string } = {}): Pod => ({
  metadata: {
    name,
    namespace: NS,
    labels: { ...POD_LABELS, 'pod-template-hash': '7d9f' },
    annotations: {
      'prometheus.io/path': '/actuator/prometheus',
      'prometheus.io/port': '8080',
      'prometheus.io/scrape': 'true',
    },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${FULLNAME}-app-7d9f`, uid: 'u1', controller: true },
    ],
  },
  spec: { ...chartPodSpec(over.cloud), nodeName: over.node ?? 'node-a' },
  status: {
    phase: 'Running',
    podIP: over.ip ?? '10.88.0.10',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [
      {
        name: `${FULLNAME}-pods`,
        ready: true,
        restartCount: 0,
        image: 'public.ecr.aws/matillion/etl-agent:stable',
        imageID: 'public.ecr.aws/matillion/etl-agent@sha256:aaaa',
        state: { running: { startedAt: new Date(NOW - 3600_000) } },
      },
    ],
  },
});

export const runnerDeployment = (over: { replicas?: number; cloud?: string } = {}): Deployment => ({
  metadata: {
    name: `${FULLNAME}-app`,
    namespace: NS,
    labels: { app: `${FULLNAME}-pods`, ...SELECTOR_LABELS, 'app.kubernetes.io/managed-by': 'Helm' },
  },
  spec: {
    replicas: over.replicas ?? 2,
    selector: { matchLabels: POD_LABELS },
    template: { metadata: { labels: POD_LABELS }, spec: chartPodSpec(over.cloud) },
  },
  status: {
    replicas: over.replicas ?? 2,
    readyReplicas: over.replicas ?? 2,
    availableReplicas: over.replicas ?? 2,
    updatedReplicas: over.replicas ?? 2,
  },
});

export const runnerHpa = (over: { min?: number; max?: number; target?: string } = {}): Hpa => ({
  metadata: { name: `${FULLNAME}-hpa`, namespace: NS },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `${FULLNAME}-app` },
    minReplicas: over.min ?? 2,
    maxReplicas: over.max ?? 10,
    metrics: ['app_active_task_count', 'app_active_request_count'].map((name) => ({
      type: 'Pods',
      pods: { metric: { name }, target: { type: 'AverageValue', averageValue: over.target ?? '16' } },
    })),
  },
  status: {
    currentReplicas: 2,
    desiredReplicas: 2,
    conditions: [
      { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', lastTransitionTime: new Date(NOW - 3600_000) },
      {
        type: 'ScalingActive',
        status: 'True',
        reason: 'ValidMetricFound',
        lastTransitionTime: new Date(NOW - 3600_000),
      },
      {
        type: 'ScalingLimited',
        status: 'True',
        reason: 'TooFewReplicas',
        message: 'the desired replica count is less than the minimum replica count',
        lastTransitionTime: new Date(NOW - 3600_000),
      },
    ],
  },
});

export const runnerServiceAccount = (
  annotations: Record<string, string> = {
    'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/matillion-runner',
  },
): ServiceAccount => ({
  metadata: { name: 'matillion-runner-sa', namespace: NS, annotations },
});

export const chartNetworkPolicy = (): NetworkPolicy => renderedKind('AWS', 'NetworkPolicy') as NetworkPolicy;

export const node = (name: string, over: Partial<NodeInfo> = {}): NodeInfo => ({
  name,
  labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': 'zone-a', ...(over.labels ?? {}) },
  unschedulable: false,
  ready: true,
  taints: [],
  allocatable: { cpu: 8, memory: 32 * GiB, ephemeral: 400 * GiB, pods: 110 },
  addresses: ['10.0.0.1'],
  ...over,
});

export const clusterPodOf = (p: Pod): ClusterPod => ({
  namespace: p.metadata?.namespace ?? NS,
  name: p.metadata?.name ?? '',
  nodeName: p.spec?.nodeName,
  phase: p.status?.phase,
  requests: { cpu: 1, memory: 4 * GiB, ephemeral: 50 * GiB },
  app: 'matillion-runner',
});

export const sample = (name: string, value: number, labels: Record<string, string> = {}): Sample => ({
  name,
  labels,
  value,
});

/** The whole healthy cluster: two Running runner pods on two nodes, the chart's objects, a working custom metrics API. */
export const healthyCluster = (): Partial<FactMap> => {
  const pods = [
    runnerPod('matillion-runner-app-7d9f-aaaaa', { node: 'node-a', ip: '10.88.0.10' }),
    runnerPod('matillion-runner-app-7d9f-bbbbb', { node: 'node-b', ip: '10.88.0.11' }),
  ];
  return {
    now: NOW,
    config: { waivers: [] },
    kubeScope: { namespace: NS, selector: 'app.kubernetes.io/name=matillion-runner' },
    serverVersion: { major: 1, minor: 36, gitVersion: 'v1.36.3' },
    runnerPods: pods,
    runnerDeployments: [runnerDeployment()],
    runnerReplicaSets: [],
    runnerHpas: [runnerHpa()],
    serviceAccounts: [runnerServiceAccount()],
    secretKeys: [{ namespace: NS, name: `${FULLNAME}-config`, keys: ['OAUTH_CLIENT_ID', 'OAUTH_CLIENT_SECRET'] }],
    runnerEvents: [],
    namespaces: [{ metadata: { name: NS, labels: { 'kubernetes.io/metadata.name': NS } } }],
    networkPolicies: [chartNetworkPolicy()],
    nodes: [node('node-a'), node('node-b', { labels: { 'topology.kubernetes.io/zone': 'zone-b' } })],
    clusterPods: pods.map(clusterPodOf),
    daemonSets: [],
    podSecurity: [{ namespace: NS, labels: {}, baseline: [], restricted: [] }],
    customMetricsApi: { name: 'v1beta1.custom.metrics.k8s.io', registered: true, available: true },
    runnerMetrics: pods.map((p) => ({
      pod: `${NS}/${p.metadata?.name}`,
      url: `http://${p.status?.podIP}:8080/actuator/prometheus`,
      samples: [
        sample('app_version_info', 1, { version: '2026.11.3' }),
        sample('app_agent_status', 1),
        sample('app_active_task_count', 3),
      ],
      sampleCount: 12,
      malformed: [],
    })),
    egressViews: [],
  };
};
