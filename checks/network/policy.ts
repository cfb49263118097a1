import { HELM_VALUE, METRICS_PORT } from '../../src/domain/chart.ts';
import { listOf } from '../../src/domain/format.ts';
import type { NetworkPolicy, Pod } from '../../src/domain/kube.ts';
import { egressVerdict, ingressVerdict, byPolicySet } from '../../src/domain/netpol.ts';
import { egressRules, peersReach, peersText, ruleName } from '../../src/domain/netpol-rules.ts';
import { literalEnv, podName, runnerContainer } from '../../src/domain/runner.ts';
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
  'https-public-blocked': {
    status: 'fail',
    text: 'HTTPS 443 egress is allowed only to private or in-cluster destinations ({{where}}): the public endpoints the runner needs — the vendor control plane (keycloak.core.matillion.com, api.matillion.com), the cloud APIs and the image registry — are blocked',
    fix: `add to {{policy}} an egress rule for 443 to any destination — \`- ports: [{protocol: TCP, port: 443}]\` with no \`to\`, as the chart renders it — or \`to: [{ipBlock: {cidr: 0.0.0.0/0, except: [<ranges to keep closed>]}}]\`; if the runner must go out through a proxy, set ${HELM_VALUE.PROXY_HTTPS} and allow the proxy instead`,
  },
  'https-ranges-only': {
    status: 'warn',
    text: 'HTTPS 443 egress is allowed only to {{where}}: the vendor control plane, the cloud APIs and the registry must all stay inside those public ranges, and their addresses change without notice',
    fix: 'allow 443 to any destination (an egress rule with ports [{protocol: TCP, port: 443}] and no `to`, as the chart renders it), or keep the ranges in step with the endpoints’ published addresses; network.egress shows which endpoints the pods reach',
  },
  'https-via-proxy': {
    status: 'info',
    text: 'HTTPS 443 egress is allowed only to private or in-cluster destinations ({{where}}); the runner goes out through its proxy PROXY_HTTPS={{proxy}}, so the public endpoints are reached through it',
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
    what: "Evaluates every NetworkPolicy that selects each runner pod (their union; a policy with no rules is a default deny) and says whether DNS (53/UDP and 53/TCP), HTTPS egress (443/TCP to outside the cluster) and ingress to the metrics port 8080 are allowed — by the policies' semantics, not by text search. HTTPS allowed only to private ranges or in-cluster peers means the public endpoints are blocked: the finding names the policy and rule and the rule to add (unless the runner goes out through its proxy).",
    why: 'Without DNS and 443 egress the runner cannot reach its control plane; without ingress on 8080 Prometheus cannot scrape it and the HPA cannot scale.',
    fix: "Add egress rules for 53/UDP+TCP and 443/TCP (to 0.0.0.0/0 or the vendor's addresses) and an ingress rule for 8080 from the monitoring namespace (the chart's NetworkPolicy has them).",
  },
  needs: ['runnerPods', 'networkPolicies'],
  requires: ['workload.runner-pods'],
  messages,
  judge({ runnerPods, networkPolicies }, ctx) {
    // Pods selected by the same policies get the same answer: one finding per namespace and policy set.
    const out = byPolicySet(runnerPods, networkPolicies).map(({ pod, selecting }) => judgePod(pod, selecting, ctx));
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
  if (https.allowed === 'cluster') return judgeHttpsReach(p, selecting, extra, report);
  if (scrape.allowed === 'none') return report('scrape-blocked', {}, extra);
  const ingress = scrape.isolated
    ? `, ${METRICS_PORT} ingress allowed (${scrape.allowed === 'anywhere' ? 'from anywhere' : 'from selected peers'})`
    : '';
  return report('allowed', { ingress, policies }, extra);
}

/** HTTPS allowed, but not to anywhere: to public ranges (hedged), through the proxy (fine), or only privately (blocked). */
function judgeHttpsReach(
  p: Pod,
  selecting: NetworkPolicy[],
  extra: { target: string; details: Record<string, unknown> },
  report: JudgeContext<Id>['report'],
): Finding<Id> {
  const rules = egressRules(selecting, 443, 'TCP').filter((r) => r.peers?.length);
  const where = listOf(
    rules.map((r) => `${ruleName(r)} to ${peersText(r.peers)}`),
    4,
  );
  const details = {
    ...extra.details,
    https443Rules: rules.map((r) => ({ rule: ruleName(r), reach: peersReach(r.peers) })),
  };
  if (rules.some((r) => peersReach(r.peers) !== 'private'))
    return report('https-ranges-only', { where }, { ...extra, details });
  const proxy = literalEnv(p).get('PROXY_HTTPS')?.trim();
  if (proxy) return report('https-via-proxy', { where, proxy }, { ...extra, details });
  const policy = rules[0]?.policy ?? selecting[0]?.metadata?.name ?? 'the runner’s NetworkPolicy';
  return report('https-public-blocked', { where, policy }, { ...extra, details });
}
