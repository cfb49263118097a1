// Every fact a check can read, by name, with the shape of its value: the contract between the collectors
// (src/facts/, which do the I/O) and the checks (which only judge). Values are plain JSON, so a run's
// facts can be saved as a snapshot and judged again offline. A fact that could not be collected is a
// FactError, handled once by the engine.
import type { Waiver } from './waivers.ts';
import type { EgressView } from '../domain/egress.ts';
import type {
  ClusterPod,
  DaemonSetInfo,
  Deployment,
  EventInfo,
  Hpa,
  Namespace,
  NetworkPolicy,
  NodeInfo,
  Pod,
  ReplicaSet,
  ServiceAccount,
} from '../domain/kube.ts';
import type { Sample } from '../domain/prometheus.ts';
import type { CloudLogsFact } from '../domain/log-signatures.ts';
import type { BindingInfo } from '../domain/bindings.ts';
import type { DnsDeployment } from '../domain/cluster-dns.ts';
import type { WebhookInfo } from '../domain/fargate.ts';
import type { IdentityExchange } from '../domain/identity.ts';
import type { ScriptRunnerReach } from '../domain/script-runner.ts';
import type { CustomMetricValues } from '../domain/custom-metrics.ts';
import type { NamespaceInfo } from '../domain/netpol-rules.ts';
import type { PolicyEngineFact } from '../domain/policy-engines.ts';

// --- in-pod facts (the probe, run on the local host or through exec in each runner pod) --------------

export interface MountInfo {
  mountPoint: string;
  options: string[];
  fsType: string;
  source: string;
}

export interface PathFacts {
  write: 'ok' | 'denied' | 'missing';
  sizeKiB?: number;
  freeKiB?: number;
  mount?: MountInfo;
}

/** `unlimited` where the kernel says so. */
export interface Limit {
  soft: number | 'unlimited';
  hard: number | 'unlimited';
}

export interface EnvEntry {
  length: number;
  placeholder: boolean;
  /** Present only for allow-listed, non-secret names; never for secret-like ones. */
  value?: string;
}

/** python3, java, the JVM's flags, RESTRICTED script mode and injected libraries. */
export interface RuntimesFact {
  python: {
    path?: string;
    version?: string;
    inline?: { rc: number | null; out: string };
    file?: { rc: number | null | 'unwritable'; out: string; dir?: string };
  };
  java: { path?: string; version?: string; major?: number };
  /** -X flags of running java processes (`pid N`) and of JVM option variables. */
  jvm: { source: string; flags: string[] }[];
  sudo: boolean;
  restrictedUser: boolean | null;
  restrictedGroup: boolean | null;
  /** Libraries from /etc/ld.so.preload. */
  preload: string[];
}

export interface FilesystemFact {
  workdir: string;
  paths: Record<string, PathFacts>;
  tmpExecRc: number | null;
  rootReadOnly: boolean | null;
}

export interface CgroupFact {
  version: 1 | 2 | 'none';
  /** Effective memory limit in bytes (smallest along the cgroup path); null = no limit. */
  memoryLimit: number | null;
  memoryUsage: number | null;
  oomKills: number | null;
  cpuQuotaCores: number | null;
  pidsLimit: number | null;
  pidsCurrent: number | null;
}

/** Who the runner process is and what it may do. */
export interface IdentityFact {
  uid: number | null;
  gid: number | null;
  user?: string;
  groups: string[];
  noNewPrivs: boolean | null;
  /** 0 disabled, 1 strict, 2 filter. */
  seccomp: 0 | 1 | 2 | null;
  /** CapEff as 16 hex digits. */
  capEff: string | null;
  capabilities: string[] | null;
  /** CapBnd (the bounding set: what the process or a child could ever gain) as 16 hex digits, and by name. */
  capBnd?: string | null;
  boundingCapabilities?: string[] | null;
}

/** Runner variables by name: lengths and placeholder flags for all, values only for non-secret names. */
export type EnvFact = Record<string, EnvEntry>;

export interface TokenFile {
  state: 'ok' | 'missing' | 'unreadable';
  /** The JWT `exp` claim (seconds), read inside the pod; the token itself never leaves it. */
  exp?: number;
}

export interface CredentialsFact {
  /** Projected identity tokens by the variable that names their file. */
  tokens: Record<string, TokenFile>;
}

export interface KernelFact {
  overcommitMemory: number | null;
  ulimits: { nofile: Limit | null; nproc: Limit | null };
}

// --- cluster facts (the Kubernetes API) ------------------------------------------------------------

/** What the user asked to examine. */
export interface KubeScopeFact {
  namespace?: string;
  release?: string;
  pod?: string;
  /** The label selector runner pods were found by. */
  selector: string;
}

export interface ServerVersion {
  major: number;
  minor: number;
  gitVersion: string;
}

/** A Secret reduced to what may be known: its name and key names. Values are dropped on receipt. */
export interface SecretKeys {
  namespace: string;
  name: string;
  keys: string[];
}

export interface PodSecurityVerdict {
  namespace: string;
  /** The namespace's pod-security.kubernetes.io/* labels, without the prefix (`enforce`, `enforce-version` …). */
  labels: Record<string, string>;
  /** The API server's own warnings for a dry-run of enforcing each level on the namespace. */
  baseline: string[];
  restricted: string[];
}

export interface ApiServiceFact {
  name: string;
  registered: boolean;
  available: boolean;
  reason?: string;
  message?: string;
}

export interface MetricsScrape {
  /** `namespace/name`. */
  pod: string;
  url: string;
  /** The runner's own series (`app_*`), parsed; absent when the scrape failed. */
  samples?: Sample[];
  sampleCount?: number;
  /** The first few lines that could not be read, and how many there were in all. */
  malformed?: string[];
  malformedCount?: number;
  /** Why the scrape through the pod proxy failed (HTTP status from the proxy, or the connection error). */
  error?: { status?: number; message: string };
}

export interface RunConfigFact {
  /** The config file the run used, if any. */
  path?: string;
  waivers: readonly Waiver[];
}

export interface FactMap {
  // run-scoped
  config: RunConfigFact;
  /** The run's clock, epoch milliseconds: checks never read the clock themselves. */
  now: number;
  kubeScope: KubeScopeFact;
  serverVersion: ServerVersion;
  runnerPods: Pod[];
  runnerDeployments: Deployment[];
  runnerReplicaSets: ReplicaSet[];
  runnerHpas: Hpa[];
  serviceAccounts: ServiceAccount[];
  secretKeys: SecretKeys[];
  runnerEvents: EventInfo[];
  namespaces: Namespace[];
  networkPolicies: NetworkPolicy[];
  nodes: NodeInfo[];
  /** Every pod bound or waiting cluster-wide, reduced to what scheduling and agent detection need. */
  clusterPods: ClusterPod[];
  daemonSets: DaemonSetInfo[];
  podSecurity: PodSecurityVerdict[];
  customMetricsApi: ApiServiceFact;
  runnerMetrics: MetricsScrape[];
  /** Every vantage point's egress view (the doctor's and each pod's), for conclusions across them. */
  egressViews: EgressView[];
  /** The runner's recent error lines from Azure Log Analytics, grouped by signature (--azure-workspace). */
  azureLogs: CloudLogsFact;
  /** The same from CloudWatch Logs Insights (--aws-log-group). */
  cloudwatchLogs: CloudLogsFact;
  /** RoleBindings in the runner namespaces, reduced to role and subjects. */
  roleBindings: BindingInfo[];
  /** Every ClusterRoleBinding, reduced to role and subjects. */
  clusterRoleBindings: BindingInfo[];
  /** The cluster DNS Deployment(s) in kube-system (k8s-app=kube-dns). */
  clusterDns: DnsDeployment[];
  /** Mutating webhook configurations, names only (how agents reach EKS Fargate pods). */
  mutatingWebhooks: WebhookInfo[];
  /** The script runner Deployments in the runner namespaces (app.kubernetes.io/component=script-runner). */
  scriptRunners: Deployment[];
  /** The cloud region of a runner pod's node (topology.kubernetes.io/region), when its nodes can be read. */
  clusterRegion: { region?: string; node?: string };
  /** The custom metrics API's app_active_task_count for the runner pods, per runner namespace (what the HPA reads). */
  customMetricsValues: CustomMetricValues[];
  /** What enforces NetworkPolicies in the cluster, from the DaemonSets that run (and the nodes' platform). */
  policyEngine: PolicyEngineFact;
  /** Every namespace with its labels (NetworkPolicy namespaceSelectors match these). */
  clusterNamespaces: NamespaceInfo[];
  // target-scoped (the local host or a runner pod)
  runtimes: RuntimesFact;
  filesystem: FilesystemFact;
  cgroup: CgroupFact;
  identity: IdentityFact;
  env: EnvFact;
  credentials: CredentialsFact;
  kernel: KernelFact;
  /** Egress as seen from this vantage point (the doctor, the local host or a pod). */
  egress: EgressView;
  /** The pod's own projected token exchanged with its cloud from inside it, as its SDK would (no token kept). */
  identityExchange: IdentityExchange;
  /** A TCP test from this runner environment to the script runner's sshd (MTLN_SCRIPT_RUNNER_HOST:2222). */
  scriptRunnerReach: ScriptRunnerReach;
}

export type FactName = keyof FactMap;

/** Why a fact could not be collected. `forbidden` carries the RBAC rule that would allow it. */
export type FactErrorKind =
  | 'forbidden'
  | 'unauthorized'
  | 'unreachable'
  | 'timeout'
  | 'deadline'
  | 'tls'
  | 'not-found'
  | 'server'
  | 'config'
  | 'probe'
  | 'exec'
  | 'unavailable';

export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  /** `namespace`: a Role in each runner namespace (a ClusterRole without --namespace); `cluster`: a ClusterRole. */
  scope: 'namespace' | 'cluster';
}

/** A fact that could not be collected: the engine turns every check that reads it into `error` with this. */
export class FactError extends Error {
  readonly kind: FactErrorKind;
  readonly remediation?: string;
  /** For `forbidden`: the rule that is missing, as the manifest would write it. */
  readonly rule?: RbacRule;
  /** The HTTP status behind it, when there was one. */
  readonly status?: number;
  constructor(
    kind: FactErrorKind,
    message: string,
    remediation?: string,
    extra: { rule?: RbacRule; status?: number } = {},
  ) {
    super(message);
    this.kind = kind;
    this.remediation = remediation;
    this.rule = extra.rule;
    this.status = extra.status;
  }

  toJSON(): SerializedFactError {
    return {
      kind: this.kind,
      message: this.message,
      ...(this.remediation ? { remediation: this.remediation } : {}),
      ...(this.rule ? { rule: this.rule } : {}),
      ...(this.status ? { status: this.status } : {}),
    };
  }

  static from(e: SerializedFactError): FactError {
    return new FactError(e.kind, e.message, e.remediation, { rule: e.rule, status: e.status });
  }
}

export interface SerializedFactError {
  kind: FactErrorKind;
  message: string;
  remediation?: string;
  rule?: RbacRule;
  status?: number;
}
