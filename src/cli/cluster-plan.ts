// Plans a `check --namespace` run: loads credentials, discovers the runner pods (one LIST), and builds
// the targets: the cluster (for cluster checks), each Running runner pod (in-pod checks through exec)
// and the doctor itself (config checks). A cluster that cannot be reached at all is a fatal, reported.
import { factSource, type RunConfigFacts } from '../facts/fact-map.ts';
import { KubeClient, KubeError, loadAccess, type Access } from '../facts/kube/client.ts';
import { probePod } from '../facts/kube/pod-exec.ts';
import { isRunning, podName, runnerContainer } from '../facts/kube/runner.ts';
import { KubeSnapshot } from '../facts/kube/snapshot.ts';
import type { PlannedTarget } from '../engine/run.ts';
import type { Report } from '../engine/report.ts';

export interface ClusterPlan {
  targets: PlannedTarget[];
  /** Absent when the kubeconfig could not be loaded. */
  client?: KubeClient;
  description: string;
  namespace?: string;
  context?: string;
  notes: string[];
  fatal?: Report['fatal'];
}

export interface ClusterArgs {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  release?: string;
  pod?: string;
  probeTimeoutMs: number;
}

const FATAL_KINDS = new Set(['unreachable', 'unauthorized', 'tls', 'config', 'timeout']);

export async function planCluster(args: ClusterArgs, config: RunConfigFacts): Promise<ClusterPlan> {
  const doctor: PlannedTarget = { target: { kind: 'local', name: 'doctor' }, scopes: ['local'], source: factSource({ config: () => config }, 'the doctor') };
  let access: Access;
  try {
    access = await loadAccess({ kubeconfig: args.kubeconfig, context: args.context });
  } catch (e) {
    if (!(e instanceof KubeError)) throw e;
    return { targets: [doctor], description: 'cluster (kubeconfig could not be loaded)', notes: [], fatal: { message: e.message, remediation: e.remediation ?? '' } };
  }
  const client = new KubeClient(access);
  const namespace = args.namespace;
  const snap = new KubeSnapshot(client, { namespace, release: args.release, pod: args.pod });
  const description = `cluster ${access.server} (context ${access.context}), ${namespace ? `namespace ${namespace}` : 'all namespaces'}`;
  const clusterTarget: PlannedTarget = { target: { kind: 'cluster', name: 'cluster' }, scopes: ['cluster', 'network', 'cloud'], source: factSource({ kube: () => snap }, 'the cluster') };
  const plan: ClusterPlan = { targets: [doctor, clusterTarget], client, description, namespace, context: access.context, notes: [] };

  // Discovery decides the pod targets; its failure is judged by the workload checks, unless nothing can be reached at all.
  let pods;
  try {
    pods = await snap.runnerPods();
  } catch (e) {
    if (e instanceof KubeError && FATAL_KINDS.has(e.kubeKind)) plan.fatal = { message: e.message, remediation: e.remediation ?? '' };
    return plan;
  }
  for (const p of pods.filter(isRunning)) {
    const ns = p.metadata?.namespace ?? 'default';
    const name = p.metadata?.name ?? '';
    const container = runnerContainer(p)?.name ?? '';
    plan.targets.push({
      target: { kind: 'pod', name: podName(p) },
      scopes: ['pod'],
      source: factSource(
        {
          probe: async (signal) => {
            await snap.requireExec(ns);
            return probePod(access, ns, name, container, { timeoutMs: args.probeTimeoutMs, signal, onRequest: () => client.requests++ });
          },
        },
        podName(p),
      ),
    });
  }
  if (pods.length > 0 && !pods.some(isRunning)) plan.notes.push('no runner pod is Running: in-pod checks were not run (see workload.runner-pods)');
  return plan;
}
