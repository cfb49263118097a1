import { METRICS_PORT, RUNNER_SELECTOR, TASKS_PER_POD } from '../../src/domain/chart.ts';
import { samplesOf } from '../../src/domain/prometheus.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { MetricsScrape } from '../../src/engine/facts.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const messages = {
  running: { status: 'pass', text: `agent running, {{tasks}}/${TASKS_PER_POD} active tasks{{version}}` },
  unreachable: {
    status: 'warn',
    text: "{{url}} not reachable through the API server's pod proxy ({{error}})",
    fix: `the runner listens on ${METRICS_PORT} (port "metrics"): check that the container is up, the prometheus.io/port annotation is right, and that the NetworkPolicy lets the API server/Prometheus reach ${METRICS_PORT} (see network.policy)`,
  },
  'not-runner-metrics': {
    status: 'warn',
    text: "no app_agent_status among {{count}} samples{{malformed}}: this is not the runner's metrics endpoint",
    fix: `point the prometheus.io/port and prometheus.io/path annotations at the runner's /actuator/prometheus on ${METRICS_PORT}`,
  },
  'agent-stopped': {
    status: 'fail',
    text: 'app_agent_status is {{value}}: the agent is stopped and takes no tasks although the pod is Running',
    fix: 'read why the agent stopped (credentials, control-plane egress, OAuth client)',
    command: 'kubectl logs -n {{namespace}} {{name}} --tail=200',
  },
  'pod-full': {
    status: 'warn',
    text: `agent running, {{tasks}}/${TASKS_PER_POD} active tasks: this pod is full and new tasks queue`,
    fix: "raise the HPA's maxReplicas or lower its AverageValue target to 15–17 so pods are added before they are full (see scaling.hpa, scaling.headroom)",
  },
  'mixed-versions': {
    status: 'warn',
    text: 'runner pods report different versions: {{versions}}',
    fix: 'a rollout is stuck or pods were not restarted after an image update (imagePullPolicy Always pulls on restart)',
    command: `kubectl rollout status deployment -n {{namespace}} -l ${RUNNER_SELECTOR}`,
  },
  'no-pods': { status: 'info', text: 'no Running runner pod to scrape' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

/** The samples of one metric (exact name, or name + `_total` for counters exposed either way). */

/** `namespace/name` split (a scrape names its pod that way). */
function splitPod(pod: string): { namespace: string; name: string } {
  const i = pod.indexOf('/');
  return i < 0 ? { namespace: 'default', name: pod } : { namespace: pod.slice(0, i), name: pod.slice(i + 1) };
}

export default defineCheck({
  id: 'workload.metrics',
  title: 'Runner metrics: agent running, task load, one version',
  category: 'workload',
  scope: 'cluster',
  docs: {
    what: "Scrapes /actuator/prometheus of every Running runner pod through the API server's pod proxy (port and path from the prometheus.io annotations), parses the Prometheus text format and checks app_agent_status == 1, app_active_task_count against the 20-task capacity of a pod, and that every pod reports the same app_version_info version.",
    why: 'A pod can be Running and Ready while its agent is stopped (app_agent_status 0) and takes no work; a pod at 20 active tasks is full and further tasks queue; mixed versions mean a rollout is stuck.',
    fix: "For a stopped agent read the pod's log (credentials, control-plane egress); for full pods raise the HPA's maxReplicas or lower its target; for mixed versions check the Deployment rollout.",
  },
  needs: ['runnerMetrics'],
  requires: ['workload.runner-pods'],
  messages,
  judge({ runnerMetrics }, ctx) {
    if (runnerMetrics.length === 0) return ctx.report('no-pods');
    const versions = new Map<string, string[]>();
    const out = runnerMetrics.map((s) => judgeScrape(s, versions, ctx));
    if (versions.size > 1) {
      const list = [...versions].map(([v, pods]) => `${v} on ${pods.join(', ')}`).join('; ');
      const { namespace } = splitPod(runnerMetrics[0]?.pod ?? '');
      out.push(
        ctx.report(
          'mixed-versions',
          { versions: list, namespace },
          { target: namespace, details: { versions: Object.fromEntries(versions) } },
        ),
      );
    }
    return out;
  },
});

/** One pod's scrape; records the version it reports in `versions`. */
function judgeScrape(
  scrape: MetricsScrape,
  versions: Map<string, string[]>,
  { report }: JudgeContext<Id>,
): Finding<Id> {
  const target = scrape.pod;
  const { url } = scrape;
  if (!scrape.samples) {
    const e = scrape.error;
    const error = e ? (e.status ? `HTTP ${e.status}: ${e.message}` : e.message) : 'no answer';
    return report('unreachable', { url, error }, { target, details: { url, error: e ?? null } });
  }
  const status = samplesOf(scrape.samples, 'app_agent_status')[0];
  const tasks = samplesOf(scrape.samples, 'app_active_task_count')[0];
  const version = samplesOf(scrape.samples, 'app_version_info')
    .map((s) => s.labels.version ?? s.labels.app_version)
    .find(Boolean);
  if (version) versions.set(version, [...(versions.get(version) ?? []), target]);
  const count = scrape.sampleCount ?? scrape.samples.length;
  const malformed = scrape.malformed ?? [];
  const details = {
    url,
    samples: count,
    malformedLines: malformed,
    agentStatus: status?.value ?? null,
    activeTasks: tasks?.value ?? null,
    version: version ?? null,
  };

  if (!status) {
    const bad = malformed.length
      ? ` (${scrape.malformedCount ?? malformed.length} malformed lines, first: ${malformed[0]})`
      : '';
    return report('not-runner-metrics', { count, malformed: bad }, { target, details });
  }
  if (status.value !== 1)
    return report('agent-stopped', { value: status.value, ...splitPod(scrape.pod) }, { target, details });
  const t = tasks?.value;
  if (t !== undefined && t >= TASKS_PER_POD) return report('pod-full', { tasks: t }, { target, details });
  return report('running', { tasks: t ?? '?', version: version ? `, version ${version}` : '' }, { target, details });
}
