import { defineCheck, fail, info, pass, warn } from '../../src/engine/define.ts';
import type { Outcome } from '../../src/engine/types.ts';
import { parseQuantity } from '../../src/facts/kube/quantity.ts';
import { hpaFor, TASKS_PER_POD } from '../../src/facts/kube/runner.ts';

export const CUSTOM_METRICS_API = 'v1beta1.custom.metrics.k8s.io';

export default defineCheck({
  id: 'scaling.hpa',
  title: 'HorizontalPodAutoscaler can scale the runner',
  category: 'scaling',
  scope: 'cluster',
  severity: 'warn',
  docs: {
    what: `Finds the HPA of the runner Deployment: minReplicas ≥ 2, maxReplicas ≥ min, AverageValue targets ≤ 20 (15–17 recommended), its AbleToScale / ScalingActive conditions, and whether the custom metrics API (${CUSTOM_METRICS_API}) is Available.`,
    why: 'One runner pod runs at most 20 tasks: a target above 20 never scales before pods are full, and without a custom metrics API (e.g. prometheus-adapter) the HPA cannot read app_active_task_count at all.',
    fix: 'Set the HPA target to 15–17 and install a custom metrics adapter that serves app_active_task_count and app_active_request_count.',
  },
  needs: ['kube'],
  requires: ['workload.runner-pods'],
  async run({ fact }) {
    const snap = await fact('kube');
    const [hpas, deployments] = await Promise.all([snap.hpas(), snap.deployments()]);
    const out: Outcome[] = [];
    for (const d of deployments) {
      const target = `${d.metadata?.namespace}/${d.metadata?.name}`;
      const hpa = hpaFor(hpas, d);
      if (!hpa) {
        out.push(warn(`no HPA scales ${target}: it stays at ${d.spec?.replicas ?? 1} replicas (${(d.spec?.replicas ?? 1) * TASKS_PER_POD} concurrent tasks) whatever the load`, { target, remediation: 'enable the chart\'s HPA (autoscaling values) with a custom metrics adapter' }));
        continue;
      }
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
        if (n > 20) {
          tooHigh = true;
          problems.push(`${m.pods?.metric.name ?? 'metric'} target ${v} > 20: pods are full before the HPA scales`);
        } else if (n < 15 || n > 17) notes.push(`${m.pods?.metric.name ?? 'metric'} target ${v} (15–17 recommended)`);
      }
      const conds = hpa.status?.conditions ?? [];
      let metricsBroken = false;
      for (const t of ['AbleToScale', 'ScalingActive']) {
        const c = conds.find((x) => x.type === t);
        if (c?.status !== 'False') continue;
        if (/FailedGet.*Metric/.test(c.reason ?? '')) metricsBroken = true;
        problems.push(`${t} is False (${c.reason}: ${(c.message ?? '').slice(0, 160)})`);
      }
      const usesCustom = (hpa.spec?.metrics ?? []).some((m) => m.type === 'Pods' || m.type === 'Object');
      const api = usesCustom ? await snap.apiService(CUSTOM_METRICS_API).catch(() => undefined) : undefined;
      const details = { hpa: hpa.metadata?.name, minReplicas: min, maxReplicas: max, capacityAtMax: max * TASKS_PER_POD, customMetricsApi: api ?? null };
      const hpaTarget = `${hpa.metadata?.namespace}/${hpa.metadata?.name}`;
      if (usesCustom && (!api || !api.available)) {
        out.push(fail(`HPA ${hpaTarget} cannot scale: the custom metrics API ${CUSTOM_METRICS_API} is ${api ? `not Available (${api.reason}: ${api.message})` : 'not registered'}`, { target: hpaTarget, details, remediation: { text: 'install a custom metrics adapter (e.g. prometheus-adapter) that serves app_active_task_count and app_active_request_count from the runner\'s /actuator/prometheus', command: `kubectl get apiservice ${CUSTOM_METRICS_API}` } }));
        continue;
      }
      const fix = metricsBroken
        ? 'the HPA cannot read app_active_task_count: check the metrics adapter\'s rules for the runner metrics and that Prometheus scrapes the pods on 8080 (see network.policy)'
        : 'set minReplicas ≥ 2 and the AverageValue targets to 15–17 in the chart\'s autoscaling values';
      if (problems.length) out.push((tooHigh ? fail : warn)(`HPA ${hpaTarget}: ${problems.join('; ')}`, { target: hpaTarget, details, remediation: fix }));
      else if (notes.length) out.push(info(`HPA ${hpaTarget} scales ${min}–${max} pods (${min * TASKS_PER_POD}–${max * TASKS_PER_POD} tasks); ${notes.join('; ')}`, { target: hpaTarget, details }));
      else out.push(pass(`HPA ${hpaTarget} scales ${min}–${max} pods (${min * TASKS_PER_POD}–${max * TASKS_PER_POD} concurrent tasks)`, { target: hpaTarget, details }));
    }
    return out.length ? out : [info('no runner Deployment found to match an HPA against')];
  },
});
