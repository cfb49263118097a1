// Plans a `check --namespace` run: loads credentials, discovers the runner pods (one LIST), and builds
// the targets: the cluster (for cluster checks), each Running runner pod (in-pod checks through exec)
// and the doctor itself (config checks). A cluster that cannot be reached at all is a fatal, reported.
import { factSource, type RunConfigFacts } from '../facts/fact-map.ts';
import { KubeClient, KubeError, loadAccess, type Access } from '../facts/kube/client.ts';
import { probePod } from '../facts/kube/pod-exec.ts';
import { isRunning, literalEnv, podName, runnerContainer } from '../facts/kube/runner.ts';
import { KubeSnapshot } from '../facts/kube/snapshot.ts';
import type { PlannedTarget } from '../engine/run.ts';
import type { Report } from '../engine/report.ts';
import { settingsFromEnv, type EgressPlan, type EgressView } from '../egress/plan.ts';
import { inPodEgressScript, parseInPodEgress } from '../egress/in-pod.ts';
import { execError, execInPod } from '../facts/kube/pod-exec.ts';
import { FactError } from '../facts/fact-map.ts';
import { newNonce } from '../probe/script.ts';
import type { V1Pod } from '@kubernetes/client-node';

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

/** The runner's settings as its pod spec states them (literal env and image). */
function runnerSettings(p: V1Pod | undefined) {
  if (!p) return undefined;
  return settingsFromEnv(Object.fromEntries(literalEnv(p)), runnerContainer(p)?.image);
}

/** The in-pod egress test through exec: the same endpoints as the doctor's, judged by the same check. */
async function podEgress(access: Access, p: V1Pod, egress: EgressPlan, onRequest: () => void): Promise<EgressView> {
  const ns = p.metadata?.namespace ?? 'default';
  const name = p.metadata?.name ?? '';
  const targets = egress.targetsFor(runnerSettings(p));
  if (!targets.length) return { from: podName(p), tool: 'none', results: [] };
  const nonce = newNonce();
  const t = egress.timeouts;
  // The stages' timeouts bound the script; the exec's own hard timeout adds slack for start-up.
  const budget = t.dns + t.tcp + t.tls + t.http + 5000;
  let r;
  try {
    r = await execInPod(access, ns, name, runnerContainer(p)?.name ?? '', ['sh', '-c', inPodEgressScript(targets, nonce, t)], { timeoutMs: budget, maxBytes: 512 * 1024, onRequest });
  } catch (e) {
    throw execError(e, ns, name);
  }
  const parsed = parseInPodEgress(r.stdout, nonce, targets);
  if (!parsed.results.length) throw new FactError('probe', `the egress test in ${ns}/${name} printed nothing usable${r.timedOut ? ' (timed out)' : ''}${r.stderr ? ` (stderr: ${r.stderr.split('\n')[0]!.slice(0, 120)})` : ''}`, 'run it by hand with kubectl exec to see why');
  return { from: podName(p), tool: parsed.tool, results: parsed.results };
}

export async function planCluster(args: ClusterArgs, config: RunConfigFacts, egress: EgressPlan): Promise<ClusterPlan> {
  // Until the runner pods are known, the doctor's egress uses what the pod spec would say; set below.
  let settings: ReturnType<typeof runnerSettings>;
  const doctorEgress = () => egress.doctorView(settings, process.env, false);
  const doctor: PlannedTarget = { target: { kind: 'local', name: 'doctor' }, scopes: ['local', 'network'], source: factSource({ config: () => config, egress: doctorEgress }, 'the doctor') };
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
  const podViews: (() => Promise<EgressView>)[] = [];
  const clusterTarget: PlannedTarget = {
    target: { kind: 'cluster', name: 'cluster' },
    scopes: ['cluster', 'cloud'],
    source: factSource({ kube: () => snap, egressViews: async () => (await Promise.allSettled([doctorEgress(), ...podViews.map((f) => f())])).flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])) }, 'the cluster'),
  };
  const plan: ClusterPlan = { targets: [doctor, clusterTarget], client, description, namespace, context: access.context, notes: [] };

  // Discovery decides the pod targets; its failure is judged by the workload checks, unless nothing can be reached at all.
  let pods;
  try {
    pods = await snap.runnerPods();
  } catch (e) {
    if (e instanceof KubeError && FATAL_KINDS.has(e.kubeKind)) plan.fatal = { message: e.message, remediation: e.remediation ?? '' };
    return plan;
  }
  settings = runnerSettings(pods.find(isRunning) ?? pods[0]);
  for (const p of pods.filter(isRunning)) {
    const ns = p.metadata?.namespace ?? 'default';
    const name = p.metadata?.name ?? '';
    const container = runnerContainer(p)?.name ?? '';
    // One exec per pod for the egress test, shared by network.egress (per pod) and network.egress-paths.
    const view = () => egress.podView(podName(p), async () => {
      await snap.requireExec(ns);
      return podEgress(access, p, egress, () => client.requests++);
    });
    podViews.push(view);
    plan.targets.push({
      target: { kind: 'pod', name: podName(p) },
      scopes: ['pod', 'network'],
      source: factSource(
        {
          probe: async (signal) => {
            await snap.requireExec(ns);
            return probePod(access, ns, name, container, { timeoutMs: args.probeTimeoutMs, signal, onRequest: () => client.requests++ });
          },
          egress: view,
        },
        podName(p),
      ),
    });
  }
  if (pods.length > 0 && !pods.some(isRunning)) plan.notes.push('no runner pod is Running: in-pod checks were not run (see workload.runner-pods)');
  return plan;
}
