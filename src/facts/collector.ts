// The collector contract: one named fact, where it exists (once per run, or per target), the RBAC it
// needs (the manifest is the union over the facts the selected checks read), and the function that does
// the I/O. Collectors throw FactError for what they could not collect; nothing else decides that.
import type { FactError, FactMap, FactName, KubeScopeFact, RbacRule, RunConfigFact } from '../engine/facts.ts';
import type { Target } from '../engine/types.ts';
import type { Redactor } from '../redact/redact.ts';
import type { EgressPlan } from './egress/plan.ts';
import type { Access, KubeClient } from './kube/client.ts';
import type { LocalOptions } from './local/probe.ts';
import type { Bound } from '../util/bound.ts';

/** What the collectors of one run share: the I/O handles and the run's signal (its deadline). */
export interface RunResources {
  mode: 'local' | 'cluster';
  /** Aborted at the run's deadline: every request, exec and probe listens to it. */
  signal: AbortSignal;
  redactor: Redactor;
  config: RunConfigFact;
  now: number;
  /** The doctor's own environment (proxy settings, CAs, its secrets for the redactor). */
  env: NodeJS.ProcessEnv;
  /** --local: how the probe runs here. */
  local: LocalOptions;
  /** Cluster mode: the API, or why there is none. */
  kube?: { client: KubeClient; access: Access; scope: KubeScopeFact };
  kubeError?: Error;
  egress: EgressPlan;
  /** How long one probe exec may take. */
  probeTimeoutMs: number;
  /** Bounds how many execs run at once. */
  execSlots: Bound;
  /** The runner pod targets of the run, once discovery has found them. */
  podTargets: Target[];
  /** Why discovery found no runner pods to examine, when it failed (the in-pod facts report it). */
  discoveryError?: FactError;
  /** Whether each runner environment exchanges its own projected token with its cloud (`check` turns it on by default). */
  identityExchange?: boolean;
  /** Where the runner's logs are read from (--azure-workspace, --aws-log-group …); absent: the logs checks skip. */
  cloudLogs?: CloudLogsOptions;
}

/** The log stores a run reads the runner's recent errors from (src/facts/cloud/). */
export interface CloudLogsOptions {
  /** Log Analytics workspace id (a GUID). */
  azureWorkspace?: string;
  /** CloudWatch log group; '' derives Container Insights' group from the kube context's EKS cluster name. */
  awsLogGroup?: string;
  awsRegion?: string;
  /** The window, milliseconds back from the run's clock. */
  since: number;
  /** Log Analytics API base (default https://api.loganalytics.io/v1; sovereign clouds, stand-ins in tests). */
  azureEndpoint?: string;
  /** CloudWatch Logs endpoint (default: AWS_ENDPOINT_URL_CLOUDWATCH_LOGS / AWS_ENDPOINT_URL, else the region's). */
  cloudwatchEndpoint?: string;
  /** Extra trusted CAs (PEM) for the log stores and the Azure token endpoint (--ca). */
  ca?: string[];
  /** How long one query may take before it is given up (default 60 s; the run's deadline bounds it too). */
  queryTimeoutMs?: number;
}

export interface CollectContext {
  run: RunResources;
  target: Target;
  /** Another fact, collected once and shared (run-scoped, or of this same target). */
  get<F extends FactName>(name: F): Promise<FactMap[F]>;
  /** A fact of another target (the egress views of every pod). */
  getFor<F extends FactName>(target: Target, name: F): Promise<FactMap[F]>;
  /** Work shared by several collectors, once per key for the whole run (one probe run feeds seven facts). */
  shared<T>(key: string, f: () => Promise<T>): Promise<T>;
}

export interface Collector<N extends FactName = FactName> {
  name: N;
  /** `run`: collected once per run; `target`: once per target (the local host, the doctor, each pod). */
  scope: 'run' | 'target';
  /** What it reads, in a few words (the manifest's comments, `explain`). */
  describe: string;
  /** The RBAC rules it needs (none for facts that do not touch the Kubernetes API). */
  rbac: readonly RbacRule[];
  /** Facts whose collectors it calls (their rules are needed too). */
  uses?: readonly FactName[];
  /** Facts it calls only when no --namespace is given (the runner's namespaces come from its pods then). */
  usesWithoutNamespace?: readonly FactName[];
  /** Whether it still yields a value (with less in it) when a fact it uses cannot be collected. */
  partial?: boolean;
  /** Whether it reads the pod targets discovery finds (so it must not start before discovery ends). */
  afterDiscovery?: boolean;
  collect(ctx: CollectContext): Promise<FactMap[N]>;
}

export function collector<N extends FactName>(c: Collector<N>): Collector<N> {
  return c;
}

/** A namespaced read rule. */
export const nsRule = (apiGroup: string, resource: string, verbs: string[] = ['list']): RbacRule => ({
  apiGroups: [apiGroup],
  resources: [resource],
  verbs,
  scope: 'namespace',
});
/** A cluster-wide read rule. */
export const clusterRule = (apiGroup: string, resource: string, verbs: string[] = ['list']): RbacRule => ({
  apiGroups: [apiGroup],
  resources: [resource],
  verbs,
  scope: 'cluster',
});
