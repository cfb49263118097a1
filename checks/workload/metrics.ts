import { defineCheck, fail, info, pass, warn } from '../../src/engine/define.ts';
import type { Outcome } from '../../src/engine/types.ts';
import { isConnectionFailure, KubeError } from '../../src/facts/kube/client.ts';
import { isRunning, podName, TASKS_PER_POD } from '../../src/facts/kube/runner.ts';
import { metricsEndpoint } from '../../src/facts/kube/snapshot.ts';
import { parseExposition, samplesOf } from '../../src/facts/prometheus.ts';

export default defineCheck({
  id: 'workload.metrics',
  title: 'Runner metrics: agent running, task load, one version',
  category: 'workload',
  scope: 'cluster',
  severity: 'warn',
  docs: {
    what: 'Scrapes /actuator/prometheus of every Running runner pod through the API server\'s pod proxy (port and path from the prometheus.io annotations), parses the Prometheus text format and checks app_agent_status == 1, app_active_task_count against the 20-task capacity of a pod, and that every pod reports the same app_version_info version.',
    why: 'A pod can be Running and Ready while its agent is stopped (app_agent_status 0) and takes no work; a pod at 20 active tasks is full and further tasks queue; mixed versions mean a rollout is stuck.',
    fix: 'For a stopped agent read the pod\'s log (credentials, control-plane egress); for full pods raise the HPA\'s maxReplicas or lower its target; for mixed versions check the Deployment rollout.',
  },
  needs: ['kube'],
  requires: ['workload.runner-pods'],
  async run({ fact }) {
    const snap = await fact('kube');
    const pods = (await snap.runnerPods()).filter(isRunning);
    const out: Outcome[] = [];
    const versions = new Map<string, string[]>();
    let forbidden: KubeError | undefined;
    const results = await Promise.all(pods.map(async (p) => ({ p, r: await snap.scrapeMetrics(p).then((v) => ({ ok: v }), (e: unknown) => ({ err: e })) })));
    for (const { p, r } of results) {
      const target = podName(p);
      if ('err' in r) {
        const e = r.err;
        if (e instanceof KubeError && e.kubeKind === 'forbidden') {
          forbidden = e;
          continue;
        }
        if (isConnectionFailure(e)) throw e;
        const msg = (e instanceof Error ? e.message : String(e)).replace(/^API server answered (\d+) to GET \S+: /, 'HTTP $1: ');
        out.push(warn(`${metricsEndpoint(p).url} not reachable through the API server's pod proxy (${msg})`, { target, remediation: 'the runner listens on 8080 (port "metrics"): check that the container is up, the prometheus.io/port annotation is right, and that the NetworkPolicy lets the API server/Prometheus reach 8080 (see network.policy)' }));
        continue;
      }
      const { url } = metricsEndpoint(p);
      const e = parseExposition(r.ok);
      const status = samplesOf(e, 'app_agent_status')[0];
      const tasks = samplesOf(e, 'app_active_task_count')[0];
      const version = samplesOf(e, 'app_version_info').map((s) => s.labels.version ?? s.labels.app_version).find(Boolean);
      if (version) versions.set(version, [...(versions.get(version) ?? []), target]);
      const details = { url, samples: e.samples.length, malformedLines: e.errors, agentStatus: status?.value ?? null, activeTasks: tasks?.value ?? null, version: version ?? null };
      if (!status) {
        out.push(warn(`no app_agent_status among ${e.samples.length} samples${e.errors.length ? ` (${e.errors.length} malformed lines, first: ${e.errors[0]})` : ''}: this is not the runner's metrics endpoint`, { target, details, remediation: 'point the prometheus.io/port and prometheus.io/path annotations at the runner\'s /actuator/prometheus on 8080' }));
        continue;
      }
      if (status.value !== 1) {
        out.push(fail(`app_agent_status is ${status.value}: the agent is stopped and takes no tasks although the pod is Running`, { target, details, remediation: { text: 'read why the agent stopped (credentials, control-plane egress, OAuth client)', command: `kubectl logs -n ${p.metadata?.namespace} ${p.metadata?.name} --tail=200` } }));
        continue;
      }
      const t = tasks?.value;
      if (t !== undefined && t >= TASKS_PER_POD) out.push(warn(`agent running, ${t}/${TASKS_PER_POD} active tasks: this pod is full and new tasks queue`, { target, details, remediation: 'raise the HPA\'s maxReplicas or lower its AverageValue target to 15–17 so pods are added before they are full (see scaling.hpa, scaling.headroom)' }));
      else out.push(pass(`agent running, ${t ?? '?'}/${TASKS_PER_POD} active tasks${version ? `, version ${version}` : ''}`, { target, details }));
    }
    if (forbidden) throw forbidden;
    if (versions.size > 1) {
      const list = [...versions].map(([v, ps]) => `${v} on ${ps.join(', ')}`).join('; ');
      out.push(warn(`runner pods report different versions: ${list}`, { target: pods[0]?.metadata?.namespace, details: { versions: Object.fromEntries(versions) }, remediation: { text: 'a rollout is stuck or pods were not restarted after an image update (imagePullPolicy Always pulls on restart)', command: `kubectl rollout status deployment -n ${pods[0]?.metadata?.namespace} -l app.kubernetes.io/name=matillion-runner` } }));
    }
    return out.length ? out : [info('no Running runner pod to scrape')];
  },
});
