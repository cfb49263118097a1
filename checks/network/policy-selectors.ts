import { METRICS_PORT } from '../../src/domain/chart.ts';
import { listOf } from '../../src/domain/format.ts';
import type { ClusterPod, NetworkPolicy, NetworkPolicyPeer } from '../../src/domain/kube.ts';
import { portMatches, selectorMatches } from '../../src/domain/netpol.ts';
import { type NamespaceInfo, peerNamespaces, peerPods, peerText } from '../../src/domain/netpol-rules.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const messages = {
  ok: {
    status: 'pass',
    text: 'every NetworkPolicy in {{namespaces}} selects pods, and every peer its rules name matches something',
  },
  'selects-nothing': {
    status: 'warn',
    text: 'NetworkPolicy {{policy}} selects no pod in {{namespace}} (podSelector {{selector}}): it protects nothing — a typo in a selector fails open, silently',
    fix: 'make its podSelector match the labels of the pods it is meant for (kubectl get pods -n {{namespace}} --show-labels), or delete it',
  },
  'peer-selects-nothing': {
    status: 'warn',
    text: '{{rule}} names {{peer}}, which matches no {{what}} now: that part of the rule admits nothing',
    fix: 'correct the selector to labels the intended {{what}}s carry (kubectl get {{kind}} --show-labels)',
  },
  'no-policies': { status: 'pass', text: 'no NetworkPolicy in the runner namespaces' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

export default defineCheck({
  id: 'network.policy-selectors',
  title: 'NetworkPolicies select pods, and their peers match something',
  category: 'network',
  scope: 'cluster',
  docs: {
    what: `For every NetworkPolicy in the runner namespaces: whether its podSelector selects any pod there, and whether each namespaceSelector / podSelector peer of its rules matches a namespace or pod that exists (the metrics-port ingress rule, ${METRICS_PORT}, is judged by network.metrics-scrape).`,
    why: 'A policy whose selector has a typo selects nothing, so the pods it was written for are not isolated at all; a peer that matches nothing makes its rule admit nothing. Neither shows an error anywhere.',
    fix: 'Correct the selectors to the labels the pods and namespaces really carry.',
  },
  needs: ['networkPolicies', 'clusterNamespaces', 'clusterPods'],
  messages,
  judge({ networkPolicies, clusterNamespaces, clusterPods }, ctx) {
    if (networkPolicies.length === 0) return ctx.report('no-policies');
    const out = networkPolicies.flatMap((np) => judgePolicy(np, clusterNamespaces, clusterPods, ctx));
    if (out.length) return out;
    const namespaces = listOf([...new Set(networkPolicies.map((np) => np.metadata?.namespace ?? 'default'))]);
    return ctx.report('ok', { namespaces });
  },
});

const selectorText = (np: NetworkPolicy) => {
  const l = Object.entries(np.spec?.podSelector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  const e = (np.spec?.podSelector?.matchExpressions ?? []).map((x) => `${x.key} ${x.operator}`);
  return [...l, ...e].join(',') || '{}';
};

function judgePolicy(
  np: NetworkPolicy,
  namespaces: readonly NamespaceInfo[],
  pods: readonly ClusterPod[],
  { report }: JudgeContext<Id>,
): Finding<Id>[] {
  const namespace = np.metadata?.namespace ?? 'default';
  const policy = np.metadata?.name ?? '?';
  const target = `${namespace}/${policy}`;
  const out: Finding<Id>[] = [];
  const here = pods.filter((p) => p.namespace === namespace);
  if (here.length && !here.some((p) => selectorMatches(np.spec?.podSelector, p.labels ?? {})))
    out.push(report('selects-nothing', { policy, namespace, selector: selectorText(np) }, { target }));
  const rules: { rule: string; peers: NetworkPolicyPeer[] }[] = [
    ...(np.spec?.ingress ?? []).flatMap((r, i) =>
      // The metrics port's ingress is network.metrics-scrape's to judge, with Prometheus's namespace in view.
      r.ports?.length && portMatches(r.ports, METRICS_PORT, 'TCP', ['metrics'])
        ? []
        : [{ rule: `${policy} ingress[${i}]`, peers: r.from ?? [] }],
    ),
    ...(np.spec?.egress ?? []).map((r, i) => ({ rule: `${policy} egress[${i}]`, peers: r.to ?? [] })),
  ];
  for (const { rule, peers } of rules)
    for (const peer of peers) {
      if (peer.ipBlock) continue;
      const nss = peerNamespaces(peer, namespace, namespaces);
      const noNamespace = peer.namespaceSelector !== undefined && nss.length === 0;
      const matched = noNamespace ? [] : (peerPods(peer, namespace, namespaces, pods) ?? []);
      if (!noNamespace && (peer.podSelector === undefined || matched.length > 0)) continue;
      const what = noNamespace ? 'namespace' : 'pod';
      out.push(
        report(
          'peer-selects-nothing',
          { rule, peer: peerText(peer), what, kind: noNamespace ? 'namespaces' : 'pods -A' },
          { target, details: { rule, peer } },
        ),
      );
    }
  return out;
}
