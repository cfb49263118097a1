import { RUNNER_SELECTOR } from '../../src/domain/chart.ts';
import type { EventInfo, Pod } from '../../src/domain/kube.ts';
import { isRunning, lastPodEvent, podName } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';

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
    why: 'No Running runner pod means no task can run; the in-pod checks need one too.',
    fix: `Find the pods with \`kubectl get pods -A -l ${RUNNER_SELECTOR}\`; if there are none, check the Helm release; if they are not Running, the reasons below say why.`,
  },
  needs: ['kubeScope', 'runnerPods', 'runnerEvents'],
  messages: {
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
  judge({ kubeScope, runnerPods: pods, runnerEvents }, { report }) {
    if (pods.length === 0) {
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
