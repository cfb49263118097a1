// Facts for the diagnosis tables (autoscaling, scheduling, NetworkPolicy enforcement and peers): the healthy
// cluster of fixtures.ts plus what the newer collectors report for it — the custom metrics API answering for
// both runner pods, Calico enforcing policies, the cluster's namespaces with their labels and a Prometheus
// server in `prometheus` that the chart's ingress rule admits once that namespace carries name=monitoring.
import type { CustomMetricValues } from '../../../src/domain/custom-metrics.ts';
import type { ClusterPod, DaemonSetInfo, NetworkPolicy, Pod } from '../../../src/domain/kube.ts';
import type { NamespaceInfo } from '../../../src/domain/netpol-rules.ts';
import { detectPolicyEngines } from '../../../src/domain/policy-engines.ts';
import type { FactMap } from '../../../src/engine/facts.ts';
import { edit, healthyCluster, NOW, NS } from './fixtures.ts';

type Facts = Partial<FactMap>;
export const GiB = 1024 ** 3;

export const namespaceInfo = (name: string, labels: Record<string, string> = {}): NamespaceInfo => ({
  name,
  labels: { 'kubernetes.io/metadata.name': name, ...labels },
});

/** A Prometheus server pod as the prometheus-community chart labels it. */
export const prometheusPod = (namespace = 'prometheus'): ClusterPod => ({
  namespace,
  name: 'prometheus-server-6d4f9-abcde',
  nodeName: 'node-a',
  phase: 'Running',
  requests: { cpu: 0.5, memory: GiB, ephemeral: 0 },
  app: 'prometheus',
  labels: { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/component': 'server' },
});

export const calico: DaemonSetInfo = {
  namespace: 'calico-system',
  name: 'calico-node',
  ready: 2,
  containers: ['calico-node'],
};

/** The values the custom metrics API returns for the given pods (all of the healthy cluster's by default). */
export const metricValues = (values: Record<string, number>, namespace = NS): CustomMetricValues => ({
  namespace,
  metric: 'app_active_task_count',
  values,
});

/** The healthy cluster with every diagnosis fact, labels on the cluster pods, Prometheus in `prometheus`. */
export function diagnosedCluster(f: (x: Facts) => void = () => {}): Facts {
  return edit(healthyCluster(), (x) => {
    const pods = x.runnerPods ?? [];
    x.clusterPods = [
      ...(x.clusterPods ?? []).map((c, i) => ({ ...c, labels: { ...(pods[i]?.metadata?.labels ?? {}) } })),
      prometheusPod(),
    ];
    x.clusterNamespaces = [
      namespaceInfo(NS),
      namespaceInfo('kube-system'),
      namespaceInfo('prometheus', { name: 'monitoring' }),
    ];
    x.daemonSets = [calico];
    x.policyEngine = detectPolicyEngines([calico], x.nodes ?? []);
    x.customMetricsValues = [metricValues(Object.fromEntries(pods.map((p, i) => [p.metadata?.name ?? '', 3 + i])))];
    f(x);
  });
}

/** Every runner pod started `ms` before the run's clock. */
export const startedAgo = (ms: number) => (x: Facts) => {
  for (const p of x.runnerPods ?? []) if (p.status) p.status.startTime = new Date(NOW - ms);
};

/** The first runner pod Pending (not bound to a node), with `f` applied to it. */
export const pendingFirst =
  (f: (p: Pod) => void = () => {}) =>
  (x: Facts) => {
    const p = x.runnerPods?.[0];
    if (!p?.spec || !p.status) return;
    delete p.spec.nodeName;
    p.status = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] };
    x.clusterPods = (x.clusterPods ?? []).map((c) =>
      c.name === p.metadata?.name ? { ...c, nodeName: undefined, phase: 'Pending' } : c,
    );
    f(p);
  };

export const policy = (name: string, spec: NetworkPolicy['spec'], namespace = NS): NetworkPolicy => ({
  metadata: { name, namespace },
  spec,
});
