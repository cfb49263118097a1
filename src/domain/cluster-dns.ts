// The cluster's DNS (CoreDNS or kube-dns): a Deployment in kube-system labelled k8s-app=kube-dns on
// EKS, AKS, GKE and kubeadm clusters. Everything the runner reaches starts with a lookup.

export const DNS_NAMESPACE = 'kube-system';
export const DNS_SELECTOR = 'k8s-app=kube-dns';
/** Its name: coredns on EKS, AKS, kubeadm and k3s; kube-dns on GKE. */
export const DNS_DEPLOYMENTS = ['coredns', 'kube-dns'] as const;

export interface DnsDeployment {
  namespace: string;
  name: string;
  replicas: number;
  ready: number;
  available: number;
}
