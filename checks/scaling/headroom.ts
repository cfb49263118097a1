import { defineCheck, fail, fmtBytes, info, pass, warn } from '../../src/engine/define.ts';
import type { Outcome } from '../../src/engine/types.ts';
import { hpaFor, isRunning, TASKS_PER_POD } from '../../src/facts/kube/runner.ts';
import { detectAutoscaler, fitPerNode, managedPlatform, podRequests } from '../../src/facts/kube/scheduling.ts';

export default defineCheck({
  id: 'scaling.headroom',
  title: 'Nodes have room for the runner to scale to maxReplicas',
  category: 'scaling',
  scope: 'cluster',
  severity: 'fail',
  docs: {
    what: 'For each runner Deployment: how many more runner pods fit on the nodes now (allocatable minus the requests (CPU, memory, ephemeral storage) of the pods already there, cordoned and NotReady nodes, taints vs tolerations, nodeSelector and required node affinity), whether that reaches the HPA\'s maxReplicas, the task capacity (pods × 20) now and at max, and whether a node autoscaler (cluster-autoscaler, Karpenter, GKE node auto-provisioning, EKS Auto Mode) can add nodes.',
    why: 'When the HPA scales up and the new pods stay Pending, tasks queue in the vendor\'s gateway at exactly the moment load is highest. A `small` runner (4Gi request) does not even fit on a t3.medium once system reservations are taken.',
    fix: 'Add nodes (or larger ones) that the runner may use, enable a cluster autoscaler / Karpenter / node auto-provisioning, or lower maxReplicas to what fits.',
  },
  needs: ['kube'],
  requires: ['workload.runner-pods'],
  async run({ fact }) {
    const snap = await fact('kube');
    const [deployments, hpas, nodes, pods, runners] = await Promise.all([snap.deployments(), snap.hpas().catch(() => []), snap.nodes(), snap.allPods(), snap.runnerPods()]);
    const autoscaler = detectAutoscaler(nodes, pods);
    const platform = managedPlatform(nodes);
    const out: Outcome[] = [];
    for (const d of deployments) {
      const ns = d.metadata?.namespace;
      const target = `${ns}/${d.metadata?.name}`;
      const spec = d.spec?.template?.spec;
      const hpa = hpaFor(hpas, d);
      const max = Math.max(hpa?.spec?.maxReplicas ?? d.spec?.replicas ?? 1, d.spec?.replicas ?? 1);
      const selector = d.spec?.selector?.matchLabels ?? {};
      const mine = runners.filter((p) => p.metadata?.namespace === ns && Object.entries(selector).every(([k, v]) => p.metadata?.labels?.[k] === v) && !p.metadata?.deletionTimestamp);
      const bound = mine.filter((p) => p.spec?.nodeName).length;
      const running = mine.filter(isRunning).length;
      const perNode = fitPerNode(nodes, pods, spec);
      const more = perNode.reduce((a, n) => a + n.fits, 0);
      const need = Math.max(0, max - bound);
      const reachable = Math.min(max, bound + more);
      const req = podRequests(spec);
      const size = `${req.cpu} CPU / ${fmtBytes(req.memory)}${req.ephemeral ? ` / ${fmtBytes(req.ephemeral)} disk` : ''}`;
      const details = {
        maxReplicas: max,
        scheduled: bound,
        running,
        morePodsFit: more,
        podRequests: { cpu: req.cpu, memoryBytes: req.memory, ephemeralStorageBytes: req.ephemeral },
        taskCapacityNow: running * TASKS_PER_POD,
        taskCapacityAtMax: max * TASKS_PER_POD,
        taskCapacityReachable: reachable * TASKS_PER_POD,
        autoscaler: autoscaler ?? null,
        nodes: perNode.map((n) => ({ node: n.node, fits: n.fits, ...(n.reason ? { reason: n.reason } : {}), freeCpu: Math.round(n.free.cpu * 1000) / 1000, freeMemoryBytes: n.free.memory, ...(Number.isFinite(n.free.ephemeral) ? { freeEphemeralBytes: n.free.ephemeral } : {}) })),
      };
      const capacity = `task capacity ${running * TASKS_PER_POD} now, ${max * TASKS_PER_POD} at maxReplicas ${max}`;
      if (req.cpu === 0 && req.memory === 0) {
        out.push(warn(`the runner pods request no CPU or memory: the scheduler packs them anywhere, so headroom cannot be judged (${capacity})`, { target, details, remediation: 'set resources.requests (the chart\'s runnerSize does)' }));
        continue;
      }
      if (more >= need) {
        out.push(pass(`${more} more runner pods (${size} each) fit on the nodes; maxReplicas ${max} needs ${need} more — ${capacity}`, { target, details }));
        continue;
      }
      const blocked = perNode.filter((n) => n.fits === 0 && n.reason).map((n) => `${n.node}: ${n.reason}`);
      const why = `only ${more} more runner pods (${size} each) fit on the current nodes but maxReplicas ${max} needs ${need} more: capacity stops at ${reachable * TASKS_PER_POD} of ${max * TASKS_PER_POD} tasks${blocked.length ? ` (${blocked.slice(0, 4).join('; ')}${blocked.length > 4 ? '; …' : ''})` : ''}`;
      if (autoscaler) {
        out.push(info(`${why}; ${autoscaler.kind} (${autoscaler.evidence}) can add nodes`, { target, details, remediation: `make sure the ${autoscaler.kind} node groups/pools allow ${need - more} more nodes that satisfy the runner's nodeSelector and tolerations and have ≥ ${size} allocatable` }));
      } else if (platform === 'AKS' || platform === 'GKE') {
        out.push(warn(`${why}; no autoscaler is visible through the API (the ${platform} cluster autoscaler runs outside the cluster)`, { target, details, remediation: { text: `check that the node pool has autoscaling enabled with room for ${need - more} more nodes`, command: platform === 'AKS' ? 'az aks nodepool list -g <group> --cluster-name <cluster> --query "[].{name:name,auto:enableAutoScaling,max:maxCount}"' : 'gcloud container node-pools list --cluster <cluster> --format="table(name,autoscaling.enabled,autoscaling.maxNodeCount)"' } }));
      } else {
        out.push(fail(`${why}, and no cluster autoscaler or Karpenter was found`, { target, details, remediation: `add nodes with ≥ ${size} allocatable that the runner may use (nodeSelector/tolerations), install a cluster autoscaler or Karpenter, or lower the HPA's maxReplicas to ${bound + more}` }));
      }
    }
    return out.length ? out : [info('no runner Deployment found: nothing to scale')];
  },
});
