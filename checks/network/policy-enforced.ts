import { listOf } from '../../src/domain/format.ts';
import type { NetworkPolicy } from '../../src/domain/kube.ts';
import { policiesFor } from '../../src/domain/netpol.ts';
import { enableEngineHint } from '../../src/domain/policy-engines.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { MessageDef } from '../../src/engine/types.ts';

const messages = {
  enforced: {
    status: 'pass',
    text: '{{engine}} ({{daemonSet}}) enforces the NetworkPolicies that select the runner pods ({{policies}})',
  },
  'not-enforced': {
    status: 'warn',
    text: 'the NetworkPolicies {{policies}} select the runner pods, but {{why}}: they are declared, not enforced — nothing they allow or deny applies to the runner’s traffic',
    fix: '{{fix}}; the verdicts of network.policy apply once policies are enforced',
  },
  fargate: {
    status: 'warn',
    text: 'the NetworkPolicies {{policies}} select runner pods on EKS Fargate ({{pods}}), where NetworkPolicies are never enforced',
    fix: 'if the runner relies on them, run it on EC2 nodes with the VPC CNI network policy agent (or Calico); on Fargate, restrict traffic with security groups for pods',
  },
  'auto-mode': {
    status: 'info',
    text: 'the runner pods run on EKS Auto Mode nodes ({{nodes}}), whose network policy support is built in and not visible to the API: the NetworkPolicies {{policies}} are enforced only if the NodeClass and the amazon-vpc-cni ConfigMap enable it',
    fix: 'check `kubectl get nodeclass -o yaml` (networkPolicy) and `kubectl -n kube-system get configmap amazon-vpc-cni -o yaml` (enable-network-policy-controller: "true")',
  },
  'no-policies': { status: 'pass', text: 'no NetworkPolicy selects the runner pods: nothing to enforce' },
} satisfies Record<string, MessageDef>;

export default defineCheck({
  id: 'network.policy-enforced',
  title: 'NetworkPolicies that select the runner are enforced by a policy engine',
  category: 'network',
  scope: 'cluster',
  docs: {
    what: 'Looks for what enforces NetworkPolicies, from what runs in the cluster: Calico (calico-node), Cilium, Antrea, kube-router, Azure Network Policy Manager (azure-npm), Weave Net, the AWS VPC CNI network policy agent (aws-node with aws-eks-nodeagent --enable-network-policy=true) or GKE Dataplane V2 (anetd); EKS Fargate pods are never covered.',
    why: "The API server stores any NetworkPolicy, but only a network plugin that implements them makes them real. The clusters the vendor's own Terraform builds enable none (AKS without network_policy, GKE without Dataplane V2 or Calico, EKS without the VPC CNI agent, Fargate): the runner's policies exist and do nothing.",
    fix: 'Enable a policy engine for the platform: AKS --network-policy azure|calico|cilium; EKS the vpc-cni add-on enableNetworkPolicy (or Calico); GKE --enable-network-policy or Dataplane V2.',
  },
  needs: ['runnerPods', 'networkPolicies', 'policyEngine'],
  messages,
  judge({ runnerPods, networkPolicies, policyEngine }, { report }) {
    const selecting = new Map<string, NetworkPolicy>();
    for (const p of runnerPods)
      for (const np of policiesFor(p, networkPolicies))
        selecting.set(`${np.metadata?.namespace}/${np.metadata?.name}`, np);
    if (selecting.size === 0) return report('no-policies');
    const policies = listOf([...selecting.keys()], 4);
    const details = { policies: [...selecting.keys()], engine: policyEngine };
    const fargate = new Set(policyEngine.fargateNodes);
    const onFargate = runnerPods.filter((p) => p.spec?.nodeName && fargate.has(p.spec.nodeName));
    if (onFargate.length)
      return report(
        'fargate',
        {
          policies,
          pods: listOf(
            onFargate.map((p) => p.metadata?.name ?? '?'),
            3,
          ),
        },
        { details },
      );
    const [engine] = policyEngine.engines;
    if (engine) return report('enforced', { engine: engine.name, daemonSet: engine.daemonSet, policies }, { details });
    const auto = new Set(policyEngine.autoModeNodes);
    const onAuto = [
      ...new Set(runnerPods.flatMap((p) => (p.spec?.nodeName && auto.has(p.spec.nodeName) ? [p.spec.nodeName] : []))),
    ];
    if (onAuto.length) return report('auto-mode', { policies, nodes: listOf(onAuto, 3) }, { details });
    const inactive = policyEngine.inactive;
    const why = inactive.length
      ? `${listOf(
          inactive.map((e) => `${e.name} (${e.daemonSet}) is not enforcing: ${e.why}`),
          3,
        )}`
      : 'no policy engine runs in the cluster (no Calico, Cilium, Antrea, kube-router, Azure NPM, Weave, VPC CNI network policy agent or Dataplane V2)';
    const awsAgentOff = inactive.some((e) => e.kind === 'aws-vpc-cni');
    const fix = awsAgentOff ? enableEngineHint('EKS') : enableEngineHint(policyEngine.platform);
    return report('not-enforced', { policies, why, fix }, { details });
  },
});
