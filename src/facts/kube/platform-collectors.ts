// Cluster facts about what surrounds the runner: the RoleBindings and ClusterRoleBindings that could
// grant its ServiceAccount rights (reduced to role and subjects as each page arrives), the cluster DNS
// Deployment in kube-system (by name), the mutating webhooks (names only: on EKS Fargate they inject
// the security agents), and the script runner's Deployment (picked from the runner namespaces' one
// Deployment LIST). RBAC declared for each.
import type { BindingInfo } from '../../domain/bindings.ts';
import { DNS_DEPLOYMENTS, DNS_NAMESPACE, DNS_SELECTOR, type DnsDeployment } from '../../domain/cluster-dns.ts';
import type { WebhookInfo } from '../../domain/fargate.ts';
import type { Deployment } from '../../domain/kube.ts';
import { SCRIPT_RUNNER_COMPONENT } from '../../domain/script-runner.ts';
import { clusterRule, collector, nsRule } from '../collector.ts';
import { KubeError } from './client.ts';
import {
  DEPLOYMENTS,
  hasLabel,
  kube,
  listInRunnerNamespaces,
  runnerNamespaceDeployments,
  withRule,
} from './collectors.ts';

interface RawBinding {
  metadata?: { name?: string; namespace?: string };
  roleRef?: { kind?: string; name?: string };
  subjects?: { kind?: string; name?: string; namespace?: string }[] | null;
}

function binding(b: RawBinding): BindingInfo {
  return {
    ...(b.metadata?.namespace ? { namespace: b.metadata.namespace } : {}),
    name: b.metadata?.name ?? '?',
    roleRef: { kind: b.roleRef?.kind ?? 'ClusterRole', name: b.roleRef?.name ?? '?' },
    subjects: (b.subjects ?? []).map((s) => ({
      kind: s.kind ?? '',
      name: s.name ?? '',
      ...(s.namespace ? { namespace: s.namespace } : {}),
    })),
  };
}

const ROLEBINDINGS = nsRule('rbac.authorization.k8s.io', 'rolebindings');
export const roleBindings = collector({
  name: 'roleBindings',
  scope: 'run',
  describe: 'the RoleBindings in the runner namespaces (role and subjects only)',
  rbac: [ROLEBINDINGS],
  usesWithoutNamespace: ['runnerPods'],
  collect: (ctx) => listInRunnerNamespaces<RawBinding, BindingInfo>(ctx, ROLEBINDINGS, 'v1', { reduce: binding }),
});

const CLUSTERROLEBINDINGS = clusterRule('rbac.authorization.k8s.io', 'clusterrolebindings');
export const clusterRoleBindings = collector({
  name: 'clusterRoleBindings',
  scope: 'run',
  describe: 'every ClusterRoleBinding (role and subjects only)',
  rbac: [CLUSTERROLEBINDINGS],
  collect: (ctx) =>
    withRule(CLUSTERROLEBINDINGS, undefined, () =>
      kube(ctx).client.list<RawBinding, BindingInfo>('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
        cached: true,
        reduce: binding,
      }),
    ),
});

// A GET by name, not a LIST: a ClusterRole to list Deployments everywhere would also stand in for the
// Role the runner's own Deployments are listed with (and a Role in kube-system is not in the manifest's model).
const DNS_DEPLOYMENT = clusterRule('apps', 'deployments', ['get']);
export const clusterDns = collector({
  name: 'clusterDns',
  scope: 'run',
  describe: `the cluster DNS Deployment (${DNS_NAMESPACE}/${DNS_DEPLOYMENTS.join(' or ')}, ${DNS_SELECTOR}) and how many of its replicas are ready`,
  rbac: [DNS_DEPLOYMENT],
  async collect(ctx) {
    for (const name of DNS_DEPLOYMENTS) {
      try {
        const d = await withRule(DNS_DEPLOYMENT, DNS_NAMESPACE, () =>
          kube(ctx).client.request<Deployment>(`/apis/apps/v1/namespaces/${DNS_NAMESPACE}/deployments/${name}`),
        );
        if (!hasLabel(d, DNS_SELECTOR)) continue;
        const out: DnsDeployment = {
          namespace: d.metadata?.namespace ?? DNS_NAMESPACE,
          name: d.metadata?.name ?? name,
          replicas: d.spec?.replicas ?? 1,
          ready: d.status?.readyReplicas ?? 0,
          available: d.status?.availableReplicas ?? 0,
        };
        return [out];
      } catch (e) {
        if (!(e instanceof KubeError && e.kind === 'not-found')) throw e;
      }
    }
    return [];
  },
});

const WEBHOOKS = clusterRule('admissionregistration.k8s.io', 'mutatingwebhookconfigurations');
export const mutatingWebhooks = collector({
  name: 'mutatingWebhooks',
  scope: 'run',
  describe:
    'the mutating webhook configurations (names only): on EKS Fargate they are how security agents reach the pods',
  rbac: [WEBHOOKS],
  collect(ctx) {
    return withRule(WEBHOOKS, undefined, () =>
      kube(ctx).client.list<{ metadata?: { name?: string }; webhooks?: { name?: string }[] }, WebhookInfo>(
        '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
        {
          reduce: (w) => ({
            name: w.metadata?.name ?? '?',
            webhooks: (w.webhooks ?? []).map((x) => x.name ?? '?'),
          }),
        },
      ),
    );
  },
});

export const scriptRunners = collector({
  name: 'scriptRunners',
  scope: 'run',
  describe: `the script runner Deployments in the runner namespaces (${SCRIPT_RUNNER_COMPONENT})`,
  rbac: [DEPLOYMENTS],
  usesWithoutNamespace: ['runnerPods'],
  collect: async (ctx) => (await runnerNamespaceDeployments(ctx)).filter((d) => hasLabel(d, SCRIPT_RUNNER_COMPONENT)),
});

export const clusterRegion = collector({
  name: 'clusterRegion',
  scope: 'run',
  describe:
    "the cloud region of a runner pod's node (topology.kubernetes.io/region): an ACR pull's data endpoint is there",
  rbac: [],
  uses: ['runnerPods', 'nodes'],
  // Best effort: without the nodes (or the pods) there is no region, and nothing that reads it fails.
  partial: true,
  async collect(ctx) {
    const [pods, nodes] = await Promise.all([ctx.get('runnerPods').catch(() => []), ctx.get('nodes').catch(() => [])]);
    for (const p of pods) {
      const n = nodes.find((x) => x.name === p.spec?.nodeName);
      const region = n?.labels['topology.kubernetes.io/region'];
      if (n && region) return { region, node: n.name };
    }
    return {};
  },
});

export const PLATFORM_COLLECTORS = [
  roleBindings,
  clusterRoleBindings,
  clusterDns,
  mutatingWebhooks,
  scriptRunners,
  clusterRegion,
] as const;
