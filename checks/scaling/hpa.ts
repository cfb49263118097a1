import { CUSTOM_METRICS_API, HPA_TARGET_RECOMMENDED, TASKS_PER_POD } from '../../src/domain/chart.ts';
import type { Hpa } from '../../src/domain/kube.ts';
import { parseQuantity } from '../../src/domain/quantity.ts';
import { hpaFor, objName } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { ApiServiceFact } from '../../src/engine/facts.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const { min: REC_MIN, max: REC_MAX } = HPA_TARGET_RECOMMENDED;
const ADAPTER_FIX =
  "install a custom metrics adapter (e.g. prometheus-adapter) that serves app_active_task_count and app_active_request_count from the runner's /actuator/prometheus";
const VALUES_FIX = `set minReplicas ≥ 2 and the AverageValue targets to ${REC_MIN}–${REC_MAX} in the chart's autoscaling values`;

const messages = {
  scales: {
    status: 'pass',
    text: 'HPA {{hpa}} scales {{min}}–{{max}} pods ({{minTasks}}–{{maxTasks}} concurrent tasks)',
  },
  'target-off': {
    status: 'info',
    text: 'HPA {{hpa}} scales {{min}}–{{max}} pods ({{minTasks}}–{{maxTasks}} tasks); {{notes}}',
  },
  'no-hpa': {
    status: 'warn',
    text: 'no HPA scales {{deployment}}: it stays at {{replicas}} replicas ({{tasks}} concurrent tasks) whatever the load',
    fix: "enable the chart's HPA (autoscaling values) with a custom metrics adapter",
  },
  'custom-metrics-missing': {
    status: 'fail',
    text: `HPA {{hpa}} cannot scale: the custom metrics API ${CUSTOM_METRICS_API} is not registered`,
    fix: ADAPTER_FIX,
    command: `kubectl get apiservice ${CUSTOM_METRICS_API}`,
  },
  'custom-metrics-unavailable': {
    status: 'fail',
    text: `HPA {{hpa}} cannot scale: the custom metrics API ${CUSTOM_METRICS_API} is not Available ({{why}})`,
    fix: ADAPTER_FIX,
    command: `kubectl get apiservice ${CUSTOM_METRICS_API}`,
  },
  'target-too-high': { status: 'fail', text: 'HPA {{hpa}}: {{problems}}', fix: VALUES_FIX },
  misconfigured: { status: 'warn', text: 'HPA {{hpa}}: {{problems}}', fix: VALUES_FIX },
  'metrics-unreadable': {
    status: 'warn',
    text: 'HPA {{hpa}}: {{problems}}',
    fix: "the HPA cannot read app_active_task_count: check the metrics adapter's rules for the runner metrics and that Prometheus scrapes the pods on 8080 (see network.policy)",
  },
  'no-deployment': { status: 'info', text: 'no runner Deployment found to match an HPA against' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

export default defineCheck({
  id: 'scaling.hpa',
  title: 'HorizontalPodAutoscaler can scale the runner',
  category: 'scaling',
  scope: 'cluster',
  docs: {
    what: `Finds the HPA of the runner Deployment: minReplicas ≥ 2, maxReplicas ≥ min, AverageValue targets ≤ ${TASKS_PER_POD} (${REC_MIN}–${REC_MAX} recommended), its AbleToScale / ScalingActive conditions, and whether the custom metrics API (${CUSTOM_METRICS_API}) is Available.`,
    why: `One runner pod runs at most ${TASKS_PER_POD} tasks: a target above ${TASKS_PER_POD} never scales before pods are full, and without a custom metrics API (e.g. prometheus-adapter) the HPA cannot read app_active_task_count at all.`,
    fix: `Set the HPA target to ${REC_MIN}–${REC_MAX} and install a custom metrics adapter that serves app_active_task_count and app_active_request_count.`,
  },
  needs: ['runnerDeployments', 'runnerHpas', 'customMetricsApi'],
  requires: ['workload.runner-pods'],
  messages,
  judge({ runnerDeployments, runnerHpas, customMetricsApi }, ctx) {
    if (runnerDeployments.length === 0) return ctx.report('no-deployment');
    return runnerDeployments.map((d) => {
      const hpa = hpaFor(runnerHpas, d);
      if (hpa) return judgeHpa(hpa, customMetricsApi, ctx);
      const replicas = d.spec?.replicas ?? 1;
      const deployment = objName(d);
      return ctx.report('no-hpa', { deployment, replicas, tasks: replicas * TASKS_PER_POD }, { target: deployment });
    });
  },
});

/** What the HPA's spec and conditions say: problems (with whether a target is above a pod's capacity) and notes. */
function review(hpa: Hpa) {
  const min = hpa.spec?.minReplicas ?? 1;
  const max = hpa.spec?.maxReplicas ?? 0;
  const problems: string[] = [];
  const notes: string[] = [];
  if (min < 2) problems.push(`minReplicas ${min} < 2 (no redundancy)`);
  if (max < min) problems.push(`maxReplicas ${max} < minReplicas ${min}`);
  let tooHigh = false;
  for (const m of hpa.spec?.metrics ?? []) {
    const v = m.pods?.target?.averageValue ?? m.object?.target?.averageValue;
    if (v === undefined) continue;
    const n = parseQuantity(String(v));
    const metric = m.pods?.metric.name ?? 'metric';
    if (n > TASKS_PER_POD) {
      tooHigh = true;
      problems.push(`${metric} target ${v} > ${TASKS_PER_POD}: pods are full before the HPA scales`);
    } else if (n < REC_MIN || n > REC_MAX) notes.push(`${metric} target ${v} (${REC_MIN}–${REC_MAX} recommended)`);
  }
  let metricsBroken = false;
  for (const type of ['AbleToScale', 'ScalingActive']) {
    const c = hpa.status?.conditions?.find((x) => x.type === type);
    if (c?.status !== 'False') continue;
    if (/FailedGet.*Metric/.test(c.reason ?? '')) metricsBroken = true;
    problems.push(`${type} is False (${c.reason}: ${(c.message ?? '').slice(0, 160)})`);
  }
  return { min, max, problems, notes, tooHigh, metricsBroken };
}

function judgeHpa(hpa: Hpa, api: ApiServiceFact, { report }: JudgeContext<Id>): Finding<Id> {
  const { min, max, problems, notes, tooHigh, metricsBroken } = review(hpa);
  const usesCustom = (hpa.spec?.metrics ?? []).some((m) => m.type === 'Pods' || m.type === 'Object');
  const name = objName(hpa);
  const extra = {
    target: name,
    details: {
      hpa: hpa.metadata?.name,
      minReplicas: min,
      maxReplicas: max,
      capacityAtMax: max * TASKS_PER_POD,
      customMetricsApi: usesCustom ? api : null,
    },
  };
  if (usesCustom && !api.registered) return report('custom-metrics-missing', { hpa: name }, extra);
  if (usesCustom && !api.available) {
    const why = [api.reason, api.message].filter(Boolean).join(': ') || 'no reason given';
    return report('custom-metrics-unavailable', { hpa: name, why }, extra);
  }
  const range = { hpa: name, min, max, minTasks: min * TASKS_PER_POD, maxTasks: max * TASKS_PER_POD };
  if (problems.length)
    return report(
      tooHigh ? 'target-too-high' : metricsBroken ? 'metrics-unreadable' : 'misconfigured',
      { hpa: name, problems: problems.join('; ') },
      extra,
    );
  if (notes.length) return report('target-off', { ...range, notes: notes.join('; ') }, extra);
  return report('scales', range, extra);
}
