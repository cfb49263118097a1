// The cluster as the checks see it: one paginated LIST per resource type and scope, fetched at most
// once and shared by every check. Each collection is preceded by a SelfSubjectAccessReview for exactly
// what it needs, so a denied read becomes that fact's `forbidden (<rule>)` error and nothing else.
import type {
  V1DaemonSet,
  V1Deployment,
  CoreV1Event as V1Event,
  V1Namespace,
  V1NetworkPolicy,
  V1Node,
  V1Pod,
  V1ServiceAccount,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import { KubeError, ruleText, type KubeClient } from './client.ts';
import { Memo } from '../../util/memo.ts';

export const RUNNER_SELECTOR = 'app.kubernetes.io/name=matillion-runner';

export interface KubeScope {
  /** Namespace to look in; all namespaces when undefined. */
  namespace?: string;
  /** Helm release: adds app.kubernetes.io/instance=<release> to the selector. */
  release?: string;
  /** One pod by name (requires namespace). */
  pod?: string;
}

/** A Secret reduced to what may be known: its name and key names. Values are dropped on receipt. */
export interface SecretKeys {
  namespace: string;
  name: string;
  keys: string[];
}

export interface ApiServiceStatus {
  name: string;
  available: boolean;
  reason?: string;
  message?: string;
}

export interface ServerVersion {
  major: number;
  minor: number;
  gitVersion: string;
}

interface Need {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
}

/** Where a runner pod serves its metrics: the prometheus.io annotations, else the port named `metrics`, else 8080. */
export function metricsEndpoint(pod: V1Pod): { port: number; path: string; url: string } {
  const ann = pod.metadata?.annotations ?? {};
  const named = pod.spec?.containers?.flatMap((c) => c.ports ?? []).find((p) => p.name === 'metrics')?.containerPort;
  const port = /^\d+$/.test(ann['prometheus.io/port'] ?? '') ? Number(ann['prometheus.io/port']) : (named ?? 8080);
  const path = (ann['prometheus.io/path'] || '/actuator/prometheus').replace(/^\/*/, '/');
  return { port, path, url: `http://${pod.status?.podIP ?? pod.metadata?.name}:${port}${path}` };
}

export class KubeSnapshot {
  readonly client: KubeClient;
  readonly scope: KubeScope;
  readonly #memo = new Memo();
  constructor(client: KubeClient, scope: KubeScope) {
    this.client = client;
    this.scope = scope;
  }

  #once<T>(key: string, f: () => Promise<T>): Promise<T> {
    return this.#memo.once(key, f);
  }

  /** SelfSubjectAccessReview for one need; a denial becomes a KubeError naming the RBAC rule. */
  async can(need: Need): Promise<boolean> {
    const key = `can:${need.verb}:${need.group}:${need.resource}:${need.namespace ?? '*'}`;
    return this.#once(key, async () => {
      const [resource, subresource] = need.resource.split('/');
      const r = await this.client.request<{ status?: { allowed?: boolean } }>(
        '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
        {
          method: 'POST',
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: {
              resourceAttributes: {
                verb: need.verb,
                group: need.group,
                resource,
                subresource,
                namespace: need.namespace,
              },
            },
          },
        },
      );
      return r.status?.allowed === true;
    });
  }

  async #require(need: Need): Promise<void> {
    if (await this.can(need)) return;
    const rule = ruleText(need.verb, need.group, need.resource);
    throw new KubeError(
      'forbidden',
      `forbidden: cannot ${need.verb} ${need.resource}${need.namespace ? ` in namespace ${need.namespace}` : ' cluster-wide'} (needs ${rule})`,
      `add ${rule} to a ${need.namespace ? `Role in namespace ${need.namespace}` : 'ClusterRole'} bound to the doctor's identity (deploy/rbac.yaml)`,
      403,
    );
  }

  #nsPath(group: string, version: string, resource: string, ns?: string): string {
    const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
    return ns ? `${base}/namespaces/${encodeURIComponent(ns)}/${resource}` : `${base}/${resource}`;
  }

  /** LIST of one resource in each runner namespace (or cluster-wide), after an access review each. */
  async #listIn<T>(
    group: string,
    version: string,
    resource: string,
    namespaces: string[] | undefined,
    opts: { labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<T[]> {
    const key = `list:${group}/${resource}:${namespaces?.join(',') ?? '*'}:${opts.labelSelector ?? ''}:${opts.fieldSelector ?? ''}`;
    return this.#once(key, async () => {
      const scopes = namespaces ?? [undefined];
      await Promise.all(scopes.map((ns) => this.#require({ verb: 'list', group, resource, namespace: ns })));
      const lists = await Promise.all(
        scopes.map((ns) => this.client.list<T>(this.#nsPath(group, version, resource, ns), opts)),
      );
      return lists.flat();
    });
  }

  version(): Promise<ServerVersion> {
    return this.#once('version', async () => {
      const v = await this.client.request<{ major: string; minor: string; gitVersion: string }>('/version');
      return { major: Number.parseInt(v.major, 10), minor: Number.parseInt(v.minor, 10), gitVersion: v.gitVersion };
    });
  }

  /** Runner pods by the chart's labels (or the one --pod). */
  runnerPods(): Promise<V1Pod[]> {
    return this.#once('runnerPods', async () => {
      const ns = this.scope.namespace;
      if (this.scope.pod) {
        return this.#listIn<V1Pod>('', 'v1', 'pods', [ns ?? 'default'], {
          fieldSelector: `metadata.name=${this.scope.pod}`,
        });
      }
      const selector = this.scope.release
        ? `${RUNNER_SELECTOR},app.kubernetes.io/instance=${this.scope.release}`
        : RUNNER_SELECTOR;
      return this.#listIn<V1Pod>('', 'v1', 'pods', ns ? [ns] : undefined, { labelSelector: selector });
    });
  }

  /** Namespaces the runner lives in: --namespace, else those of the runner pods. */
  async namespaces(): Promise<string[]> {
    if (this.scope.namespace) return [this.scope.namespace];
    const pods = await this.runnerPods();
    return [...new Set(pods.map((p) => p.metadata?.namespace ?? 'default'))].sort();
  }

  async namespaceObjects(): Promise<V1Namespace[]> {
    const names = await this.namespaces();
    return this.#once('namespaces', async () => {
      await this.#require({ verb: 'list', group: '', resource: 'namespaces' });
      const all = await Promise.all(
        names.map((n) => this.client.list<V1Namespace>('/api/v1/namespaces', { fieldSelector: `metadata.name=${n}` })),
      );
      return all.flat();
    });
  }

  async deployments(): Promise<V1Deployment[]> {
    return this.#listIn<V1Deployment>('apps', 'v1', 'deployments', await this.namespaces(), {
      labelSelector: RUNNER_SELECTOR,
    });
  }
  async events(): Promise<V1Event[]> {
    return this.#listIn<V1Event>('', 'v1', 'events', await this.namespaces(), {
      fieldSelector: 'involvedObject.kind=Pod',
    });
  }
  async serviceAccounts(): Promise<V1ServiceAccount[]> {
    return this.#listIn<V1ServiceAccount>('', 'v1', 'serviceaccounts', await this.namespaces());
  }
  async hpas(): Promise<V2HorizontalPodAutoscaler[]> {
    return this.#listIn<V2HorizontalPodAutoscaler>(
      'autoscaling',
      'v2',
      'horizontalpodautoscalers',
      await this.namespaces(),
    );
  }
  async networkPolicies(): Promise<V1NetworkPolicy[]> {
    return this.#listIn<V1NetworkPolicy>('networking.k8s.io', 'v1', 'networkpolicies', await this.namespaces());
  }
  daemonSets(): Promise<V1DaemonSet[]> {
    return this.#listIn<V1DaemonSet>('apps', 'v1', 'daemonsets', undefined);
  }
  nodes(): Promise<V1Node[]> {
    return this.#listIn<V1Node>('', 'v1', 'nodes', undefined);
  }
  /** Pods on every node (for security agents and scheduling headroom): one cluster-wide LIST. */
  allPods(): Promise<V1Pod[]> {
    return this.#listIn<V1Pod>('', 'v1', 'pods', undefined, {
      fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
    });
  }

  /** Secrets in the runner namespaces, reduced to key names the moment they arrive. */
  async secrets(): Promise<SecretKeys[]> {
    const namespaces = await this.namespaces();
    return this.#once('secrets', async () => {
      const raw = await this.#listIn<{
        metadata?: { name?: string; namespace?: string };
        data?: Record<string, string>;
      }>('', 'v1', 'secrets', namespaces);
      const out = raw.map((s) => ({
        namespace: s.metadata?.namespace ?? '',
        name: s.metadata?.name ?? '',
        keys: Object.keys(s.data ?? {}).sort(),
      }));
      raw.length = 0; // values never outlive this function
      return out;
    });
  }

  apiService(name: string): Promise<ApiServiceStatus | undefined> {
    return this.#once(`apiservice:${name}`, async () => {
      const list = await this.#listIn<{
        metadata?: { name?: string };
        status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
      }>('apiregistration.k8s.io', 'v1', 'apiservices', undefined, { fieldSelector: `metadata.name=${name}` });
      const a = list[0];
      if (!a) return undefined;
      const cond = a.status?.conditions?.find((c) => c.type === 'Available');
      return { name, available: cond?.status === 'True', reason: cond?.reason, message: cond?.message };
    });
  }

  /**
   * What Pod Security admission would say about the pods already in a namespace at a given level: a
   * server-side dry-run (nothing is changed) of labelling the namespace, whose warnings list violations.
   */
  podSecurityDryRun(namespace: string, level: 'baseline' | 'restricted'): Promise<string[]> {
    return this.#once(`psa:${namespace}:${level}`, async () => {
      await this.#require({ verb: 'patch', group: '', resource: 'namespaces' });
      // Admission re-evaluates existing pods only when the enforce level or version changes: pin the
      // server's own minor version (same rules as "latest"), or "latest" if that is what is pinned.
      const { minor } = await this.version();
      const ns = (await this.namespaceObjects()).find((n) => n.metadata?.name === namespace);
      const pinned = `v1.${minor}`;
      const version =
        ns?.metadata?.labels?.['pod-security.kubernetes.io/enforce-version'] === pinned ? 'latest' : pinned;
      let warnings: string[] = [];
      await this.client.request(`/api/v1/namespaces/${encodeURIComponent(namespace)}`, {
        method: 'PATCH',
        query: { dryRun: 'All', fieldManager: 'runner-doctor' },
        contentType: 'application/merge-patch+json',
        body: {
          metadata: {
            labels: {
              'pod-security.kubernetes.io/enforce': level,
              'pod-security.kubernetes.io/enforce-version': version,
            },
          },
        },
        onWarnings: (w) => (warnings = w),
      });
      return warnings;
    });
  }

  /**
   * The runner's own metrics, through the API server's pod proxy (`get pods/proxy`): the port and path
   * from the pod's prometheus.io annotations, else the container port named `metrics`, else 8080.
   */
  scrapeMetrics(pod: V1Pod): Promise<string> {
    const ns = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    return this.#once(`scrape:${ns}/${name}`, async () => {
      await this.#require({ verb: 'get', group: '', resource: 'pods/proxy', namespace: ns });
      const { port, path } = metricsEndpoint(pod);
      const url = `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}:${port}/proxy${path}`;
      return this.client.request<string>(url, {
        raw: true,
        accept: 'text/plain;version=0.0.4;q=1,*/*;q=0.1',
        timeoutMs: 10_000,
        maxBytes: 8 * 1024 * 1024,
      });
    });
  }

  /** Whether exec into runner pods is allowed (get + create on pods/exec). */
  async requireExec(namespace: string): Promise<void> {
    await this.#require({ verb: 'create', group: '', resource: 'pods/exec', namespace });
  }
}
