import { DNS_DEPLOYMENTS, DNS_NAMESPACE, DNS_SELECTOR } from '../../src/domain/cluster-dns.ts';
import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'cluster.dns',
  title: 'Cluster DNS is running',
  category: 'cluster',
  scope: 'cluster',
  docs: {
    what: `The cluster DNS Deployment (${DNS_NAMESPACE}/${DNS_DEPLOYMENTS.join(' or ')}, labelled ${DNS_SELECTOR}: CoreDNS on EKS, AKS and kubeadm, kube-dns on GKE) and how many of its replicas are ready.`,
    why: 'Every endpoint the runner reaches — its control plane, the cloud identity service, the script runner — starts with a DNS lookup: with DNS down everything else fails at once, and the egress findings all say "does not resolve".',
    fix: `Find why the DNS pods are not ready (kubectl -n ${DNS_NAMESPACE} describe pods -l ${DNS_SELECTOR}) and scale the Deployment back up if it was scaled down.`,
  },
  needs: ['clusterDns'],
  messages: {
    ready: { status: 'pass', text: '{{name}}: {{ready}}/{{replicas}} replicas ready' },
    degraded: {
      status: 'warn',
      text: '{{name}}: only {{ready}} of {{replicas}} replicas ready: lookups may be slow or fail under load',
      command: `kubectl -n ${DNS_NAMESPACE} describe pods -l ${DNS_SELECTOR}`,
    },
    'not-ready': {
      status: 'fail',
      text: '{{name}}: none of its {{replicas}} replicas is ready: nothing in the cluster resolves',
      command: `kubectl -n ${DNS_NAMESPACE} describe pods -l ${DNS_SELECTOR}`,
    },
    'scaled-down': {
      status: 'fail',
      text: '{{name}} is scaled to 0 replicas: nothing in the cluster resolves',
      command: `kubectl -n ${DNS_NAMESPACE} scale deployment {{deployment}} --replicas=2`,
    },
    none: {
      status: 'warn',
      text: `no Deployment ${DNS_DEPLOYMENTS.join(' or ')} (${DNS_SELECTOR}) in ${DNS_NAMESPACE}: cannot tell whether cluster DNS runs (a DaemonSet, or a DNS add-on under another name?)`,
      fix: `check how the cluster serves DNS (kubectl -n ${DNS_NAMESPACE} get deploy,ds,svc -l ${DNS_SELECTOR}) and that pods resolve names (the egress checks show it)`,
    },
  },
  judge({ clusterDns }, { report }) {
    if (clusterDns.length === 0) return report('none');
    return clusterDns.map((d) => {
      const vars = { name: `${d.namespace}/${d.name}`, deployment: d.name, ready: d.ready, replicas: d.replicas };
      const extra = { target: `${d.namespace}/${d.name}`, details: { ...d } };
      if (d.replicas === 0) return report('scaled-down', vars, extra);
      if (d.ready === 0) return report('not-ready', vars, extra);
      if (d.ready < d.replicas) return report('degraded', vars, extra);
      return report('ready', vars, extra);
    });
  },
});
