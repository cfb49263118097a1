import { TASKS_PER_POD } from '../../src/domain/chart.ts';
import { fmtBytes } from '../../src/domain/format.ts';
import type { ClusterPod, Deployment, Hpa, NodeInfo, Pod } from '../../src/domain/kube.ts';
import { hpaFor, isRunning, objName, podsOf } from '../../src/domain/runner.ts';
import {
  type Autoscaler,
  detectAutoscaler,
  fitPerNode,
  managedPlatform,
  podRequests,
} from '../../src/domain/scheduling.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

/** The shortfall, as every not-enough message starts. */
const SHORT =
  'only {{more}} more runner pods ({{size}} each) fit on the current nodes but maxReplicas {{max}} needs {{need}} more: capacity stops at {{reachable}} of {{atMax}} tasks{{blocked}}';
const NODE_POOL_FIX = 'check that the node pool has autoscaling enabled with room for {{missing}} more nodes';

const messages = {
  fits: {
    status: 'pass',
    text: '{{more}} more runner pods ({{size}} each) fit on the nodes; maxReplicas {{max}} needs {{need}} more — {{capacity}}',
  },
  'no-room-autoscaler': {
    status: 'info',
    text: `${SHORT}; {{kind}} ({{evidence}}) can add nodes`,
    fix: "make sure the {{kind}} node groups/pools allow {{missing}} more nodes that satisfy the runner's nodeSelector and tolerations and have ≥ {{size}} allocatable",
  },
  'no-room-aks': {
    status: 'warn',
    text: `${SHORT}; no autoscaler is visible through the API (the AKS cluster autoscaler runs outside the cluster)`,
    fix: NODE_POOL_FIX,
    command:
      'az aks nodepool list -g <group> --cluster-name <cluster> --query "[].{name:name,auto:enableAutoScaling,max:maxCount}"',
  },
  'no-room-gke': {
    status: 'warn',
    text: `${SHORT}; no autoscaler is visible through the API (the GKE cluster autoscaler runs outside the cluster)`,
    fix: NODE_POOL_FIX,
    command:
      'gcloud container node-pools list --cluster <cluster> --format="table(name,autoscaling.enabled,autoscaling.maxNodeCount)"',
  },
  'no-room': {
    status: 'fail',
    text: `${SHORT}, and no cluster autoscaler or Karpenter was found`,
    fix: "add nodes with ≥ {{size}} allocatable that the runner may use (nodeSelector/tolerations), install a cluster autoscaler or Karpenter, or lower the HPA's maxReplicas to {{fitting}}",
  },
  'no-requests': {
    status: 'warn',
    text: 'the runner pods request no CPU or memory: the scheduler packs them anywhere, so headroom cannot be judged ({{capacity}})',
    fix: "set resources.requests (the chart's runnerSize does)",
  },
  'no-deployment': { status: 'info', text: 'no runner Deployment found: nothing to scale' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

interface Cluster {
  hpas: readonly Hpa[];
  nodes: readonly NodeInfo[];
  pods: readonly ClusterPod[];
  runners: readonly Pod[];
  autoscaler: Autoscaler | undefined;
  platform: 'AKS' | 'GKE' | 'EKS' | undefined;
}

export default defineCheck({
  id: 'scaling.headroom',
  title: 'Nodes have room for the runner to scale to maxReplicas',
  category: 'scaling',
  scope: 'cluster',
  docs: {
    what: "For each runner Deployment: how many more runner pods fit on the nodes now (allocatable minus the requests (CPU, memory, ephemeral storage) of the pods already there, cordoned and NotReady nodes, taints vs tolerations, nodeSelector and required node affinity), whether that reaches the HPA's maxReplicas, the task capacity (pods × 20) now and at max, and whether a node autoscaler (cluster-autoscaler, Karpenter, GKE node auto-provisioning, EKS Auto Mode) can add nodes.",
    why: "When the HPA scales up and the new pods stay Pending, tasks queue in the vendor's gateway at exactly the moment load is highest. A `small` runner (4Gi request) does not even fit on a t3.medium once system reservations are taken.",
    fix: 'Add nodes (or larger ones) that the runner may use, enable a cluster autoscaler / Karpenter / node auto-provisioning, or lower maxReplicas to what fits.',
  },
  needs: ['runnerDeployments', 'runnerHpas', 'nodes', 'clusterPods', 'runnerPods'],
  requires: ['workload.runner-pods'],
  messages,
  judge({ runnerDeployments, runnerHpas, nodes, clusterPods, runnerPods }, ctx) {
    if (runnerDeployments.length === 0) return ctx.report('no-deployment');
    const cluster: Cluster = {
      hpas: runnerHpas,
      nodes,
      pods: clusterPods,
      runners: runnerPods,
      autoscaler: detectAutoscaler(nodes, clusterPods),
      platform: managedPlatform(nodes),
    };
    return runnerDeployments.map((d) => judgeDeployment(d, cluster, ctx));
  },
});

function judgeDeployment(d: Deployment, c: Cluster, { report }: JudgeContext<Id>): Finding<Id> {
  const spec = d.spec?.template?.spec;
  const replicas = d.spec?.replicas ?? 1;
  const max = Math.max(hpaFor(c.hpas, d)?.spec?.maxReplicas ?? replicas, replicas);
  const mine = podsOf(d, c.runners);
  const bound = mine.filter((p) => p.spec?.nodeName).length;
  const running = mine.filter(isRunning).length;
  const perNode = fitPerNode(c.nodes, c.pods, spec);
  const more = perNode.reduce((a, n) => a + n.fits, 0);
  const need = Math.max(0, max - bound);
  const reachable = Math.min(max, bound + more);
  const req = podRequests(spec);
  const size = `${req.cpu} CPU / ${fmtBytes(req.memory)}${req.ephemeral ? ` / ${fmtBytes(req.ephemeral)} disk` : ''}`;
  const capacity = `task capacity ${running * TASKS_PER_POD} now, ${max * TASKS_PER_POD} at maxReplicas ${max}`;
  const details = {
    maxReplicas: max,
    scheduled: bound,
    running,
    morePodsFit: more,
    podRequests: { cpu: req.cpu, memoryBytes: req.memory, ephemeralStorageBytes: req.ephemeral },
    taskCapacityNow: running * TASKS_PER_POD,
    taskCapacityAtMax: max * TASKS_PER_POD,
    taskCapacityReachable: reachable * TASKS_PER_POD,
    autoscaler: c.autoscaler ?? null,
    nodes: perNode.map((n) => ({
      node: n.node,
      fits: n.fits,
      ...(n.reason ? { reason: n.reason } : {}),
      freeCpu: Math.round(n.free.cpu * 1000) / 1000,
      freeMemoryBytes: n.free.memory,
      ...(Number.isFinite(n.free.ephemeral) ? { freeEphemeralBytes: n.free.ephemeral } : {}),
    })),
  };
  const extra = { target: objName(d), details };

  if (req.cpu === 0 && req.memory === 0) return report('no-requests', { capacity }, extra);
  if (more >= need) return report('fits', { more, size, max, need, capacity }, extra);

  const blockedBy = perNode.flatMap((n) => (n.fits === 0 && n.reason ? [`${n.node}: ${n.reason}`] : []));
  const blocked = blockedBy.length ? ` (${blockedBy.slice(0, 4).join('; ')}${blockedBy.length > 4 ? '; …' : ''})` : '';
  const short = {
    more,
    size,
    max,
    need,
    reachable: reachable * TASKS_PER_POD,
    atMax: max * TASKS_PER_POD,
    blocked,
    missing: need - more,
  };
  if (c.autoscaler)
    return report('no-room-autoscaler', { ...short, kind: c.autoscaler.kind, evidence: c.autoscaler.evidence }, extra);
  if (c.platform === 'AKS') return report('no-room-aks', short, extra);
  if (c.platform === 'GKE') return report('no-room-gke', short, extra);
  return report('no-room', { ...short, fitting: bound + more }, extra);
}
