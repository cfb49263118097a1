import { fieldFixes, HOW_TO_PATCH, parseDryRun } from '../../src/domain/pod-security-fix.ts';
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
    fix: 'to run under restricted: {{fixes}}; {{how}}',
  },
  'violates-baseline': {
    status: 'warn',
    text: 'the runner pods in {{namespace}} violate even the baseline level: {{warnings}}',
    fix: '{{fixes}}; {{how}}',
  },
  'enforces-restricted': {
    status: 'pass',
    text: 'namespace {{namespace}} enforces restricted and the runner pods satisfy it',
  },
  rejected: {
    status: 'fail',
    text: 'namespace {{namespace}} enforces restricted and the runner pods violate it: new runner pods will be rejected — {{violations}}',
    fix: '{{fixes}}; {{how}}{{relax}}',
  },
  'baseline-rejected': {
    status: 'fail',
    text: 'namespace {{namespace}} enforces baseline and the running runner pods violate it: recreated (a rollout, an eviction, a node drain) they will be rejected — {{violations}}',
    fix: '{{fixes}}; {{how}}',
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
    fix: "Change the fields each violation names in the runner's pod template (allowPrivilegeEscalation: false, capabilities drop ALL, runAsNonRoot, seccompProfile RuntimeDefault; no privileged, host namespaces or hostPath). The chart renders an empty container securityContext: add them with a Helm post-renderer or a kustomize patch.",
  },
  needs: ['podSecurity'],
  messages,
  judge({ podSecurity }, ctx) {
    if (podSecurity.length === 0) return ctx.report('no-namespace');
    return podSecurity.map((v) => judgeNamespace(v, ctx));
  },
});

/** What the dry-run's violations ask to change, and the violations themselves, for a message. */
function remedy(warnings: readonly string[]) {
  const parsed = parseDryRun(warnings);
  const fixes = parsed ? fieldFixes(parsed) : [];
  return {
    fixes: fixes.join('; ') || 'change what the violations name',
    how: HOW_TO_PATCH,
    violations:
      (parsed?.groups ?? []).map((g) => `${g.pods}: ${g.reasons.join(', ')}`).join('; ') || warnings.join(' '),
  };
}

function judgeNamespace(v: PodSecurityVerdict, { report }: JudgeContext<Id>): Finding<Id> {
  const { namespace, labels, baseline, restricted } = v;
  const extra = { target: `namespace/${namespace}`, details: { labels, baseline, restricted } };
  const enforce = labels.enforce ?? 'nothing';
  // Running pods that violate the enforced level are rejected when recreated; never propose the level enforced.
  if (labels.enforce === 'restricted') {
    if (!violates(restricted)) return report('enforces-restricted', { namespace }, extra);
    const relax = violates(baseline)
      ? ''
      : '; or, if the runner cannot be hardened, enforce baseline on the namespace instead (the running pods satisfy it)';
    return report('rejected', { namespace, ...remedy(restricted), relax }, extra);
  }
  if (labels.enforce === 'baseline' && violates(baseline))
    return report('baseline-rejected', { namespace, ...remedy(baseline) }, extra);
  if (violates(baseline))
    return report(
      'violates-baseline',
      { namespace, warnings: baseline.join(' ').slice(0, 300), ...remedy(baseline) },
      extra,
    );
  if (violates(restricted)) {
    // The per-pod warnings say what to change; the summary line only that there are some.
    const warnings =
      restricted
        .filter((w) => !/existing pods/.test(w))
        .join('; ')
        .slice(0, 400) || restricted.join(' ').slice(0, 400);
    return report('restricted-would-reject', { namespace, enforce, warnings, ...remedy(restricted) }, extra);
  }
  return report('satisfied', { namespace, enforce }, extra);
}
