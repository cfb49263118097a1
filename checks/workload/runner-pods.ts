import { defineCheck, fail, pass } from '../../src/engine/define.ts';
import { isRunning, podName } from '../../src/facts/kube/runner.ts';
import { RUNNER_SELECTOR } from '../../src/facts/kube/snapshot.ts';

export default defineCheck({
  id: 'workload.runner-pods',
  title: 'Runner pods are found and Running',
  category: 'workload',
  scope: 'cluster',
  severity: 'fail',
  docs: {
    what: `Finds the runner pods by the chart's labels (${RUNNER_SELECTOR}, plus app.kubernetes.io/instance with --release) and checks that at least one is Running.`,
    why: 'No Running runner pod means no task can run; the in-pod checks need one too.',
    fix: 'Find the pods with `kubectl get pods -A -l app.kubernetes.io/name=matillion-runner`; if there are none, check the Helm release; if they are not Running, the reasons below say why.',
  },
  needs: ['kube'],
  async run({ fact }) {
    const snap = await fact('kube');
    const pods = await snap.runnerPods();
    const where = snap.scope.namespace ? `namespace ${snap.scope.namespace}` : 'any namespace';
    if (pods.length === 0) {
      return fail(`no runner pods found in ${where} (selector ${RUNNER_SELECTOR}${snap.scope.release ? `,app.kubernetes.io/instance=${snap.scope.release}` : ''})`, {
        remediation: { text: 'check the namespace and the Helm release: is the chart installed, and did it create its Deployment?', command: 'kubectl get pods -A -l app.kubernetes.io/name=matillion-runner; helm list -A' },
      });
    }
    const running = pods.filter(isRunning);
    if (running.length === 0) {
      const events = await snap.events().catch(() => []);
      const why = pods.map((p) => {
        const waiting = (p.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason).filter(Boolean);
        const ev = events.filter((e) => e.involvedObject?.name === p.metadata?.name && e.type === 'Warning').map((e) => `${e.reason}: ${e.message}`).at(-1);
        return `${podName(p)} is ${p.status?.phase ?? 'unknown'}${waiting.length ? ` (${waiting.join(', ')})` : ''}${ev ? ` — ${ev}` : ''}`;
      });
      return fail(`none of the ${pods.length} runner pod(s) is Running: ${why.join('; ')}`, { details: { pods: why }, remediation: { text: 'fix the reason given for each pod (scheduling, image pull, crash); `kubectl describe pod` shows the full events', command: `kubectl describe pod -n ${pods[0]?.metadata?.namespace} ${pods[0]?.metadata?.name}` } });
    }
    return pass(`${running.length} of ${pods.length} runner pod(s) Running in ${[...new Set(pods.map((p) => p.metadata?.namespace))].join(', ')}`, { details: { pods: pods.map(podName) } });
  },
});
