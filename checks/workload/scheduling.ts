import { HELM } from '../../src/domain/chart.ts';
import { fmtBytes, listOf } from '../../src/domain/format.ts';
import type { ClusterPod, EventInfo, NodeInfo, Pod } from '../../src/domain/kube.ts';
import { explainPending, type PendingCause, parseFailedScheduling, type ShortNode } from '../../src/domain/pending.ts';
import { cloudProviderOf, lastPodEvent } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const NODES_CMD = 'kubectl get nodes -o wide --show-labels';

const messages = {
  scheduled: { status: 'pass', text: 'every runner pod is scheduled on a node' },
  'too-small': {
    status: 'fail',
    text: '{{pods}} cannot be scheduled: each asks for {{request}} {{resource}} and no node is that large (the largest has {{largest}} allocatable){{also}}',
    fix: `choose a smaller ${HELM.runnerSize}, or add a node pool whose nodes have ≥ {{request}} allocatable {{resource}} after system reservations`,
    command: NODES_CMD,
  },
  insufficient: {
    status: 'fail',
    text: '{{pods}} cannot be scheduled: not enough free {{resource}} — each asks for {{request}}, the nodes have {{nodes}}{{also}}',
    fix: `add capacity (more or larger nodes, a cluster autoscaler or Karpenter) or choose a smaller ${HELM.runnerSize}; scaling.headroom shows the room per node`,
    command: NODES_CMD,
  },
  'ephemeral-aws': {
    status: 'fail',
    text: "{{pods}} cannot be scheduled: the chart's AWS values request {{request}} of ephemeral storage per runner, and the nodes have {{nodes}}{{also}}",
    fix: `give the node group larger root volumes (its disk size or launch template, ≥ {{request}} plus what the system uses), or override ${HELM.resources} with a smaller ephemeral-storage request and limit`,
    command: NODES_CMD,
  },
  taint: {
    status: 'fail',
    text: '{{pods}} cannot be scheduled: nodes {{nodes}} carry the taint {{taint}}, which the runner pods do not tolerate{{also}}',
    fix: "add a matching toleration to the runner pods (the chart's tolerations), or take the taint off: kubectl taint nodes <node> {{key}}-",
    command: NODES_CMD,
  },
  'fargate-profile': {
    status: 'fail',
    text: '{{pods}} cannot be scheduled: nodes {{nodes}} are EKS Fargate nodes, and no Fargate profile covers namespace {{namespace}}, so the pods went to the default scheduler, which cannot place them there{{also}}',
    fix: 'create a Fargate profile selecting namespace {{namespace}} (and the runner labels, if the profile uses label selectors), or add EC2 nodes for the runner',
    command: 'aws eks list-fargate-profiles --cluster-name <cluster>',
  },
  selector: {
    status: 'fail',
    text: '{{pods}} cannot be scheduled: {{detail}} on {{nodes}}{{also}}',
    fix: `make the runner's ${HELM.nodeSelector} / affinity name labels that nodes carry`,
    command: NODES_CMD,
  },
  'no-node': {
    status: 'fail',
    text: '{{pods}} cannot be scheduled: {{detail}}{{also}}',
    fix: 'uncordon or repair the nodes (kubectl uncordon <node>), or add nodes',
    command: NODES_CMD,
  },
  other: {
    status: 'fail',
    text: '{{pods}} Pending: {{event}}',
    fix: 'the nodes have room for the pod by requests, taints and selectors: read the scheduler event (pod affinity, volumes, ports)',
    command: 'kubectl describe pod -n {{namespace}} {{pod}}',
  },
  waiting: { status: 'info', text: '{{pods}} Pending, not yet placed by the scheduler (no FailedScheduling event)' },
  'no-pods': { status: 'info', text: 'no runner pods to examine' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

export default defineCheck({
  id: 'workload.scheduling',
  title: 'Pending runner pods: why the scheduler cannot place them',
  category: 'workload',
  scope: 'cluster',
  docs: {
    what: "For every Pending runner pod, reads the scheduler's FailedScheduling message and works out from the nodes and the pods bound to them what blocks it, node by node: which resource is short where (and whether any node could ever hold the pod), the AWS ephemeral-storage request, a taint the pods do not tolerate, EKS Fargate nodes that no Fargate profile for the namespace can use, a nodeSelector or affinity that matches nothing, cordoned or NotReady nodes.",
    why: 'Since Kubernetes 1.26 the scheduler says only how many nodes failed for which reason ("node(s) had untolerated taint(s)"), not which taint or which nodes; the fix differs completely between them.',
    fix: 'Act on the cause named: a smaller runnerSize or larger nodes, node disk for the AWS ephemeral-storage request, a toleration, a Fargate profile for the namespace, or a nodeSelector that matches.',
  },
  needs: ['runnerPods', 'runnerEvents', 'nodes', 'clusterPods'],
  messages,
  judge({ runnerPods, runnerEvents, nodes, clusterPods }, ctx) {
    if (runnerPods.length === 0) return ctx.report('no-pods');
    const pending = runnerPods.filter((p) => p.status?.phase === 'Pending' && !p.spec?.nodeName);
    if (pending.length === 0) return ctx.report('scheduled');
    const groups = new Map<string, { pods: Pod[]; finding: Finding<Id> }>();
    for (const p of pending) {
      const f = judgePod(p, runnerEvents, nodes, clusterPods, ctx);
      const owner = p.metadata?.ownerReferences?.[0]?.name ?? p.metadata?.name ?? '';
      const key = `${p.metadata?.namespace}/${owner}/${f.messageId}/${f.vars.signature ?? ''}`;
      const g = groups.get(key) ?? { pods: [], finding: f };
      g.pods.push(p);
      groups.set(key, g);
    }
    return [...groups.values()].map(({ pods, finding }) => {
      const names = pods.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
      const label = pods.length === 1 ? `pod ${names[0]}` : `${pods.length} pods (${listOf(names, 3)})`;
      return { ...finding, vars: { ...finding.vars, pods: label }, target: names[0] };
    });
  },
});

const fmtResource = (resource: string, n: number) =>
  resource === 'cpu' ? `${Math.round(n * 1000) / 1000} CPU` : fmtBytes(n);

const shortNodes = (resource: string, ns: ShortNode[]) =>
  listOf(
    ns.map((n) => `${n.node} ${fmtResource(resource, n.free)} free of ${fmtResource(resource, n.allocatable)}`),
    4,
  );

/**
 * The cause a user acts on first, then the others in a clause: what blocks the candidate nodes (those the
 * pod's nodeSelector and affinity allow) before the selector itself, which leads only when it rules out
 * every node. Fargate leads unless an EC2 node is only short of room (a mixed cluster: add room there).
 */
const PRIORITY: PendingCause['kind'][] = ['resource', 'pods', 'fargate', 'taint', 'cordoned', 'not-ready', 'selector'];

function causeText(c: PendingCause): string {
  switch (c.kind) {
    case 'resource':
      return `not enough ${c.resource} on ${listOf(
        c.nodes.map((n) => n.node),
        4,
      )}`;
    case 'taint':
      return `taint ${c.taint} on ${listOf(c.nodes, 4)}`;
    case 'fargate':
      return `EKS Fargate nodes ${listOf(c.nodes, 4)} outside any Fargate profile`;
    case 'selector':
      return `${c.detail} on ${listOf(c.nodes, 4)}`;
    case 'cordoned':
      return `${listOf(c.nodes, 4)} cordoned`;
    case 'not-ready':
      return `${listOf(c.nodes, 4)} not Ready`;
    case 'pods':
      return `${listOf(c.nodes, 4)} at their pod limit`;
  }
}

function judgePod(
  p: Pod,
  events: readonly EventInfo[],
  nodes: readonly NodeInfo[],
  clusterPods: readonly ClusterPod[],
  { report }: JudgeContext<Id>,
): Finding<Id> {
  const namespace = p.metadata?.namespace ?? 'default';
  const ev = lastPodEvent(events, p, (e) => e.reason === 'FailedScheduling');
  const base = { namespace, pod: p.metadata?.name ?? '', pods: '' };
  const scheduler = ev ? parseFailedScheduling(ev.message) : undefined;
  const why = explainPending(p.spec, nodes, clusterPods);
  const details = { event: ev?.message ?? null, scheduler: scheduler ?? null, causes: why.causes, fitsOn: why.fitsOn };
  if (!ev && why.causes.length === 0) return report('waiting', base, { details });
  if (why.fitsOn.length > 0 || why.causes.length === 0)
    return report('other', { ...base, event: ev?.message ?? 'no scheduling event yet' }, { details });
  const ranked = [...why.causes].sort((a, b) => PRIORITY.indexOf(a.kind) - PRIORITY.indexOf(b.kind));
  const [first, ...rest] = ranked;
  const also = rest.length ? `; on the other nodes: ${rest.map(causeText).join('; ')}` : '';
  const vars = { ...base, also, signature: ranked.map(causeText).join('|') };
  if (!first) return report('other', { ...base, event: ev?.message ?? '' }, { details });
  switch (first.kind) {
    case 'fargate':
      return report('fargate-profile', { ...vars, nodes: listOf(first.nodes, 4) }, { details });
    case 'resource': {
      const { resource, request } = first;
      const largest = Math.max(...first.nodes.map((n) => n.allocatable));
      const common = { ...vars, resource, request: fmtResource(resource, request) };
      if (resource === 'ephemeral-storage' && cloudProviderOf(p) === 'AWS')
        return report('ephemeral-aws', { ...common, nodes: shortNodes(resource, first.nodes) }, { details });
      if (first.neverFits)
        return report('too-small', { ...common, largest: fmtResource(resource, largest) }, { details });
      return report('insufficient', { ...common, nodes: shortNodes(resource, first.nodes) }, { details });
    }
    case 'taint':
      return report(
        'taint',
        {
          ...vars,
          nodes: listOf(first.nodes, 4),
          taint: first.taint,
          key: first.taint.split(/[=:]/)[0] ?? first.taint,
        },
        { details },
      );
    case 'selector':
      return report('selector', { ...vars, detail: first.detail, nodes: listOf(first.nodes, 4) }, { details });
    default:
      return report('no-node', { ...vars, detail: causeText(first) }, { details });
  }
}
