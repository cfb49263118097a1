import { createRefusal } from '../../src/domain/admission.ts';
import { HELM, KEEPALIVE_SYSCTL, RUNNER_SELECTOR } from '../../src/domain/chart.ts';
import type { EventInfo, Pod, ReplicaSet } from '../../src/domain/kube.ts';
import { isRunning, lastPodEvent, objName, podName } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';

/** The newest reason a runner ReplicaSet gives for creating no pods: its ReplicaFailure condition or a FailedCreate event. */
function failedCreate(replicaSets: readonly ReplicaSet[], events: readonly EventInfo[]) {
  const byEvent = events
    .filter(
      (e) =>
        e.kind === 'ReplicaSet' &&
        e.reason === 'FailedCreate' &&
        replicaSets.some((r) => r.metadata?.name === e.name && r.metadata?.namespace === e.namespace),
    )
    .at(-1);
  if (byEvent) return { replicaSet: `${byEvent.namespace}/${byEvent.name}`, message: byEvent.message };
  for (const r of replicaSets) {
    const c = r.status?.conditions?.find((x) => x.type === 'ReplicaFailure' && x.status === 'True');
    if (c?.message) return { replicaSet: objName(r), message: c.message };
  }
  return undefined;
}

/** `ns/pod is Pending (ErrImagePull) — FailedScheduling: …`: why a pod is not Running, in one phrase. */
function whyNotRunning(p: Pod, events: readonly EventInfo[]): string {
  const waiting = (p.status?.containerStatuses ?? []).flatMap((c) =>
    c.state?.waiting?.reason ? [c.state.waiting.reason] : [],
  );
  const ev = lastPodEvent(events, p, (e) => e.type === 'Warning');
  return `${podName(p)} is ${p.status?.phase ?? 'unknown'}${waiting.length ? ` (${waiting.join(', ')})` : ''}${ev ? ` — ${ev.reason}: ${ev.message}` : ''}`;
}

export default defineCheck({
  id: 'workload.runner-pods',
  title: 'Runner pods are found and Running',
  category: 'workload',
  scope: 'cluster',
  docs: {
    what: `Finds the runner pods by the chart's labels (${RUNNER_SELECTOR}, plus app.kubernetes.io/instance with --release) and checks that at least one is Running.`,
    why: 'No Running runner pod means no task can run; the in-pod checks need one too. When admission refuses the pods (Pod Security, a forbidden sysctl, a quota, a missing ServiceAccount), there are no pods at all and only the ReplicaSet says why.',
    fix: `Find the pods with \`kubectl get pods -A -l ${RUNNER_SELECTOR}\`; if there are none, check the Helm release; if they are not Running, the reasons below say why.`,
  },
  needs: ['kubeScope', 'runnerPods', 'runnerEvents', 'runnerReplicaSets'],
  messages: {
    'rejected-pod-security': {
      status: 'fail',
      text: 'no runner pods: Pod Security ({{level}}:{{version}}) rejects them, so ReplicaSet {{replicaSet}} creates none — {{violations}}',
      fix: "set in the runner container's securityContext: {{asks}}. The chart renders an empty container securityContext, so add these with a Helm post-renderer or a kustomize patch of the Deployment; or run the runner in a namespace whose Pod Security level allows the chart as it is",
      command: 'kubectl describe replicaset -n {{namespace}} {{name}}',
    },
    'rejected-sysctl': {
      status: 'fail',
      text: 'no runner pods: the sysctl {{sysctl}} the chart sets is refused, so ReplicaSet {{replicaSet}} creates none — {{detail}}',
      fix: `${KEEPALIVE_SYSCTL} is a safe sysctl only from Kubernetes 1.29: upgrade the nodes (and any Pod Security pin such as pod-security.kubernetes.io/enforce-version) to 1.29+, or allow it in the policy engine that restricts sysctls, or drop it from podSecurityContext.sysctls in the values`,
      command: 'kubectl describe replicaset -n {{namespace}} {{name}}',
    },
    'rejected-quota': {
      status: 'fail',
      text: 'no runner pods: a ResourceQuota is exhausted, so ReplicaSet {{replicaSet}} creates none — {{detail}}',
      fix: `raise the namespace's ResourceQuota, or choose a smaller ${HELM.runnerSize} / fewer replicas`,
      command: 'kubectl describe resourcequota -n {{namespace}}',
    },
    'missing-service-account': {
      status: 'fail',
      text: 'no runner pods: the ServiceAccount {{serviceAccount}} does not exist, so ReplicaSet {{replicaSet}} creates none',
      fix: `create it (the chart does, named by ${HELM.serviceAccountName}; the vendor's AWS trust policy expects matillion-runner-sa) and the ReplicaSet retries`,
      command: 'kubectl get serviceaccount -n {{namespace}}',
    },
    'not-created': {
      status: 'fail',
      text: 'no runner pods: ReplicaSet {{replicaSet}} cannot create them — {{detail}}',
      fix: 'fix what the API server says; `kubectl describe replicaset` shows the full events',
      command: 'kubectl describe replicaset -n {{namespace}} {{name}}',
    },
    running: { status: 'pass', text: '{{running}} of {{total}} runner pod(s) Running in {{namespaces}}' },
    'none-found': {
      status: 'fail',
      text: 'no runner pods found in {{where}} (selector {{selector}})',
      fix: 'check the namespace and the Helm release: is the chart installed, and did it create its Deployment?',
      command: `kubectl get pods -A -l ${RUNNER_SELECTOR}; helm list -A`,
    },
    'none-running': {
      status: 'fail',
      text: 'none of the {{total}} runner pod(s) is Running: {{reasons}}',
      fix: 'fix the reason given for each pod (scheduling, image pull, crash); `kubectl describe pod` shows the full events',
      command: 'kubectl describe pod -n {{namespace}} {{pod}}',
    },
  },
  judge({ kubeScope, runnerPods: pods, runnerEvents, runnerReplicaSets }, { report }) {
    if (pods.length === 0) {
      const refused = failedCreate(runnerReplicaSets, runnerEvents);
      if (refused) {
        const [namespace = '', name = ''] = refused.replicaSet.split('/');
        const base = { replicaSet: refused.replicaSet, namespace, name, detail: refused.message };
        const why = createRefusal(refused.message);
        const details = { replicaSet: refused.replicaSet, message: refused.message };
        if (why.kind === 'pod-security') {
          const { level, version, violations } = why.rejection;
          const asks = [
            ...new Set(
              violations.flatMap((v) =>
                v.asks.map((a) =>
                  a.replace(/^must set securityContext\./, '').replace(/^must not set securityContext\./, 'not '),
                ),
              ),
            ),
          ];
          return report(
            'rejected-pod-security',
            {
              ...base,
              level,
              version,
              violations: violations.map((v) => v.what).join('; '),
              asks: asks.join('; ') || 'what the violations name',
            },
            { details: { ...details, violations } },
          );
        }
        if (why.kind === 'sysctl') return report('rejected-sysctl', { ...base, sysctl: why.sysctl }, { details });
        if (why.kind === 'quota') return report('rejected-quota', { ...base, detail: why.detail }, { details });
        if (why.kind === 'service-account')
          return report('missing-service-account', { ...base, serviceAccount: why.name }, { details });
        return report('not-created', base, { details });
      }
      const where = kubeScope.namespace ? `namespace ${kubeScope.namespace}` : 'any namespace';
      return report('none-found', { where, selector: kubeScope.selector });
    }
    const running = pods.filter(isRunning);
    if (running.length === 0) {
      const why = pods.map((p) => whyNotRunning(p, runnerEvents));
      const [first] = pods;
      return report(
        'none-running',
        {
          total: pods.length,
          reasons: why.join('; '),
          namespace: first?.metadata?.namespace ?? 'default',
          pod: first?.metadata?.name ?? '',
        },
        { details: { pods: why } },
      );
    }
    const namespaces = [...new Set(pods.map((p) => p.metadata?.namespace ?? 'default'))].join(', ');
    return report(
      'running',
      { running: running.length, total: pods.length, namespaces },
      { details: { pods: pods.map(podName) } },
    );
  },
});
