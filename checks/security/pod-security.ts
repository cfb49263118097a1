import { defineCheck } from '../../src/engine/define.ts';
import type { PodSecurityVerdict } from '../../src/engine/facts.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const messages = {
  satisfied: {
    status: 'pass',
    text: 'namespace {{namespace}} enforces {{enforce}}; the runner pods satisfy baseline and restricted',
  },
  'restricted-would-reject': {
    status: 'info',
    text: 'namespace {{namespace}} enforces {{enforce}}; restricted would reject the runner pods: {{warnings}}',
  },
  'violates-baseline': {
    status: 'warn',
    text: 'the runner pods in {{namespace}} violate even the baseline level: {{warnings}}',
  },
  'enforces-restricted': {
    status: 'warn',
    text: "namespace {{namespace}} enforces restricted: the chart's default pod spec is rejected there unless hardened",
  },
  rejected: {
    status: 'fail',
    text: 'namespace {{namespace}} enforces restricted and the runner pods violate it: new runner pods will be rejected',
    fix: 'harden the runner pod securityContext (see security.* checks) or set pod-security.kubernetes.io/enforce=baseline on the namespace',
  },
  'no-namespace': { status: 'info', text: 'no runner namespace to examine' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

/** The dry-run's warnings name violations (`existing pods in namespace "m" violate …`, then one per pod). */
const violates = (warnings: readonly string[]) => warnings.some((w) => /violate/.test(w));

export default defineCheck({
  id: 'security.pod-security',
  title: 'Pod Security admission: namespace labels and what baseline/restricted say about the runner',
  category: 'security',
  scope: 'cluster',
  tags: ['hardening'],
  docs: {
    what: 'Reads the pod-security.kubernetes.io labels of the runner namespace, then asks the API server itself what the baseline and restricted levels would say about the pods there: a server-side dry-run of labelling the namespace (nothing changes) returns the violations as warnings.',
    why: 'The chart renders an empty container securityContext, which restricted rejects: enforcing restricted on the namespace stops new runner pods from being created.',
    fix: 'Either harden the runner pod (runAsNonRoot, allowPrivilegeEscalation: false, capabilities drop ALL, seccompProfile RuntimeDefault) or enforce baseline on the namespace.',
  },
  needs: ['podSecurity'],
  messages,
  judge({ podSecurity }, ctx) {
    if (podSecurity.length === 0) return ctx.report('no-namespace');
    return podSecurity.map((v) => judgeNamespace(v, ctx));
  },
});

function judgeNamespace(v: PodSecurityVerdict, { report }: JudgeContext<Id>): Finding<Id> {
  const { namespace, labels, baseline, restricted } = v;
  const extra = { target: `namespace/${namespace}`, details: { labels, baseline, restricted } };
  const enforce = labels.enforce ?? 'nothing';
  if (labels.enforce === 'restricted')
    return report(violates(restricted) ? 'rejected' : 'enforces-restricted', { namespace }, extra);
  if (violates(baseline))
    return report('violates-baseline', { namespace, warnings: baseline.join(' ').slice(0, 300) }, extra);
  if (violates(restricted)) {
    // The per-pod warnings say what to change; the summary line only that there are some.
    const warnings =
      restricted
        .filter((w) => !/existing pods/.test(w))
        .join('; ')
        .slice(0, 400) || restricted.join(' ').slice(0, 400);
    return report('restricted-would-reject', { namespace, enforce, warnings }, extra);
  }
  return report('satisfied', { namespace, enforce }, extra);
}
