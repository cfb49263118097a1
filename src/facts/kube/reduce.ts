// What the collectors keep of each object, decided as it arrives: runner objects lose what no check
// reads and what must not be stored (managed fields, the last-applied annotation that carries a copy of
// the spec, secret-like env values); cluster-wide lists are reduced to a few fields each.
import { PLACEHOLDER } from '../../domain/chart.ts';
import type { ClusterPod, DaemonSetInfo, EventInfo, NodeInfo, Pod, PodSpec } from '../../domain/kube.ts';
import { parseQuantity } from '../../domain/quantity.ts';
import { podRequests } from '../../domain/scheduling.ts';
import { isSecretName, MASK, redactUrlCredentials, type Redactor } from '../../redact/redact.ts';

interface Meta {
  metadata?: object;
}

/** Drops managed fields and the last-applied annotation (a full copy of the object, env values included). */
export function trimMeta<T extends Meta>(o: T): T {
  const m = o.metadata as { managedFields?: unknown; annotations?: Record<string, string> } | undefined;
  if (m) {
    delete m.managedFields;
    if (m.annotations) delete m.annotations['kubectl.kubernetes.io/last-applied-configuration'];
  }
  return o;
}

/**
 * Masks env values that must not leave memory: values of secret-like names (remembered by the redactor,
 * so no output shows them either) and credentials in URLs. A value that is only a chart placeholder is
 * kept: it is not a secret, and it is what the placeholder checks look for.
 */
export function maskSpec(spec: PodSpec | undefined, redactor: Redactor): void {
  for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
    for (const e of c.env ?? []) {
      if (typeof e.value !== 'string' || e.value === '') continue;
      if (isSecretName(e.name) && !PLACEHOLDER.test(e.value)) {
        redactor.add(e.value);
        e.value = MASK;
      } else {
        e.value = redactUrlCredentials(e.value);
      }
    }
  }
}

export function runnerPod(p: Pod, redactor: Redactor): Pod {
  trimMeta(p);
  maskSpec(p.spec, redactor);
  return p;
}

/** Deployments and ReplicaSets: the pod template masked like a pod. */
export function runnerController<T extends Meta & { spec?: { template?: { spec?: PodSpec } } }>(
  o: T,
  redactor: Redactor,
): T {
  trimMeta(o);
  maskSpec(o.spec?.template?.spec, redactor);
  return o;
}

interface RawNode {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: { unschedulable?: boolean; taints?: NodeInfo['taints'] };
  status?: {
    allocatable?: Record<string, string>;
    conditions?: { type: string; status: string }[];
    addresses?: { type: string; address: string }[];
  };
}

export function node(n: RawNode): NodeInfo {
  const a = n.status?.allocatable ?? {};
  return {
    name: n.metadata?.name ?? '?',
    labels: n.metadata?.labels ?? {},
    unschedulable: n.spec?.unschedulable === true,
    ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
    taints: n.spec?.taints ?? [],
    allocatable: {
      cpu: parseQuantity(a.cpu),
      memory: parseQuantity(a.memory),
      ephemeral: a['ephemeral-storage'] ? parseQuantity(a['ephemeral-storage']) : null,
      pods: a.pods ? parseQuantity(a.pods) : 110,
    },
    addresses: (n.status?.addresses ?? [])
      .filter((x) => x.type === 'InternalIP' || x.type === 'ExternalIP')
      .map((x) => x.address),
  };
}

/** Labels controllers add per revision: no selector a user writes names them. */
const HASH_LABELS = new Set(['pod-template-hash', 'controller-revision-hash', 'pod-template-generation']);
const withoutHashes = (labels: Record<string, string>) =>
  Object.fromEntries(Object.entries(labels).filter(([k]) => !HASH_LABELS.has(k)));

export function clusterPod(p: Pod): ClusterPod {
  const labels = p.metadata?.labels ?? {};
  const ds = p.metadata?.ownerReferences?.find((o) => o.kind === 'DaemonSet')?.name;
  const app = labels['app.kubernetes.io/name'] ?? labels.app;
  return {
    namespace: p.metadata?.namespace ?? 'default',
    name: p.metadata?.name ?? '?',
    ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
    ...(p.status?.phase ? { phase: p.status.phase } : {}),
    requests: podRequests(p.spec),
    ...(app ? { app } : {}),
    ...(ds ? { daemonSet: ds } : {}),
    ...(Object.keys(labels).length ? { labels: withoutHashes(labels) } : {}),
  };
}

interface RawDaemonSet {
  metadata?: { name?: string; namespace?: string };
  spec?: { template?: { spec?: { containers?: { name: string; args?: string[]; command?: string[] }[] } } };
  status?: { numberReady?: number };
}

export function daemonSet(d: RawDaemonSet): DaemonSetInfo {
  const containers = d.spec?.template?.spec?.containers ?? [];
  const policyFlags = containers.flatMap((c) =>
    [...(c.command ?? []), ...(c.args ?? [])].filter((a) => /network-?policy/i.test(a)).map((a) => `${c.name} ${a}`),
  );
  return {
    namespace: d.metadata?.namespace ?? 'default',
    name: d.metadata?.name ?? '?',
    ...(d.status?.numberReady !== undefined ? { ready: d.status.numberReady } : {}),
    ...(containers.length ? { containers: containers.map((c) => c.name) } : {}),
    ...(policyFlags.length ? { policyFlags } : {}),
  };
}

interface RawEvent {
  metadata?: { namespace?: string };
  involvedObject?: { kind?: string; name?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string };
}

export function event(e: RawEvent): EventInfo {
  const last = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? undefined;
  return {
    namespace: e.metadata?.namespace ?? 'default',
    kind: e.involvedObject?.kind ?? '',
    name: e.involvedObject?.name ?? '',
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    message: redactUrlCredentials(e.message ?? '').slice(0, 1000),
    count: e.series?.count ?? e.count ?? 1,
    ...(last ? { last } : {}),
  };
}
