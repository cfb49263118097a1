// Why a Pending runner pod does not schedule, in terms a user can act on: the scheduler's FailedScheduling
// message says how many nodes failed for which reason ("0/4 nodes are available: 2 Insufficient memory,
// 2 node(s) had untolerated taint(s)") but since 1.26 not which taint nor which nodes; the nodes and the
// pods bound to them say the rest — which resource is short on which node (and whether the node could
// ever fit the pod), which taint is not tolerated, which nodeSelector matches nothing, and the EKS Fargate
// nodes a pod outside every Fargate profile can never land on.
import { isFargate } from './fargate.ts';
import type { ClusterPod, NodeInfo, PodSpec, Requests } from './kube.ts';
import { fitPerNode, ineligibleReason, podRequests } from './scheduling.ts';

/** The scheduler's message, split: how many nodes it considered and each reason with its node count. */
export interface SchedulerMessage {
  nodes: number;
  reasons: { count: number; reason: string }[];
}

/** `0/4 nodes are available: 1 Insufficient cpu, 3 node(s) had untolerated taint(s). preemption: …` */
export function parseFailedScheduling(message: string): SchedulerMessage | undefined {
  const m = message.match(/^0\/(\d+) nodes are available:?\s*(.*)$/s);
  if (!m) return undefined;
  const body = (m[2] ?? '').split(/\.\s+preemption:/)[0] ?? '';
  const reasons: SchedulerMessage['reasons'] = [];
  // Reasons are `<count> <text>` separated by ", " — a taint's `{k: v}` may hold commas of its own.
  for (const part of body.replace(/\.$/, '').split(/,\s+(?=\d+\s)/)) {
    const r = part.trim().match(/^(\d+)\s+(.+)$/);
    if (r) reasons.push({ count: Number(r[1]), reason: (r[2] ?? '').trim() });
  }
  return { nodes: Number(m[1]), reasons };
}

export type ResourceName = 'cpu' | 'memory' | 'ephemeral-storage';

export interface ShortNode {
  node: string;
  /** What is free now / what the node has at all (allocatable), in the resource's unit. */
  free: number;
  allocatable: number;
}

/** One reason the pod fits nowhere, with the nodes it applies to. */
export type PendingCause =
  | { kind: 'resource'; resource: ResourceName; request: number; nodes: ShortNode[]; neverFits: boolean }
  | { kind: 'pods'; nodes: string[] }
  | { kind: 'taint'; taint: string; nodes: string[] }
  | { kind: 'fargate'; nodes: string[] }
  | { kind: 'selector'; detail: string; nodes: string[] }
  | { kind: 'cordoned'; nodes: string[] }
  | { kind: 'not-ready'; nodes: string[] };

export interface PendingExplanation {
  /** Nodes the pod fits on right now (then the scheduler has not retried yet, or something else blocks it). */
  fitsOn: string[];
  causes: PendingCause[];
  requests: Requests;
}

const RESOURCE_KEY: Record<ResourceName, keyof Requests> = {
  cpu: 'cpu',
  memory: 'memory',
  'ephemeral-storage': 'ephemeral',
};

/** The causes behind a Pending pod of `spec`, node by node, grouped by cause. */
export function explainPending(
  spec: PodSpec | undefined,
  nodes: readonly NodeInfo[],
  pods: readonly ClusterPod[],
): PendingExplanation {
  const want = podRequests(spec);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const fargateScheduled = spec?.schedulerName === 'fargate-scheduler';
  const groups = new Map<string, PendingCause>();
  const onNode = (key: string, node: string, make: () => PendingCause) => {
    const c = groups.get(key) ?? make();
    groups.set(key, c);
    if (c.kind !== 'resource') c.nodes.push(node);
  };
  const fitsOn: string[] = [];
  for (const f of fitPerNode(nodes, pods, spec)) {
    const node = byName.get(f.node);
    if (!node) continue;
    if (f.fits > 0) {
      fitsOn.push(f.node);
      continue;
    }
    // A node the pod's nodeSelector / affinity rules out is no candidate: its taints do not matter.
    const unselected = ineligibleReason({ ...node, unschedulable: false, ready: true, taints: [] }, spec);
    const why = unselected ?? ineligibleReason(node, spec);
    if (unselected)
      onNode(`selector:${unselected}`, f.node, () => ({ kind: 'selector', detail: unselected, nodes: [] }));
    else if (why && isFargate(node.labels) && !fargateScheduled)
      onNode('fargate', f.node, () => ({ kind: 'fargate', nodes: [] }));
    else if (why?.startsWith('taint ')) {
      const taint = why.replace(/^taint /, '').replace(/ not tolerated$/, '');
      onNode(`taint:${taint}`, f.node, () => ({ kind: 'taint', taint, nodes: [] }));
    } else if (why?.startsWith('cordoned')) onNode('cordoned', f.node, () => ({ kind: 'cordoned', nodes: [] }));
    else if (why === 'not Ready') onNode('not-ready', f.node, () => ({ kind: 'not-ready', nodes: [] }));
    else if (why) onNode(`selector:${why}`, f.node, () => ({ kind: 'selector', detail: why, nodes: [] }));
    else if (!addShortages(groups, want, f.node, f.free, node))
      onNode('pods', f.node, () => ({ kind: 'pods', nodes: [] }));
  }
  return { fitsOn, causes: [...groups.values()], requests: want };
}

/** Every resource an eligible node is short of, and whether it could ever hold the pod; false when none is short. */
function addShortages(
  groups: Map<string, PendingCause>,
  want: Requests,
  node: string,
  free: Requests,
  info: NodeInfo,
): boolean {
  let short = false;
  for (const resource of ['cpu', 'memory', 'ephemeral-storage'] as const) {
    const key = RESOURCE_KEY[resource];
    const request = want[key];
    if (request <= 0 || free[key] >= request - 1e-9) continue;
    short = true;
    const allocatable = key === 'ephemeral' ? (info.allocatable.ephemeral ?? 0) : info.allocatable[key];
    const c = groups.get(resource) ?? { kind: 'resource', resource, request, nodes: [], neverFits: true };
    groups.set(resource, c);
    if (c.kind !== 'resource') continue;
    c.nodes.push({ node, free: Math.max(0, free[key]), allocatable });
    if (allocatable >= request) c.neverFits = false;
  }
  return short;
}
