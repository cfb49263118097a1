// The scheduler's arithmetic, reduced to what decides whether one more runner pod fits on a node:
// allocatable minus the requests of the pods already bound there, the node's schedulability and
// Ready condition, taints vs tolerations, nodeSelector and required node affinity.
import type { V1NodeSelectorRequirement } from '@kubernetes/client-node';
import type { ClusterPod, NodeInfo, PodSpec, Requests, Taint, Toleration } from './kube.ts';
import { parseQuantity } from './quantity.ts';

type Res = 'cpu' | 'memory' | 'ephemeral-storage';

/** Effective requests of a pod spec as the scheduler counts them: max(sum of containers, largest init container) + overhead. */
export function podRequests(spec: PodSpec | undefined): Requests {
  const sum = (key: Res) =>
    (spec?.containers ?? []).reduce((a, c) => a + parseQuantity(c.resources?.requests?.[key]), 0);
  const maxInit = (key: Res) =>
    Math.max(0, ...(spec?.initContainers ?? []).map((c) => parseQuantity(c.resources?.requests?.[key])));
  const one = (key: Res) => Math.max(sum(key), maxInit(key)) + parseQuantity(spec?.overhead?.[key]);
  return { cpu: one('cpu'), memory: one('memory'), ephemeral: one('ephemeral-storage') };
}

export function tolerates(tolerations: Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (!t.key) return t.operator === 'Exists';
    if (t.key !== taint.key) return false;
    return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
  });
}

function matchesRequirement(labels: Record<string, string>, r: V1NodeSelectorRequirement): boolean {
  const v = labels[r.key];
  switch (r.operator) {
    case 'In':
      return v !== undefined && (r.values ?? []).includes(v);
    case 'NotIn':
      return v === undefined || !(r.values ?? []).includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
    case 'Gt':
      return v !== undefined && Number(v) > Number(r.values?.[0]);
    case 'Lt':
      return v !== undefined && Number(v) < Number(r.values?.[0]);
    default:
      return false;
  }
}

/** Why a pod with this spec may not land on the node at all (undefined: it may). */
export function ineligibleReason(node: NodeInfo, spec: PodSpec | undefined): string | undefined {
  const labels = node.labels;
  if (node.unschedulable) return 'cordoned (unschedulable)';
  if (!node.ready) return 'not Ready';
  const taint = node.taints.find(
    (t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(spec?.tolerations, t),
  );
  if (taint) return `taint ${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect} not tolerated`;
  for (const [k, v] of Object.entries(spec?.nodeSelector ?? {}))
    if (labels[k] !== v) return `nodeSelector ${k}=${v} does not match`;
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms?.length && !terms.some((t) => (t.matchExpressions ?? []).every((r) => matchesRequirement(labels, r))))
    return 'required node affinity does not match';
  return undefined;
}

export interface NodeFit {
  node: string;
  /** How many more pods of the given size fit (0 when ineligible). */
  fits: number;
  reason?: string;
  free: { cpu: number; memory: number; ephemeral: number; pods: number };
}

/** For every node: how many more pods with `spec` fit next to the pods already bound there. */
export function fitPerNode(
  nodes: readonly NodeInfo[],
  pods: readonly ClusterPod[],
  spec: PodSpec | undefined,
): NodeFit[] {
  const want = podRequests(spec);
  const used = new Map<string, Requests & { pods: number }>();
  for (const p of pods) {
    const n = p.nodeName;
    if (!n || p.phase === 'Succeeded' || p.phase === 'Failed') continue;
    const u = used.get(n) ?? { cpu: 0, memory: 0, ephemeral: 0, pods: 0 };
    used.set(n, {
      cpu: u.cpu + p.requests.cpu,
      memory: u.memory + p.requests.memory,
      ephemeral: u.ephemeral + p.requests.ephemeral,
      pods: u.pods + 1,
    });
  }
  return nodes.map((node) => {
    const u = used.get(node.name) ?? { cpu: 0, memory: 0, ephemeral: 0, pods: 0 };
    const a = node.allocatable;
    const free = {
      cpu: a.cpu - u.cpu,
      memory: a.memory - u.memory,
      ephemeral: a.ephemeral === null ? Number.POSITIVE_INFINITY : a.ephemeral - u.ephemeral,
      pods: a.pods - u.pods,
    };
    const reason = ineligibleReason(node, spec);
    if (reason) return { node: node.name, fits: 0, reason, free };
    const limits = [Math.floor(free.pods)];
    if (want.cpu > 0) limits.push(Math.floor(free.cpu / want.cpu + 1e-9));
    if (want.memory > 0) limits.push(Math.floor(free.memory / want.memory));
    if (want.ephemeral > 0) limits.push(Math.floor(free.ephemeral / want.ephemeral));
    const fits = Math.max(0, Math.min(...limits));
    const short =
      fits === 0
        ? free.memory < want.memory
          ? 'not enough free memory'
          : free.cpu < want.cpu
            ? 'not enough free CPU'
            : free.ephemeral < want.ephemeral
              ? 'not enough free ephemeral storage'
              : 'pod limit reached'
        : undefined;
    return { node: node.name, fits, reason: short, free };
  });
}

export interface Autoscaler {
  kind: 'cluster-autoscaler' | 'karpenter' | 'gke-nap' | 'eks-auto-mode';
  evidence: string;
}

/** A node autoscaler, from what is visible to the API: its pods, or the labels it puts on nodes. */
export function detectAutoscaler(nodes: readonly NodeInfo[], pods: readonly ClusterPod[]): Autoscaler | undefined {
  for (const n of nodes) {
    const l = n.labels;
    if (l['karpenter.sh/nodepool'] || l['karpenter.sh/provisioner-name'])
      return { kind: 'karpenter', evidence: `node ${n.name} is labelled karpenter.sh/nodepool` };
    if (l['eks.amazonaws.com/compute-type'] === 'auto')
      return { kind: 'eks-auto-mode', evidence: `node ${n.name} is an EKS Auto Mode node` };
    if ((l['cloud.google.com/gke-nodepool'] ?? '').startsWith('nap-'))
      return {
        kind: 'gke-nap',
        evidence: `node pool ${l['cloud.google.com/gke-nodepool']} was created by node auto-provisioning`,
      };
  }
  for (const p of pods) {
    const app = p.app ?? '';
    if (/cluster-autoscaler/.test(p.name) || /cluster-autoscaler/.test(app))
      return { kind: 'cluster-autoscaler', evidence: `pod ${p.namespace}/${p.name}` };
    if (/^karpenter/.test(p.name) || app === 'karpenter')
      return { kind: 'karpenter', evidence: `pod ${p.namespace}/${p.name}` };
  }
  return undefined;
}

/** Managed platforms whose cluster autoscaler runs outside the cluster, where the API cannot show it. */
export function managedPlatform(nodes: readonly NodeInfo[]): 'AKS' | 'GKE' | 'EKS' | undefined {
  const l = nodes[0]?.labels ?? {};
  if (Object.keys(l).some((k) => k.startsWith('kubernetes.azure.com/'))) return 'AKS';
  if (l['cloud.google.com/gke-nodepool']) return 'GKE';
  if (l['eks.amazonaws.com/nodegroup'] || Object.keys(l).some((k) => k.startsWith('eks.amazonaws.com/'))) return 'EKS';
  return undefined;
}
