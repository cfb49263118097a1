// The Kubernetes objects checks read. Runner objects keep the API's own shape (as JSON; client-node's
// model types describe them). Cluster-wide lists — every node, every pod, every DaemonSet — are reduced
// as they arrive to the few fields the checks need, so a 20,000-pod cluster costs kilobytes per pod
// less to hold.
import type {
  V1Container,
  V1Deployment,
  V1LabelSelector,
  V1Namespace,
  V1Pod,
  V1PodSpec,
  V1ReplicaSet,
  V1ServiceAccount,
  V1Taint,
  V1Toleration,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';

export type Pod = V1Pod;
export type Deployment = V1Deployment;
export type ReplicaSet = V1ReplicaSet;
export type Hpa = V2HorizontalPodAutoscaler;
export type ServiceAccount = V1ServiceAccount;
export type Namespace = V1Namespace;
export type Container = V1Container;
export type PodSpec = V1PodSpec;
export type Taint = V1Taint;
export type Toleration = V1Toleration;
export type LabelSelector = V1LabelSelector;

/** Requests as the scheduler counts them: cores, bytes, bytes. */
export interface Requests {
  cpu: number;
  memory: number;
  ephemeral: number;
}

export interface NodeInfo {
  name: string;
  labels: Record<string, string>;
  unschedulable: boolean;
  ready: boolean;
  taints: Taint[];
  /** Allocatable: cores, bytes, bytes (null when the node reports none), pods. */
  allocatable: { cpu: number; memory: number; ephemeral: number | null; pods: number };
  /** InternalIP and friends (for display only). */
  addresses: string[];
}

/** A pod anywhere in the cluster, reduced to what scheduling headroom and agent detection need. */
export interface ClusterPod {
  namespace: string;
  name: string;
  nodeName?: string;
  phase?: string;
  requests: Requests;
  /** `app.kubernetes.io/name`, else `app` (how autoscalers and agents are recognised). */
  app?: string;
  /** The DaemonSet that owns it, if any. */
  daemonSet?: string;
  /** Its labels without the controllers' hashes (for NetworkPolicy peers and selectors). */
  labels?: Record<string, string>;
}

export interface DaemonSetInfo {
  namespace: string;
  name: string;
  /** Pods ready (status.numberReady), when the API reported it. */
  ready?: number;
  /** Container names of its pod template (how a network policy agent is recognised). */
  containers?: string[];
  /** `<container> <arg>` for args that switch network policy enforcement (`--enable-network-policy=true`). */
  policyFlags?: string[];
}

export interface EventInfo {
  namespace: string;
  /** `Pod`, `ReplicaSet`, `Deployment` … */
  kind: string;
  name: string;
  type: string;
  reason: string;
  message: string;
  count: number;
  /** ISO time of the last occurrence. */
  last?: string;
}

// NetworkPolicy in the API's JSON shape (client-node renames `from` to `_from`; the wire does not).
export interface NetworkPolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
export interface IpBlock {
  cidr: string;
  except?: string[];
}
export interface NetworkPolicyPeer {
  ipBlock?: IpBlock;
  namespaceSelector?: LabelSelector;
  podSelector?: LabelSelector;
}
export interface NetworkPolicy {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    podSelector?: LabelSelector;
    policyTypes?: string[];
    ingress?: { from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
    egress?: { to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
  };
}
