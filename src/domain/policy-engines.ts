// Whether anything enforces NetworkPolicies (domain.md §9): the API server stores any NetworkPolicy, but
// only a network plugin that implements them makes them real — Calico, Cilium, Antrea, kube-router, Azure
// Network Policy Manager, Weave Net, the AWS VPC CNI's network policy agent (when enabled), GKE Dataplane
// V2 (anetd). Detected from the DaemonSets that run them; the vendor's own Terraform clusters run none.
import { isFargate } from './fargate.ts';
import type { DaemonSetInfo, NodeInfo } from './kube.ts';
import { managedPlatform } from './scheduling.ts';

export type EngineKind =
  | 'calico'
  | 'cilium'
  | 'antrea'
  | 'kube-router'
  | 'azure-npm'
  | 'weave'
  | 'aws-vpc-cni'
  | 'gke-dataplane-v2';

export interface EngineFound {
  kind: EngineKind;
  /** Product name for messages. */
  name: string;
  /** `namespace/name` of the DaemonSet. */
  daemonSet: string;
  ready: number;
}

/** What runs in the cluster that could enforce NetworkPolicies. */
export interface PolicyEngineFact {
  /** Engines that enforce policies now (their DaemonSet has ready pods). */
  engines: EngineFound[];
  /** Engines present but not enforcing: no ready pod, or the VPC CNI without its network policy agent enabled. */
  inactive: (EngineFound & { why: string })[];
  platform?: 'AKS' | 'EKS' | 'GKE';
  /** Nodes that never enforce policies for their pods whatever runs elsewhere (EKS Fargate). */
  fargateNodes: string[];
  /** EKS Auto Mode nodes: their network policy support is built in and not visible as a DaemonSet. */
  autoModeNodes: string[];
}

/** DaemonSet names (most specific first) → the engine they run. */
const ENGINES: readonly (readonly [RegExp, EngineKind, string])[] = [
  [/^calico-node$|^canal$/, 'calico', 'Calico'],
  [/^cilium$|^cilium-agent$/, 'cilium', 'Cilium'],
  [/^antrea-agent$/, 'antrea', 'Antrea'],
  [/^kube-router$/, 'kube-router', 'kube-router'],
  [/^azure-npm(-win)?$/, 'azure-npm', 'Azure Network Policy Manager'],
  [/^weave-net$/, 'weave', 'Weave Net'],
  [/^anetd$/, 'gke-dataplane-v2', 'GKE Dataplane V2 (anetd)'],
  [/^aws-node$/, 'aws-vpc-cni', 'the AWS VPC CNI network policy agent'],
];

/** The VPC CNI's node agent container, and the flag that turns its enforcement on. */
export const AWS_NODE_AGENT = 'aws-eks-nodeagent';
const AWS_POLICY_ON = /--enable-network-policy=true/;

export function detectPolicyEngines(
  daemonSets: readonly DaemonSetInfo[],
  nodes: readonly NodeInfo[],
): PolicyEngineFact {
  const engines: PolicyEngineFact['engines'] = [];
  const inactive: PolicyEngineFact['inactive'] = [];
  for (const ds of daemonSets) {
    const hit = ENGINES.find(([re]) => re.test(ds.name));
    if (!hit) continue;
    const [, kind, name] = hit;
    const found: EngineFound = { kind, name, daemonSet: `${ds.namespace}/${ds.name}`, ready: ds.ready ?? 0 };
    if (kind === 'aws-vpc-cni') {
      const agent = (ds.containers ?? []).includes(AWS_NODE_AGENT);
      const on = (ds.policyFlags ?? []).some((f) => AWS_POLICY_ON.test(f));
      if (!agent || !on) {
        inactive.push({
          ...found,
          why: agent
            ? `its ${AWS_NODE_AGENT} container runs without --enable-network-policy=true`
            : `it has no ${AWS_NODE_AGENT} container (VPC CNI older than 1.14, or the agent removed)`,
        });
        continue;
      }
    }
    if (found.ready > 0 || ds.ready === undefined) engines.push(found);
    else inactive.push({ ...found, why: 'its DaemonSet has no ready pod' });
  }
  const platform = managedPlatform(nodes);
  return {
    engines,
    inactive,
    ...(platform ? { platform } : {}),
    fargateNodes: nodes.filter((n) => isFargate(n.labels)).map((n) => n.name),
    autoModeNodes: nodes.filter((n) => n.labels['eks.amazonaws.com/compute-type'] === 'auto').map((n) => n.name),
  };
}

/** What to turn on, per platform, so the cluster enforces NetworkPolicies. */
export function enableEngineHint(platform: PolicyEngineFact['platform']): string {
  switch (platform) {
    case 'AKS':
      return 'AKS: enable a network policy engine — `az aks update --resource-group <rg> --name <cluster> --network-policy azure|calico|cilium` (Terraform: network_profile.network_policy)';
    case 'EKS':
      return 'EKS: turn on the VPC CNI network policy agent — the vpc-cni add-on configuration `{"enableNetworkPolicy": "true"}` (aws eks update-addon --addon-name vpc-cni --configuration-values …), or install Calico or Cilium';
    case 'GKE':
      return 'GKE: `gcloud container clusters update <cluster> --enable-network-policy` (Calico), or create the cluster with Dataplane V2 (`--enable-dataplane-v2`)';
    default:
      return 'install a network plugin that enforces NetworkPolicies (Calico, Cilium, Antrea …) or enable your platform’s: AKS `--network-policy azure|calico|cilium`, EKS VPC CNI `enableNetworkPolicy`, GKE `--enable-network-policy` or Dataplane V2';
  }
}
