import { type BindingInfo, bindingName, grantsTo } from '../../src/domain/bindings.ts';
import type { Pod, ServiceAccount } from '../../src/domain/kube.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, MessageDef } from '../../src/engine/types.ts';

const messages = {
  none: { status: 'pass', text: 'no RoleBinding or ClusterRoleBinding grants ServiceAccount {{sa}} anything' },
  exposed: {
    status: 'warn',
    text: 'ServiceAccount {{sa}} has its Kubernetes API token mounted in the runner pods ({{how}}) and is granted {{grants}}: any script the runner executes can use those rights',
    fix: "remove the bindings from the runner's ServiceAccount (give those rights to a ServiceAccount of their own), or stop mounting the token: automountServiceAccountToken: false (the chart sets it for AWS; Azure and GKE workload identity need the token, so move the rights instead)",
    command: 'kubectl get rolebindings,clusterrolebindings -A -o wide | grep {{saName}}',
  },
  'bound-no-token': {
    status: 'info',
    text: 'ServiceAccount {{sa}} is granted {{grants}}, but the runner pods do not mount its API token',
  },
  'no-pods': { status: 'info', text: 'no runner pods to examine' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

export default defineCheck({
  id: 'identity.token-exposure',
  title: "The runner's ServiceAccount token is not a key to cluster rights",
  category: 'identity',
  scope: 'cluster',
  tags: ['security'],
  docs: {
    what: "Finds RoleBindings (in the runner namespaces) and ClusterRoleBindings that grant the runner's ServiceAccount rights — by name or through the system:serviceaccounts groups, the cluster's own system: bindings aside — and whether the runner pods mount its API token (automountServiceAccountToken, or a projected token without a cloud audience).",
    why: 'The runner executes user scripts. With the token mounted, whatever the ServiceAccount may do in the cluster, those scripts may do too.',
    fix: "Keep the runner's ServiceAccount without bindings, or do not mount its token (automountServiceAccountToken: false where the cloud identity does not need it).",
  },
  needs: ['runnerPods', 'serviceAccounts', 'roleBindings', 'clusterRoleBindings'],
  requires: ['workload.runner-pods'],
  messages,
  judge({ runnerPods, serviceAccounts, roleBindings, clusterRoleBindings }, { report }) {
    if (runnerPods.length === 0) return report('no-pods');
    const bySa = new Map<string, Pod[]>();
    for (const p of runnerPods) {
      const key = `${p.metadata?.namespace ?? 'default'}/${p.spec?.serviceAccountName ?? 'default'}`;
      bySa.set(key, [...(bySa.get(key) ?? []), p]);
    }
    const out: Finding<Id>[] = [];
    for (const [sa, pods] of bySa) {
      const [ns = 'default', name = 'default'] = sa.split('/');
      const account = serviceAccounts.find((s) => s.metadata?.namespace === ns && s.metadata?.name === name);
      const grants = [
        ...roleBindings.filter((b) => b.namespace === ns && grantsTo(b, ns, name)),
        ...clusterRoleBindings.filter((b) => grantsTo(b, ns, name)),
      ];
      const target = sa;
      if (grants.length === 0) {
        out.push(report('none', { sa }, { target }));
        continue;
      }
      const how = pods.map((p) => apiTokenMount(p, account)).find((h) => h !== undefined);
      const vars = { sa, saName: name, grants: grants.map(bindingName).join(', ') };
      const details = { bindings: grants.map((b: BindingInfo) => bindingName(b)), tokenMount: how ?? null };
      out.push(
        how
          ? report('exposed', { ...vars, how }, { target, details })
          : report('bound-no-token', vars, { target, details }),
      );
    }
    return out;
  },
});

/** How a pod gets a token the API server accepts: the automounted one, or a projected one without another audience. */
function apiTokenMount(p: Pod, sa: ServiceAccount | undefined): string | undefined {
  const automount = p.spec?.automountServiceAccountToken ?? sa?.automountServiceAccountToken ?? true;
  if (automount) return 'automountServiceAccountToken';
  const projected = (p.spec?.volumes ?? []).find((v) =>
    (v.projected?.sources ?? []).some((s) => s.serviceAccountToken && !s.serviceAccountToken.audience),
  );
  return projected ? `projected volume ${projected.name}` : undefined;
}
