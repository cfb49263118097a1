// Cluster facts NetworkPolicies are judged against: whether anything enforces them (the policy engine,
// recognised from the DaemonSets the cluster already lists for security agents — no second LIST — and the
// nodes' platform), and every namespace with its labels (what namespaceSelectors match).
import type { Namespace } from '../../domain/kube.ts';
import type { NamespaceInfo } from '../../domain/netpol-rules.ts';
import { detectPolicyEngines } from '../../domain/policy-engines.ts';
import { clusterRule, collector } from '../collector.ts';
import { kube, withRule } from './collectors.ts';

export const policyEngine = collector({
  name: 'policyEngine',
  scope: 'run',
  describe:
    'what enforces NetworkPolicies: Calico, Cilium, Antrea, kube-router, Azure NPM, Weave, the AWS VPC CNI policy agent or GKE Dataplane V2, from the DaemonSets that run them',
  rbac: [],
  uses: ['daemonSets', 'nodes'],
  async collect(ctx) {
    const [daemonSets, nodes] = await Promise.all([ctx.get('daemonSets'), ctx.get('nodes')]);
    return detectPolicyEngines(daemonSets, nodes);
  },
});

const ALL_NAMESPACES = clusterRule('', 'namespaces');
export const clusterNamespaces = collector({
  name: 'clusterNamespaces',
  scope: 'run',
  describe:
    'every namespace, reduced to its name and labels (what NetworkPolicy namespaceSelectors match); listed only when a NetworkPolicy exists in the runner namespaces',
  rbac: [ALL_NAMESPACES],
  uses: ['networkPolicies'],
  async collect(ctx) {
    if ((await ctx.get('networkPolicies')).length === 0) return [];
    return withRule(ALL_NAMESPACES, undefined, () =>
      kube(ctx).client.list<Namespace, NamespaceInfo>('/api/v1/namespaces', {
        cached: true,
        reduce: (n) => ({ name: n.metadata?.name ?? '?', labels: n.metadata?.labels ?? {} }),
      }),
    );
  },
});

export const NETWORK_COLLECTORS = [policyEngine, clusterNamespaces] as const;
