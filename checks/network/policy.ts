import { defineCheck, fail, pass, warn } from '../../src/engine/define.ts';
import type { Outcome } from '../../src/engine/types.ts';
import { egressVerdict, ingressVerdict, policiesFor } from '../../src/facts/kube/netpol.ts';
import { podName, runnerContainer } from '../../src/facts/kube/runner.ts';

export default defineCheck({
  id: 'network.policy',
  title: 'NetworkPolicies allow DNS, HTTPS egress and the metrics scrape',
  category: 'network',
  scope: 'cluster',
  severity: 'fail',
  docs: {
    what: 'Evaluates every NetworkPolicy that selects each runner pod (their union; a policy with no rules is a default deny) and says whether DNS (53/UDP and 53/TCP), HTTPS egress (443/TCP to outside the cluster) and ingress to the metrics port 8080 are allowed — by the policies\' semantics, not by text search.',
    why: 'Without DNS and 443 egress the runner cannot reach its control plane; without ingress on 8080 Prometheus cannot scrape it and the HPA cannot scale.',
    fix: 'Add egress rules for 53/UDP+TCP and 443/TCP (to 0.0.0.0/0 or the vendor\'s addresses) and an ingress rule for 8080 from the monitoring namespace (the chart\'s NetworkPolicy has them).',
  },
  needs: ['kube'],
  requires: ['workload.runner-pods'],
  async run({ fact }) {
    const snap = await fact('kube');
    const [pods, policies] = await Promise.all([snap.runnerPods(), snap.networkPolicies()]);
    const seen = new Map<string, Outcome>();
    const out: Outcome[] = [];
    for (const p of pods) {
      const selecting = policiesFor(p, policies);
      const key = `${p.metadata?.namespace}:${selecting.map((x) => x.metadata?.name).sort().join(',')}`;
      if (seen.has(key)) continue; // pods selected by the same policies get the same answer
      const target = selecting.length ? `${p.metadata?.namespace}: ${selecting.map((x) => x.metadata?.name).join(', ')}` : podName(p);
      const names = (runnerContainer(p)?.ports ?? []).filter((x) => x.containerPort === 8080 && x.name).map((x) => x.name!);
      const dnsUdp = egressVerdict(selecting, 53, 'UDP');
      const dnsTcp = egressVerdict(selecting, 53, 'TCP');
      const https = egressVerdict(selecting, 443, 'TCP');
      const scrape = ingressVerdict(selecting, 8080, names);
      const details = { policies: selecting.map((x) => x.metadata?.name), dnsUdp, dnsTcp, https443: https, metrics8080: scrape };
      const blocked: string[] = [];
      if (dnsUdp.allowed === 'none') blocked.push('DNS 53/UDP');
      if (dnsTcp.allowed === 'none') blocked.push('DNS 53/TCP');
      if (https.allowed === 'none') blocked.push('HTTPS 443/TCP');
      let o: Outcome;
      if (selecting.length === 0) o = pass('no NetworkPolicy selects the runner pods: all egress and ingress allowed', { target, details });
      else if (blocked.length) o = fail(`${selecting.map((x) => x.metadata?.name).join(', ')} block${selecting.length === 1 ? 's' : ''} egress: ${blocked.join(', ')}`, { target, details, remediation: 'add egress rules allowing 53/UDP, 53/TCP and 443/TCP (the chart\'s NetworkPolicy has them); without them the runner cannot resolve or reach its control plane' });
      else if (https.allowed === 'cluster') o = warn('HTTPS 443 egress is allowed only to in-cluster peers or specific ranges: make sure the vendor control plane and cloud endpoints are among them', { target, details });
      else if (scrape.allowed === 'none') o = warn('ingress to the metrics port 8080 is blocked: Prometheus cannot scrape the runner and the HPA cannot scale', { target, details, remediation: 'allow ingress on 8080 from the monitoring namespace (label it name=monitoring for the chart\'s rule)' });
      else o = pass(`DNS and HTTPS egress allowed${scrape.isolated ? `, 8080 ingress allowed (${scrape.allowed === 'anywhere' ? 'from anywhere' : 'from selected peers'})` : ''} by ${selecting.map((x) => x.metadata?.name).join(', ')}`, { target, details });
      seen.set(key, o);
      out.push(o);
    }
    return out.length ? out : [pass('no runner pods to evaluate')];
  },
});
