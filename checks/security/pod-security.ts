import { defineCheck, info, pass, warn, fail } from '../../src/engine/define.ts';
import type { Outcome } from '../../src/engine/types.ts';

const LABEL = 'pod-security.kubernetes.io/';

export default defineCheck({
  id: 'security.pod-security',
  title: 'Pod Security admission: namespace labels and what baseline/restricted say about the runner',
  category: 'security',
  scope: 'cluster',
  severity: 'warn',
  tags: ['hardening'],
  docs: {
    what: 'Reads the pod-security.kubernetes.io labels of the runner namespace, then asks the API server itself what the baseline and restricted levels would say about the pods there: a server-side dry-run of labelling the namespace (nothing changes) returns the violations as warnings.',
    why: 'The chart renders an empty container securityContext, which restricted rejects: enforcing restricted on the namespace stops new runner pods from being created.',
    fix: 'Either harden the runner pod (runAsNonRoot, allowPrivilegeEscalation: false, capabilities drop ALL, seccompProfile RuntimeDefault) or enforce baseline on the namespace.',
  },
  needs: ['kube'],
  async run({ fact }) {
    const snap = await fact('kube');
    const nss = await snap.namespaceObjects();
    const out: Outcome[] = [];
    for (const ns of nss) {
      const name = ns.metadata?.name ?? '';
      const labels = Object.fromEntries(Object.entries(ns.metadata?.labels ?? {}).filter(([k]) => k.startsWith(LABEL)).map(([k, v]) => [k.slice(LABEL.length), v]));
      const [baseline, restricted] = await Promise.all((['baseline', 'restricted'] as const).map((l) => snap.podSecurityDryRun(name, l).catch((e: Error) => [`(could not ask: ${e.message})`])));
      const details = { labels, baseline, restricted };
      const target = `namespace/${name}`;
      const violates = (w: string[]) => w.some((x) => /violate/.test(x));
      if (labels.enforce === 'restricted' && violates(restricted!)) out.push(fail(`namespace ${name} enforces restricted and the runner pods violate it: new runner pods will be rejected`, { target, details, remediation: 'harden the runner pod securityContext (see security.* checks) or set pod-security.kubernetes.io/enforce=baseline on the namespace' }));
      else if (labels.enforce === 'restricted') out.push(warn(`namespace ${name} enforces restricted: the chart's default pod spec is rejected there unless hardened`, { target, details }));
      else if (violates(baseline!)) out.push(warn(`the runner pods in ${name} violate even the baseline level: ${baseline!.join(' ').slice(0, 300)}`, { target, details }));
      else if (violates(restricted!)) out.push(info(`namespace ${name} enforces ${labels.enforce ?? 'nothing'}; restricted would reject the runner pods: ${restricted!.filter((w) => !/existing pods/.test(w)).join('; ').slice(0, 400) || restricted!.join(' ').slice(0, 400)}`, { target, details }));
      else out.push(pass(`namespace ${name} enforces ${labels.enforce ?? 'nothing'}; the runner pods satisfy baseline and restricted`, { target, details }));
    }
    return out.length ? out : [info('no runner namespace to examine')];
  },
});
