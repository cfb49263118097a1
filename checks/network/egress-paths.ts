import type { EgressView, EndpointResult } from '../../src/domain/egress.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const messages = {
  reachable: { status: 'pass', text: '{{endpoint}}: reachable from the doctor and from {{okPods}} runner pod(s)' },
  'doctor-only': {
    status: 'info',
    text: "{{endpoint}}: blocked from the doctor ({{stage}}) but reachable from every runner pod — the doctor's own network, not the runner's",
  },
  'some-pods': {
    status: 'fail',
    text: "{{endpoint}}: reachable from the doctor and {{okPods}} pod(s), blocked from {{blocked}} → those pods' node egress or placement (node pool security group, NAT of their subnet)",
    fix: 'compare the nodes of the blocked pods with the others: subnet, NAT and security group / NSG of that node pool',
  },
  'all-pods': {
    status: 'fail',
    text: "{{endpoint}}: reachable from the doctor, blocked from every runner pod ({{blocked}}) → the runner's NetworkPolicy or the nodes' egress (security group / NSG, NAT)",
    fix: "check network.policy for the runner's egress rules (53/UDP+TCP, 443/TCP), then the node pool's security group / NSG and the NAT of its subnet",
  },
  everywhere: {
    status: 'fail',
    text: '{{endpoint}}: blocked from the doctor and from {{blocked}} → upstream of both: the firewall or proxy allow-list, or DNS',
    fix: 'allow the endpoint on the corporate firewall / proxy, or fix its DNS; see network.egress for the stage that fails',
  },
  'pods-only': { status: 'warn', text: '{{endpoint}}: blocked from {{blocked}}' },
  'no-pod-views': {
    status: 'info',
    text: "no runner pod was tested from inside (none Running, or exec not allowed): only the doctor's view exists",
  },
  'no-targets': { status: 'info', text: 'no egress targets were tested (derived targets off and none given)' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

/** `tcp: refused`, or `ok`. */
const outcome = (r: EndpointResult) => (r.failedStage ? `${r.failedStage}: ${r[r.failedStage]?.error}` : 'ok');

export default defineCheck({
  id: 'network.egress-paths',
  title: "Egress compared: the doctor's view against each runner pod's",
  category: 'network',
  scope: 'cluster',
  docs: {
    what: "Puts the doctor's egress results and each runner pod's side by side, per endpoint, and draws the conclusion: reachable from the doctor but blocked from a pod points at the runner's NetworkPolicy or its node's egress; blocked everywhere points at the firewall, proxy or DNS upstream.",
    why: "The same failure has different owners depending on where it happens: a platform team's NetworkPolicy or node security group, or the corporate firewall and proxy.",
    fix: 'Fix the layer named in the conclusion, then re-run.',
  },
  needs: ['egressViews'],
  messages,
  judge({ egressViews: views }, ctx) {
    const doctor = views.find((v) => v.from === 'doctor');
    const pods = views.filter((v) => v.from !== 'doctor');
    if (!pods.length) return ctx.report('no-pod-views');
    const names = [...new Set(views.flatMap((v) => v.results.map((r) => r.target.name)))];
    if (!names.length) return ctx.report('no-targets');
    return names.map((name) => judgeEndpoint(name, doctor, pods, ctx));
  },
});

function judgeEndpoint(
  endpoint: string,
  doctor: EgressView | undefined,
  pods: readonly EgressView[],
  { report }: JudgeContext<Id>,
): Finding<Id> {
  const find = (v: EgressView) => v.results.find((r) => r.target.name === endpoint);
  const d = doctor ? find(doctor) : undefined;
  const tested = pods.map((p) => ({ from: p.from, r: find(p) }));
  const blocked = tested.flatMap(({ from, r }) => (r?.failedStage ? [`${from} (${outcome(r)})`] : []));
  const okPods = tested.filter(({ r }) => r && !r.failedStage).length;
  const views = Object.fromEntries([
    ...(d ? [['doctor', outcome(d)]] : []),
    ...tested.map(({ from, r }) => [from, r ? outcome(r) : 'not tested']),
  ]);
  const extra = { target: endpoint, details: { endpoint, views } };
  const list = blocked.join(', ');

  if (!blocked.length) {
    if (d?.failedStage) return report('doctor-only', { endpoint, stage: d.failedStage }, extra);
    return report('reachable', { endpoint, okPods }, extra);
  }
  if (!d) return report('pods-only', { endpoint, blocked: list }, extra);
  if (d.failedStage) return report('everywhere', { endpoint, blocked: list }, extra);
  if (okPods) return report('some-pods', { endpoint, okPods, blocked: list }, extra);
  return report('all-pods', { endpoint, blocked: list }, extra);
}
