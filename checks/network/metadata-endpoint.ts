import { listOf } from '../../src/domain/format.ts';
import type { NetworkPolicy, Pod } from '../../src/domain/kube.ts';
import { byPolicySet } from '../../src/domain/netpol.ts';
import { egressToAddress, METADATA_IP, METADATA_PORT, peersText, ruleName } from '../../src/domain/netpol-rules.ts';
import { podName } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const messages = {
  closed: {
    status: 'pass',
    text: `egress to the cloud metadata endpoint ${METADATA_IP}:${METADATA_PORT} is not allowed by {{policies}}`,
  },
  open: {
    status: 'warn',
    text: `{{rules}} allow{{s}} TCP ${METADATA_PORT} to addresses that include the cloud metadata endpoint ${METADATA_IP}: a process in the runner pod can read the node's instance metadata and its credentials{{union}}`,
    fix: `if nothing the runner talks to needs plain HTTP, set allowHttp: false in the chart's NetworkPolicy values; if a warehouse does (Snowflake's certificate checks use port 80), write that rule as \`to: [{ipBlock: {cidr: 0.0.0.0/0, except: [${METADATA_IP}/32]}}]\` — the except must be in the same rule, because policies and their rules are a union: an except anywhere else cannot take it away`,
  },
  'not-restricted': {
    status: 'pass',
    text: `no NetworkPolicy restricts the runner's egress (see network.policy): ${METADATA_IP} is as reachable as any other address`,
  },
  'no-pods': { status: 'pass', text: 'no runner pods to evaluate' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

export default defineCheck({
  id: 'network.metadata-endpoint',
  title: 'NetworkPolicies keep the runner away from the cloud metadata endpoint',
  category: 'network',
  scope: 'cluster',
  docs: {
    what: `Evaluates the union of the NetworkPolicies selecting each runner pod for egress to ${METADATA_IP}:${METADATA_PORT} (the AWS, Azure and GCP instance metadata service): a rule that opens port ${METADATA_PORT} to any address — the chart's allowHttp: true — opens it too, and an except in another rule or policy does not close it.`,
    why: "The metadata endpoint hands out the node's identity and credentials; with workload identity the runner never needs it, so a policy that opens it gives a compromised task the node's role for nothing.",
    fix: `Set allowHttp: false, or give the port-${METADATA_PORT} rule an except for ${METADATA_IP}/32 in that same rule.`,
  },
  needs: ['runnerPods', 'networkPolicies'],
  messages,
  judge({ runnerPods, networkPolicies }, ctx) {
    // Pods selected by the same policies get the same answer: one finding per namespace and policy set.
    const out = byPolicySet(runnerPods, networkPolicies).map(({ pod, selecting }) => judgePod(pod, selecting, ctx));
    return out.length ? out : ctx.report('no-pods');
  },
});

function judgePod(p: Pod, selecting: NetworkPolicy[], { report }: JudgeContext<Id>): Finding<Id> {
  const policies = listOf(selecting.map((x) => x.metadata?.name ?? '?'));
  const target = selecting.length ? `${p.metadata?.namespace}: ${policies}` : podName(p);
  const v = egressToAddress(selecting, METADATA_IP, METADATA_PORT, 'TCP');
  const details = {
    allowing: v.allowing.map(ruleName),
    excepting: v.excepting.map(ruleName),
  };
  if (!v.isolated) return report('not-restricted', {}, { target, details });
  if (!v.allowed) return report('closed', { policies }, { target, details });
  const rules = listOf(
    v.allowing.map((r) => `${ruleName(r)} (to ${peersText(r.peers)})`),
    3,
  );
  const elsewhere = v.excepting.filter((e) => !v.allowing.some((a) => ruleName(a) === ruleName(e)));
  const union = elsewhere.length
    ? ` — the except for ${METADATA_IP} in ${listOf(elsewhere.map(ruleName), 3)} does not close it: policies and their rules are a union, so any rule that allows the address lets it through`
    : '';
  return report('open', { rules, s: v.allowing.length === 1 ? 's' : '', union }, { target, details });
}
