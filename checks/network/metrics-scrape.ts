import { METRICS_PORT } from '../../src/domain/chart.ts';
import { isPrometheusServer, TASK_METRIC } from '../../src/domain/custom-metrics.ts';
import { listOf } from '../../src/domain/format.ts';
import type { ClusterPod, NetworkPolicy, NetworkPolicyPeer, Pod } from '../../src/domain/kube.ts';
import { isolates, byPolicySet } from '../../src/domain/netpol.ts';
import {
  ingressRules,
  type NamespaceInfo,
  peerNamespaces,
  peerPods,
  peerText,
  type RuleRef,
  ruleName,
} from '../../src/domain/netpol-rules.ts';
import { podName, runnerContainer } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const messages = {
  admitted: {
    status: 'pass',
    text: `Prometheus in {{promNs}} may scrape the runner on ${METRICS_PORT} ({{rule}})`,
  },
  open: {
    status: 'pass',
    text: `ingress to the metrics port ${METRICS_PORT} is not restricted{{by}}: Prometheus can scrape from any namespace`,
  },
  'label-missing': {
    status: 'warn',
    text: `{{rule}} admits scrapes on ${METRICS_PORT} only from namespaces labelled {{label}}, and no namespace carries it: where NetworkPolicies are enforced, Prometheus cannot scrape the runner and the HPA gets no ${TASK_METRIC}`,
    fix: '{{fix}}',
    command: 'kubectl get namespaces --show-labels',
  },
  'prometheus-not-admitted': {
    status: 'warn',
    text: `Prometheus runs in {{promNs}}, which {{rule}} does not admit on ${METRICS_PORT} (it admits {{admitted}}): where NetworkPolicies are enforced, the scrape and so the HPA are blocked`,
    fix: '{{fix}}',
    command: 'kubectl get namespace {{promNs}} --show-labels',
  },
  'no-prometheus': {
    status: 'info',
    text: `${METRICS_PORT} is admitted from {{admitted}} ({{rule}}); no Prometheus server pod was found in the cluster to compare`,
  },
  'no-rule': {
    status: 'info',
    text: `no ingress rule admits ${METRICS_PORT} at all (network.policy reports it as scrape-blocked)`,
  },
  'no-pods': { status: 'pass', text: 'no runner pods to evaluate' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

export default defineCheck({
  id: 'network.metrics-scrape',
  title: 'The metrics-port ingress rule admits the namespace Prometheus runs in',
  category: 'network',
  scope: 'cluster',
  docs: {
    what: `Matches the ingress rules for the metrics port ${METRICS_PORT} of the NetworkPolicies selecting the runner against the cluster's namespaces and their labels, and against the namespace a Prometheus server pod runs in: a namespaceSelector no namespace matches (the chart's name: monitoring), or one that leaves Prometheus's namespace out, blocks the scrape.`,
    why: `The chart admits namespaces labelled name=monitoring, a label no namespace carries by default (kubectl create namespace adds only kubernetes.io/metadata.name), and the vendor's guide installs Prometheus in prometheus: where policies are enforced, the HPA never gets ${TASK_METRIC}.`,
    fix: "Label the namespace Prometheus runs in with the rule's label (kubectl label namespace prometheus name=monitoring), or change the rule's namespaceSelector.",
  },
  needs: ['runnerPods', 'networkPolicies', 'clusterNamespaces', 'clusterPods'],
  messages,
  judge({ runnerPods, networkPolicies, clusterNamespaces, clusterPods }, ctx) {
    // Pods selected by the same policies get the same answer: one finding per namespace and policy set.
    const prometheus = clusterPods.filter(isPrometheusServer);
    const out = byPolicySet(runnerPods, networkPolicies).map(({ pod, selecting }) =>
      judgePod(pod, selecting, { namespaces: clusterNamespaces, pods: clusterPods, prometheus }, ctx),
    );
    return out.length ? out : ctx.report('no-pods');
  },
});

interface Cluster {
  namespaces: readonly NamespaceInfo[];
  pods: readonly ClusterPod[];
  prometheus: ClusterPod[];
}

const labelsText = (peer: NetworkPolicyPeer) =>
  Object.entries(peer.namespaceSelector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

function judgePod(p: Pod, selecting: NetworkPolicy[], c: Cluster, { report }: JudgeContext<Id>): Finding<Id> {
  const target = selecting.length
    ? `${p.metadata?.namespace}: ${selecting.map((x) => x.metadata?.name).join(', ')}`
    : podName(p);
  const names = (runnerContainer(p)?.ports ?? []).flatMap((x) =>
    x.containerPort === METRICS_PORT && x.name ? [x.name] : [],
  );
  const isolated = selecting.some((x) => isolates(x, 'Ingress'));
  const rules = ingressRules(selecting, METRICS_PORT, names);
  const promNs = [...new Set(c.prometheus.map((x) => x.namespace))];
  const details = { rules: rules.map(ruleName), prometheusNamespaces: promNs };
  if (!isolated) return report('open', { by: '' }, { target, details });
  if (rules.length === 0) return report('no-rule', {}, { target, details });
  const open = rules.find((r) => !r.peers?.length || r.peers.some((x) => x.ipBlock?.cidr === '0.0.0.0/0'));
  if (open) return report('open', { by: ` (${ruleName(open)} admits any source)` }, { target, details });
  const policyNs = p.metadata?.namespace ?? 'default';
  const peers = rules.flatMap((r) => (r.peers ?? []).map((peer) => ({ r, peer })));
  const rule = (r: RuleRef) => ruleName(r);
  for (const { r, peer } of peers) {
    const scraping = (peerPods(peer, policyNs, c.namespaces, c.pods) ?? []).filter((x) => c.prometheus.includes(x));
    if (scraping.length)
      return report(
        'admitted',
        { promNs: listOf([...new Set(scraping.map((x) => x.namespace))]), rule: rule(r) },
        { target, details },
      );
  }
  const dead = peers.filter(
    ({ peer }) => peer.namespaceSelector && peerNamespaces(peer, policyNs, c.namespaces).length === 0,
  );
  const where = promNs[0];
  const fixFor = (label: string) =>
    label
      ? `label the namespace Prometheus runs in: kubectl label namespace ${where ?? '<prometheus-namespace>'} ${label}${where ? '' : " (the vendor's guide installs Prometheus in prometheus)"}`
      : `change the rule's namespaceSelector to match the namespace Prometheus runs in${where ? ` (${where})` : ''}`;
  const [firstDead] = dead;
  if (firstDead) {
    const label = labelsText(firstDead.peer) || peerText(firstDead.peer);
    return report(
      'label-missing',
      { rule: rule(firstDead.r), label, fix: fixFor(labelsText(firstDead.peer)) },
      { target, details },
    );
  }
  const admitted = listOf([...new Set(peers.map(({ peer }) => peerText(peer)))], 3);
  const [firstRule] = rules;
  const ruleText = firstRule ? rule(firstRule) : '';
  if (where) {
    const label = peers.map(({ peer }) => labelsText(peer)).find(Boolean) ?? '';
    return report(
      'prometheus-not-admitted',
      { promNs: listOf(promNs), rule: ruleText, admitted, fix: fixFor(label) },
      { target, details },
    );
  }
  return report('no-prometheus', { admitted, rule: ruleText }, { target, details });
}
