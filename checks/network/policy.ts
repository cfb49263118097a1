import { METRICS_PORT } from '../../src/domain/chart.ts';
import type { NetworkPolicy, Pod } from '../../src/domain/kube.ts';
import { egressVerdict, ingressVerdict, policiesFor } from '../../src/domain/netpol.ts';
import { podName, runnerContainer } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const messages = {
  allowed: { status: 'pass', text: 'DNS and HTTPS egress allowed{{ingress}} by {{policies}}' },
  'no-policy': { status: 'pass', text: 'no NetworkPolicy selects the runner pods: all egress and ingress allowed' },
  'egress-blocked': {
    status: 'fail',
    text: '{{policies}} block{{s}} egress: {{blocked}}',
    fix: "add egress rules allowing 53/UDP, 53/TCP and 443/TCP (the chart's NetworkPolicy has them); without them the runner cannot resolve or reach its control plane",
  },
  'https-cluster-only': {
    status: 'warn',
    text: 'HTTPS 443 egress is allowed only to in-cluster peers or specific ranges: make sure the vendor control plane and cloud endpoints are among them',
  },
  'scrape-blocked': {
    status: 'warn',
    text: `ingress to the metrics port ${METRICS_PORT} is blocked: Prometheus cannot scrape the runner and the HPA cannot scale`,
    fix: `allow ingress on ${METRICS_PORT} from the monitoring namespace (label it name=monitoring for the chart's rule)`,
  },
  'no-pods': { status: 'pass', text: 'no runner pods to evaluate' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

export default defineCheck({
  id: 'network.policy',
  title: 'NetworkPolicies allow DNS, HTTPS egress and the metrics scrape',
  category: 'network',
  scope: 'cluster',
  docs: {
    what: "Evaluates every NetworkPolicy that selects each runner pod (their union; a policy with no rules is a default deny) and says whether DNS (53/UDP and 53/TCP), HTTPS egress (443/TCP to outside the cluster) and ingress to the metrics port 8080 are allowed — by the policies' semantics, not by text search.",
    why: 'Without DNS and 443 egress the runner cannot reach its control plane; without ingress on 8080 Prometheus cannot scrape it and the HPA cannot scale.',
    fix: "Add egress rules for 53/UDP+TCP and 443/TCP (to 0.0.0.0/0 or the vendor's addresses) and an ingress rule for 8080 from the monitoring namespace (the chart's NetworkPolicy has them).",
  },
  needs: ['runnerPods', 'networkPolicies'],
  requires: ['workload.runner-pods'],
  messages,
  judge({ runnerPods, networkPolicies }, ctx) {
    // Pods selected by the same policies get the same answer: one finding per namespace and policy set.
    const seen = new Set<string>();
    const out: Finding<Id>[] = [];
    for (const p of runnerPods) {
      const selecting = policiesFor(p, networkPolicies);
      const key = `${p.metadata?.namespace}:${selecting
        .map((x) => x.metadata?.name)
        .sort()
        .join(',')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(judgePod(p, selecting, ctx));
    }
    return out.length ? out : ctx.report('no-pods');
  },
});

function judgePod(p: Pod, selecting: NetworkPolicy[], { report }: JudgeContext<Id>): Finding<Id> {
  const names = selecting.map((x) => x.metadata?.name ?? '?');
  const policies = names.join(', ');
  const target = selecting.length ? `${p.metadata?.namespace}: ${policies}` : podName(p);
  const portNames = (runnerContainer(p)?.ports ?? []).flatMap((x) =>
    x.containerPort === METRICS_PORT && x.name ? [x.name] : [],
  );
  const dnsUdp = egressVerdict(selecting, 53, 'UDP');
  const dnsTcp = egressVerdict(selecting, 53, 'TCP');
  const https = egressVerdict(selecting, 443, 'TCP');
  const scrape = ingressVerdict(selecting, METRICS_PORT, portNames);
  const extra = { target, details: { policies: names, dnsUdp, dnsTcp, https443: https, metrics8080: scrape } };

  const blocked: string[] = [];
  if (dnsUdp.allowed === 'none') blocked.push('DNS 53/UDP');
  if (dnsTcp.allowed === 'none') blocked.push('DNS 53/TCP');
  if (https.allowed === 'none') blocked.push('HTTPS 443/TCP');

  if (selecting.length === 0) return report('no-policy', {}, extra);
  if (blocked.length)
    return report(
      'egress-blocked',
      { policies, s: selecting.length === 1 ? 's' : '', blocked: blocked.join(', ') },
      extra,
    );
  if (https.allowed === 'cluster') return report('https-cluster-only', {}, extra);
  if (scrape.allowed === 'none') return report('scrape-blocked', {}, extra);
  const ingress = scrape.isolated
    ? `, ${METRICS_PORT} ingress allowed (${scrape.allowed === 'anywhere' ? 'from anywhere' : 'from selected peers'})`
    : '';
  return report('allowed', { ingress, policies }, extra);
}
