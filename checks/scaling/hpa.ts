import {
  CUSTOM_METRICS_API,
  HELM,
  HPA_TARGET_RECOMMENDED,
  PLACEHOLDER,
  TASKS_PER_POD,
} from '../../src/domain/chart.ts';
import type { Hpa } from '../../src/domain/kube.ts';
import { parseQuantity } from '../../src/domain/quantity.ts';
import { hpaFor, objName } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { ApiServiceFact } from '../../src/engine/facts.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const { min: REC_MIN, max: REC_MAX } = HPA_TARGET_RECOMMENDED;
const ADAPTER_FIX =
  "install a custom metrics adapter (e.g. prometheus-adapter) that serves app_active_task_count and app_active_request_count from the runner's /actuator/prometheus";
const TARGET_FIX = `lower the AverageValue targets to ${REC_MIN}–${REC_MAX} (${HELM.hpaTarget})`;

const messages = {
  scales: {
    status: 'pass',
    text: 'HPA {{hpa}} scales {{min}}–{{max}} pods ({{minTasks}}–{{maxTasks}} concurrent tasks)',
  },
  'target-off': {
    status: 'info',
    text: 'HPA {{hpa}} scales {{min}}–{{max}} pods ({{minTasks}}–{{maxTasks}} tasks); {{notes}}',
    fix: `set ${HELM.hpaTarget} to ${REC_MIN}–${REC_MAX}: a pod is full at ${TASKS_PER_POD} tasks, and the HPA needs the margin to add a pod in time`,
  },
  'fixed-size': {
    status: 'warn',
    text: 'HPA {{hpa}} has minReplicas = maxReplicas = {{min}}: it never scales — {{tasks}} concurrent tasks at most, whatever the load',
    fix: `set ${HELM.hpaMax} above ${HELM.hpaMin} (the chart's examples use 10; scaling.headroom says how many more pods the nodes hold)`,
  },
  placeholder: {
    status: 'fail',
    text: 'HPA {{hpa}}: {{fields}} still the unfilled chart placeholder ({{values}}): the HPA cannot scale as configured',
    fix: '{{fixes}}',
  },
  'at-max': {
    status: 'warn',
    text: "HPA {{hpa}} is at maxReplicas {{max}} now{{load}}: the runner holds at most {{capacity}} concurrent tasks and further tasks queue in the vendor's gateway",
    fix: `raise ${HELM.hpaMax} (scaling.headroom says whether the nodes have room for more runner pods)`,
  },
  'scaling-disabled': {
    status: 'warn',
    text: 'HPA {{hpa}} does not scale: {{why}}',
    fix: 'scale the runner Deployment back up (kubectl scale deployment --replicas=2): an HPA never scales a target that is at 0 replicas',
    command: 'kubectl describe hpa -n {{namespace}} {{name}}',
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
  'target-too-high': { status: 'fail', text: 'HPA {{hpa}}: {{problems}}', fix: '{{fixes}}' },
  misconfigured: { status: 'warn', text: 'HPA {{hpa}}: {{problems}}', fix: '{{fixes}}' },
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
    what: `Finds the HPA of the runner Deployment: minReplicas ≥ 2, maxReplicas above min (min = max never scales), no unfilled <Placeholder>, AverageValue targets ≤ ${TASKS_PER_POD} (${REC_MIN}–${REC_MAX} recommended), whether it is at maxReplicas now (tasks queue beyond pods × ${TASKS_PER_POD}), its conditions read by their reason (ScalingLimited/TooFewReplicas at minReplicas is healthy; TooManyReplicas is the ceiling; FailedGet*Metric means no metrics; ScalingDisabled a target at 0), and whether the custom metrics API (${CUSTOM_METRICS_API}) is Available.`,
    why: `One runner pod runs at most ${TASKS_PER_POD} tasks: a target above ${TASKS_PER_POD} never scales before pods are full, and without a custom metrics API (e.g. prometheus-adapter) the HPA cannot read app_active_task_count at all.`,
    fix: `Set ${HELM.hpaMin} ≥ 2, ${HELM.hpaMax} above it and ${HELM.hpaTarget} to ${REC_MIN}–${REC_MAX}, and install a custom metrics adapter that serves app_active_task_count and app_active_request_count.`,
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

interface Problem {
  text: string;
  fix: string;
}

/** Conditions read by their reason: which ones mean the HPA cannot do its job. */
const METRICS_REASON = /^FailedGet\w*Metric$/;

/** What the HPA's spec and conditions say: problems (each with the Helm value that fixes it), notes and state. */
function review(hpa: Hpa) {
  const min = hpa.spec?.minReplicas ?? 1;
  const max = hpa.spec?.maxReplicas ?? 0;
  const problems: Problem[] = [];
  const notes: string[] = [];
  const placeholders: { field: string; value: string; fix: string }[] = [];
  if (PLACEHOLDER.test(String(max)))
    placeholders.push({
      field: 'maxReplicas',
      value: String(max),
      fix: `set ${HELM.hpaMax} to a number (10 in the chart's examples)`,
    });
  if (min < 2)
    problems.push({
      text: `minReplicas ${min} < 2 (no redundancy)`,
      fix: `set ${HELM.hpaMin} to 2 or more: with one pod, every running task stops when it is replaced`,
    });
  if (max < min)
    problems.push({
      text: `maxReplicas ${max} < minReplicas ${min}`,
      fix: `set ${HELM.hpaMax} at or above ${HELM.hpaMin}`,
    });
  let tooHigh = false;
  for (const m of hpa.spec?.metrics ?? []) {
    const v = m.pods?.target?.averageValue ?? m.object?.target?.averageValue;
    if (v === undefined) continue;
    const metric = m.pods?.metric.name ?? 'metric';
    if (PLACEHOLDER.test(String(v))) {
      placeholders.push({
        field: `the ${metric} target`,
        value: String(v),
        fix: `set ${HELM.hpaTarget} to ${REC_MIN}–${REC_MAX}`,
      });
      continue;
    }
    const n = parseQuantity(String(v));
    if (n > TASKS_PER_POD) {
      tooHigh = true;
      problems.push({
        text: `${metric} target ${v} > ${TASKS_PER_POD}: pods are full before the HPA scales`,
        fix: TARGET_FIX,
      });
    } else if (n < REC_MIN || n > REC_MAX) notes.push(`${metric} target ${v} (${REC_MIN}–${REC_MAX} recommended)`);
  }
  let metricsBroken = false;
  let disabled: string | undefined;
  for (const type of ['AbleToScale', 'ScalingActive']) {
    const c = hpa.status?.conditions?.find((x) => x.type === type);
    if (c?.status !== 'False') continue;
    const reason = c.reason ?? '';
    const said = `${type} is False (${reason}: ${(c.message ?? '').slice(0, 160)})`;
    if (reason === 'ScalingDisabled') disabled = said;
    else if (METRICS_REASON.test(reason)) {
      metricsBroken = true;
      problems.push({ text: said, fix: 'see metrics-unreadable' });
    } else
      problems.push({
        text: said,
        fix:
          type === 'AbleToScale'
            ? "the HPA controller cannot read or change the Deployment's scale: check spec.scaleTargetRef names the runner Deployment"
            : 'fix what the condition names in the HPA spec (metric source, selector)',
      });
  }
  // ScalingLimited is information: TooFewReplicas at minReplicas is an idle runner; TooManyReplicas the ceiling.
  const limited = hpa.status?.conditions?.find((x) => x.type === 'ScalingLimited' && x.status === 'True');
  const current = hpa.status?.currentReplicas ?? 0;
  const atMax = max > 0 && (limited?.reason === 'TooManyReplicas' || current >= max);
  return { min, max, problems, notes, placeholders, tooHigh, metricsBroken, disabled, atMax };
}

/** ` (app_active_task_count averages 19 per pod against a target of 16)` from the HPA's own status. */
function loadNote(hpa: Hpa): string {
  const metric = hpa.spec?.metrics?.find((m) => m.type === 'Pods')?.pods;
  if (!metric) return '';
  const current = hpa.status?.currentMetrics?.find((m) => m.pods?.metric.name === metric.metric.name)?.pods?.current
    .averageValue;
  if (current === undefined) return '';
  const avg = Math.round(parseQuantity(String(current)) * 10) / 10;
  return ` (${metric.metric.name} averages ${avg} per pod against a target of ${metric.target.averageValue ?? '?'})`;
}

function judgeHpa(hpa: Hpa, api: ApiServiceFact, { report }: JudgeContext<Id>): Finding<Id> {
  const { min, max, problems, notes, placeholders, tooHigh, metricsBroken, disabled, atMax } = review(hpa);
  const usesCustom = (hpa.spec?.metrics ?? []).some((m) => m.type === 'Pods' || m.type === 'Object');
  const name = objName(hpa);
  const extra = {
    target: name,
    details: {
      hpa: hpa.metadata?.name,
      minReplicas: min,
      maxReplicas: max,
      currentReplicas: hpa.status?.currentReplicas ?? null,
      capacityAtMax: max * TASKS_PER_POD,
      customMetricsApi: usesCustom ? api : null,
    },
  };
  if (usesCustom && !api.registered) return report('custom-metrics-missing', { hpa: name }, extra);
  if (usesCustom && !api.available) {
    const why = [api.reason, api.message].filter(Boolean).join(': ') || 'no reason given';
    return report('custom-metrics-unavailable', { hpa: name, why }, extra);
  }
  if (placeholders.length)
    return report(
      'placeholder',
      {
        hpa: name,
        fields: `${placeholders.map((p) => p.field).join(' and ')} ${placeholders.length > 1 ? 'are' : 'is'}`,
        values: placeholders.map((p) => p.value).join(', '),
        fixes: placeholders.map((p) => p.fix).join('; '),
      },
      extra,
    );
  const range = { hpa: name, min, max, minTasks: min * TASKS_PER_POD, maxTasks: max * TASKS_PER_POD };
  // min = max never scales, whatever its metrics say: that is the one thing to change first.
  if (min === max && min >= 2 && !tooHigh)
    return report('fixed-size', { hpa: name, min, tasks: min * TASKS_PER_POD }, extra);
  if (problems.length) {
    const fixes = [...new Set(problems.map((p) => p.fix).filter((f) => f !== 'see metrics-unreadable'))];
    return report(
      tooHigh ? 'target-too-high' : metricsBroken ? 'metrics-unreadable' : 'misconfigured',
      { hpa: name, problems: problems.map((p) => p.text).join('; '), fixes: fixes.join('; ') },
      extra,
    );
  }
  if (disabled) {
    const [namespace = '', hpaName = ''] = name.split('/');
    return report('scaling-disabled', { hpa: name, why: disabled, namespace, name: hpaName }, extra);
  }
  if (atMax) return report('at-max', { hpa: name, max, capacity: max * TASKS_PER_POD, load: loadNote(hpa) }, extra);
  if (notes.length) return report('target-off', { ...range, notes: notes.join('; ') }, extra);
  return report('scales', range, extra);
}
