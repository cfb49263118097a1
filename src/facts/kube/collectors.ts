// The cluster's facts through the Kubernetes API: one paginated LIST per resource type and scope (the
// runner's namespaces, or cluster-wide), reduced as pages arrive; the API server's version; its own
// Pod Security verdicts (server-side dry-runs, nothing changes); the custom metrics APIService; the
// runner's metrics through the pod proxy. Each declares the RBAC rule it needs; a 403 is turned into
// `forbidden` naming exactly that rule.
import { CUSTOM_METRICS_API } from '../../domain/chart.ts';
import { SCRIPT_RUNNER_COMPONENT } from '../../domain/script-runner.ts';
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
} from '../../domain/kube.ts';
import { parseExposition } from '../../domain/prometheus.ts';
import { isRunning, metricsEndpoint, podName } from '../../domain/runner.ts';
import {
  FactError,
  type MetricsScrape,
  type PodSecurityVerdict,
  type RbacRule,
  type SecretKeys,
} from '../../engine/facts.ts';
import { type CollectContext, clusterRule, collector, nsRule } from '../collector.ts';
import { forbiddenFor, isConnectionFailure, KubeError } from './client.ts';
import * as reduce from './reduce.ts';

/** The API handles of a cluster run; without them (kubeconfig failed to load) every kube fact says why. */
export function kube(ctx: Pick<CollectContext, 'run'>) {
  const k = ctx.run.kube;
  if (!k) {
    const e = ctx.run.kubeError;
    if (e instanceof FactError) throw e;
    throw new FactError(
      'unavailable',
      ctx.run.mode === 'local'
        ? 'cluster facts are not collected with --local'
        : `no access to the cluster${e ? `: ${e.message}` : ''}`,
      'run with --namespace and a kubeconfig',
    );
  }
  return k;
}

const apiPath = (group: string, version: string, resource: string, ns?: string) => {
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  return ns ? `${base}/namespaces/${encodeURIComponent(ns)}/${resource}` : `${base}/${resource}`;
};

/** A 403 becomes the declared rule's `forbidden`, in the namespace it was asked in. */
export async function withRule<T>(rule: RbacRule, namespace: string | undefined, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof KubeError && e.kind === 'forbidden') throw forbiddenFor(rule, namespace);
    throw e;
  }
}

/** The runner's namespaces: --namespace, else those the runner pods were found in. */
export async function runnerNamespaces(ctx: CollectContext): Promise<string[]> {
  const scope = kube(ctx).scope;
  if (scope.namespace) return [scope.namespace];
  const pods = await ctx.get('runnerPods');
  return [...new Set(pods.map((p) => p.metadata?.namespace ?? 'default'))].sort();
}

/** One LIST per runner namespace (all at once), merged. */
export async function listInRunnerNamespaces<T, R = T>(
  ctx: CollectContext,
  rule: RbacRule,
  version: string,
  opts: { labelSelector?: string; reduce?: (item: T) => R | undefined } = {},
): Promise<R[]> {
  const { client } = kube(ctx);
  const [group = '', resource = ''] = [rule.apiGroups[0], rule.resources[0]];
  const lists = await Promise.all(
    (await runnerNamespaces(ctx)).map((ns) =>
      withRule(rule, ns, () => client.list<T, R>(apiPath(group, version, resource, ns), opts)),
    ),
  );
  return lists.flat();
}

const PODS = nsRule('', 'pods');

export const runnerPods = collector({
  name: 'runnerPods',
  scope: 'run',
  describe: "the runner pods (by the chart's labels) in the runner namespaces",
  rbac: [PODS],
  async collect(ctx) {
    const { client, scope } = kube(ctx);
    const keep = (p: Pod) => reduce.runnerPod(p, ctx.run.redactor);
    if (scope.pod) {
      const ns = scope.namespace ?? 'default';
      return withRule(PODS, ns, () =>
        client.list<Pod>(apiPath('', 'v1', 'pods', ns), { fieldSelector: `metadata.name=${scope.pod}`, reduce: keep }),
      );
    }
    const ns = scope.namespace;
    // Without --namespace the runner is looked for everywhere: a cluster-wide LIST (a ClusterRole).
    return withRule(ns ? PODS : { ...PODS, scope: 'cluster' }, ns, () =>
      client.list<Pod>(apiPath('', 'v1', 'pods', ns), { labelSelector: scope.selector, reduce: keep }),
    );
  },
});

export const DEPLOYMENTS = nsRule('apps', 'deployments');

/**
 * Every Deployment in the runner namespaces, listed once and masked like a pod: the runner's and the
 * script runner's are picked from it by label (one LIST per resource type, not one per question).
 */
export function runnerNamespaceDeployments(ctx: CollectContext): Promise<Deployment[]> {
  return ctx.shared('deployments:runner-namespaces', () =>
    listInRunnerNamespaces<Deployment>(ctx, DEPLOYMENTS, 'v1', {
      reduce: (d) => reduce.runnerController(d, ctx.run.redactor),
    }),
  );
}

/** `key=value` (one term of a label selector) holds for an object's labels. */
export const hasLabel = (o: { metadata?: { labels?: Record<string, string> } }, term: string): boolean => {
  const [k = '', v = ''] = term.split('=');
  return o.metadata?.labels?.[k] === v;
};

export const runnerDeployments = collector({
  name: 'runnerDeployments',
  scope: 'run',
  describe: 'the runner Deployments',
  rbac: [DEPLOYMENTS],
  usesWithoutNamespace: ['runnerPods'],
  collect: async (ctx) => {
    const term = kube(ctx).scope.selector.split(',')[0] ?? '';
    // The script runner's Deployment carries the runner's name label too (see NOT_SCRIPT_RUNNER).
    return (await runnerNamespaceDeployments(ctx)).filter(
      (d) => hasLabel(d, term) && !hasLabel(d, SCRIPT_RUNNER_COMPONENT),
    );
  },
});

const REPLICASETS = nsRule('apps', 'replicasets');
export const runnerReplicaSets = collector({
  name: 'runnerReplicaSets',
  scope: 'run',
  describe: 'the runner ReplicaSets (why no pod was created)',
  rbac: [REPLICASETS],
  usesWithoutNamespace: ['runnerPods'],
  async collect(ctx) {
    const { client, scope } = kube(ctx);
    const opts = {
      labelSelector: scope.selector,
      reduce: (r: ReplicaSet) => reduce.runnerController(r, ctx.run.redactor),
    };
    // Without --namespace and without a single runner pod there is no runner namespace to look in, and a
    // ReplicaSet that creates no pods is exactly what needs finding: look for it cluster-wide.
    if (!scope.namespace && (await runnerNamespaces(ctx)).length === 0)
      return withRule({ ...REPLICASETS, scope: 'cluster' }, undefined, () =>
        client.list<ReplicaSet, ReplicaSet>(apiPath('apps', 'v1', 'replicasets'), opts),
      );
    return listInRunnerNamespaces<ReplicaSet>(ctx, REPLICASETS, 'v1', opts);
  },
});

const HPAS = nsRule('autoscaling', 'horizontalpodautoscalers');
export const runnerHpas = collector({
  name: 'runnerHpas',
  scope: 'run',
  describe: 'the HorizontalPodAutoscalers in the runner namespaces',
  rbac: [HPAS],
  usesWithoutNamespace: ['runnerPods'],
  collect: (ctx) => listInRunnerNamespaces<Hpa>(ctx, HPAS, 'v2', { reduce: reduce.trimMeta }),
});

const SAS = nsRule('', 'serviceaccounts');
export const serviceAccounts = collector({
  name: 'serviceAccounts',
  scope: 'run',
  describe: 'the ServiceAccounts in the runner namespaces (annotations and labels)',
  rbac: [SAS],
  usesWithoutNamespace: ['runnerPods'],
  collect: (ctx) => listInRunnerNamespaces<ServiceAccount>(ctx, SAS, 'v1', { reduce: reduce.trimMeta }),
});

const SECRETS = nsRule('', 'secrets');
export const secretKeys = collector({
  name: 'secretKeys',
  scope: 'run',
  describe:
    'the names and key names of the Secrets in the runner namespaces (values are dropped as each page is parsed)',
  rbac: [SECRETS],
  usesWithoutNamespace: ['runnerPods'],
  collect: (ctx) =>
    listInRunnerNamespaces<
      { metadata?: { name?: string; namespace?: string }; data?: Record<string, string> },
      SecretKeys
    >(ctx, SECRETS, 'v1', {
      reduce: (s) => ({
        namespace: s.metadata?.namespace ?? '',
        name: s.metadata?.name ?? '',
        keys: Object.keys(s.data ?? {}).sort(),
      }),
    }),
});

const EVENTS = nsRule('', 'events');
export const runnerEvents = collector({
  name: 'runnerEvents',
  scope: 'run',
  describe: 'the events in the runner namespaces (scheduling, pod creation, back-off)',
  rbac: [EVENTS],
  usesWithoutNamespace: ['runnerPods', 'runnerReplicaSets'],
  async collect(ctx) {
    const { client, scope } = kube(ctx);
    const opts = { reduce: reduce.event };
    // No runner pod and no --namespace: the events of the namespaces whose runner ReplicaSets create none.
    const where =
      !scope.namespace && (await runnerNamespaces(ctx)).length === 0
        ? [...new Set((await ctx.get('runnerReplicaSets')).map((r) => r.metadata?.namespace ?? 'default'))].sort()
        : undefined;
    const events = where
      ? (
          await Promise.all(
            where.map((ns) =>
              withRule(EVENTS, ns, () =>
                client.list<Parameters<typeof reduce.event>[0], EventInfo>(apiPath('', 'v1', 'events', ns), opts),
              ),
            ),
          )
        ).flat()
      : await listInRunnerNamespaces<Parameters<typeof reduce.event>[0], EventInfo>(ctx, EVENTS, 'v1', opts);
    return events.sort((a, b) => (a.last ?? '').localeCompare(b.last ?? ''));
  },
});

const NAMESPACES = nsRule('', 'namespaces', ['get']);
export const namespaces = collector({
  name: 'namespaces',
  scope: 'run',
  describe: 'the runner namespaces themselves (their labels)',
  rbac: [NAMESPACES],
  usesWithoutNamespace: ['runnerPods'],
  async collect(ctx) {
    const { client } = kube(ctx);
    return Promise.all(
      (await runnerNamespaces(ctx)).map((ns) =>
        withRule(NAMESPACES, ns, () => client.request<Namespace>(`/api/v1/namespaces/${encodeURIComponent(ns)}`)).then(
          reduce.trimMeta,
        ),
      ),
    );
  },
});

const NETPOLS = nsRule('networking.k8s.io', 'networkpolicies');
export const networkPolicies = collector({
  name: 'networkPolicies',
  scope: 'run',
  describe: 'the NetworkPolicies in the runner namespaces',
  rbac: [NETPOLS],
  usesWithoutNamespace: ['runnerPods'],
  collect: (ctx) => listInRunnerNamespaces<NetworkPolicy>(ctx, NETPOLS, 'v1', { reduce: reduce.trimMeta }),
});

export const serverVersion = collector({
  name: 'serverVersion',
  scope: 'run',
  describe: "the API server's version (/version, open to every authenticated user)",
  rbac: [],
  async collect(ctx) {
    const v = await kube(ctx).client.request<{ major: string; minor: string; gitVersion: string }>('/version');
    return { major: Number.parseInt(v.major, 10), minor: Number.parseInt(v.minor, 10), gitVersion: v.gitVersion };
  },
});

const NODES = clusterRule('', 'nodes');
export const nodes = collector({
  name: 'nodes',
  scope: 'run',
  describe: 'every node, reduced to allocatable, labels, taints and readiness',
  rbac: [NODES],
  collect: (ctx) =>
    withRule(NODES, undefined, () =>
      kube(ctx).client.list<Parameters<typeof reduce.node>[0], NodeInfo>('/api/v1/nodes', {
        cached: true,
        reduce: reduce.node,
      }),
    ),
});

const ALL_PODS = clusterRule('', 'pods');
export const clusterPods = collector({
  name: 'clusterPods',
  scope: 'run',
  describe: 'every pod that is not finished, cluster-wide, reduced to its node, requests and owner',
  rbac: [ALL_PODS],
  collect: (ctx) =>
    withRule(ALL_PODS, undefined, () =>
      kube(ctx).client.list<Pod, ClusterPod>('/api/v1/pods', {
        cached: true,
        fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
        reduce: reduce.clusterPod,
      }),
    ),
});

const DAEMONSETS = clusterRule('apps', 'daemonsets');
export const daemonSets = collector({
  name: 'daemonSets',
  scope: 'run',
  describe: 'every DaemonSet, cluster-wide (names only)',
  rbac: [DAEMONSETS],
  collect: (ctx) =>
    withRule(DAEMONSETS, undefined, () =>
      kube(ctx).client.list<Parameters<typeof reduce.daemonSet>[0], DaemonSetInfo>('/apis/apps/v1/daemonsets', {
        cached: true,
        reduce: reduce.daemonSet,
      }),
    ),
});

const APISERVICES = clusterRule('apiregistration.k8s.io', 'apiservices', ['get']);
export const customMetricsApi = collector({
  name: 'customMetricsApi',
  scope: 'run',
  describe: `the ${CUSTOM_METRICS_API} APIService the runner's HPA reads its metrics through`,
  rbac: [APISERVICES],
  async collect(ctx) {
    type ApiService = {
      status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
    };
    try {
      const a = await withRule(APISERVICES, undefined, () =>
        kube(ctx).client.request<ApiService>(`/apis/apiregistration.k8s.io/v1/apiservices/${CUSTOM_METRICS_API}`),
      );
      const c = a.status?.conditions?.find((x) => x.type === 'Available');
      return {
        name: CUSTOM_METRICS_API,
        registered: true,
        available: c?.status === 'True',
        ...(c?.reason ? { reason: c.reason } : {}),
        ...(c?.message ? { message: c.message } : {}),
      };
    } catch (e) {
      if (e instanceof KubeError && e.kind === 'not-found')
        return { name: CUSTOM_METRICS_API, registered: false, available: false };
      throw e;
    }
  },
});

const PATCH_NAMESPACES = nsRule('', 'namespaces', ['patch']);
export const podSecurity = collector({
  name: 'podSecurity',
  scope: 'run',
  describe:
    'what Pod Security admission says about the runner pods at baseline and restricted: a server-side dry-run of labelling the namespace (nothing changes)',
  rbac: [PATCH_NAMESPACES],
  uses: ['namespaces', 'serverVersion'],
  async collect(ctx) {
    const { client } = kube(ctx);
    const [nss, version] = await Promise.all([ctx.get('namespaces'), ctx.get('serverVersion')]);
    const PREFIX = 'pod-security.kubernetes.io/';
    return Promise.all(
      nss.map(async (ns): Promise<PodSecurityVerdict> => {
        const name = ns.metadata?.name ?? '';
        const all = ns.metadata?.labels ?? {};
        const labels = Object.fromEntries(
          Object.entries(all)
            .filter(([k]) => k.startsWith(PREFIX))
            .map(([k, v]) => [k.slice(PREFIX.length), v]),
        );
        // Admission re-evaluates existing pods only when the enforce level or version changes: pin the
        // server's own minor version (same rules as "latest"), or "latest" if that is what is pinned.
        const pinned = `v1.${version.minor}`;
        const v = labels['enforce-version'] === pinned ? 'latest' : pinned;
        const dryRun = async (level: 'baseline' | 'restricted') => {
          let warnings: string[] = [];
          await withRule(PATCH_NAMESPACES, name, () =>
            client.request(`/api/v1/namespaces/${encodeURIComponent(name)}`, {
              method: 'PATCH',
              query: { dryRun: 'All', fieldManager: 'runner-doctor' },
              contentType: 'application/merge-patch+json',
              body: { metadata: { labels: { [`${PREFIX}enforce`]: level, [`${PREFIX}enforce-version`]: v } } },
              onWarnings: (w) => {
                warnings = w;
              },
            }),
          );
          return warnings;
        };
        const [baseline, restricted] = await Promise.all([dryRun('baseline'), dryRun('restricted')]);
        return { namespace: name, labels, baseline, restricted };
      }),
    );
  },
});

const PROXY = nsRule('', 'pods/proxy', ['get']);
export const runnerMetrics = collector({
  name: 'runnerMetrics',
  scope: 'run',
  describe: "the runner's own /actuator/prometheus of every Running runner pod, through the API server's pod proxy",
  rbac: [PROXY],
  uses: ['runnerPods'],
  async collect(ctx) {
    const { client } = kube(ctx);
    const pods = (await ctx.get('runnerPods')).filter(isRunning);
    return Promise.all(
      pods.map(async (p): Promise<MetricsScrape> => {
        const ns = p.metadata?.namespace ?? 'default';
        const name = p.metadata?.name ?? '';
        const { port, path, url } = metricsEndpoint(p);
        const proxyPath = `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}:${port}/proxy${path}`;
        try {
          const text = await withRule(PROXY, ns, () =>
            client.request<string>(proxyPath, {
              raw: true,
              accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1',
              timeoutMs: 10_000,
              maxBytes: 8 * 1024 * 1024,
            }),
          );
          const e = parseExposition(text);
          const samples = e.samples.filter((s) => s.name.startsWith('app_') && Number.isFinite(s.value));
          return {
            pod: podName(p),
            url,
            samples,
            sampleCount: e.samples.length,
            malformed: e.errors.slice(0, 5),
            malformedCount: e.errors.length,
          };
        } catch (e) {
          // Denied or no API at all: the fact itself cannot be had. A pod that does not answer is data.
          if (e instanceof FactError && (e.kind === 'forbidden' || e.kind === 'deadline' || isConnectionFailure(e)))
            throw e;
          const status = e instanceof FactError ? e.status : undefined;
          const message = (e instanceof Error ? e.message : String(e)).replace(
            /^API server answered (\d+) to GET \S+: /,
            '',
          );
          return { pod: podName(p), url, error: { ...(status ? { status } : {}), message } };
        }
      }),
    );
  },
});

export const KUBE_COLLECTORS = [
  runnerPods,
  runnerDeployments,
  runnerReplicaSets,
  runnerHpas,
  serviceAccounts,
  secretKeys,
  runnerEvents,
  namespaces,
  networkPolicies,
  serverVersion,
  nodes,
  clusterPods,
  daemonSets,
  customMetricsApi,
  podSecurity,
  runnerMetrics,
] as const;
