// The custom metrics API as the runner's HPA reads it (domain.md §1, §2, §9): the metric it scales on, the
// MetricValueList wire format (custom.metrics.k8s.io/v1beta1), and what the vendor's bundled Prometheus
// scrapes — only namespace `matillion` and pods labelled `app=matillion-runner-pods` — so a runner
// installed elsewhere, or under another release name, has no series and the HPA shows `<unknown>`.
import { parseQuantity } from './quantity.ts';

/** The metric the chart's HPA scales on (AverageValue per pod). */
export const TASK_METRIC = 'app_active_task_count';
export const CUSTOM_METRICS_GROUP = 'custom.metrics.k8s.io';
export const CUSTOM_METRICS_VERSION = 'v1beta1';

/** What the vendor's Prometheus (its separate prometheus chart) scrapes by default. */
export const VENDOR_SCRAPE = { namespace: 'matillion', app: 'matillion-runner-pods' } as const;

/** Metrics of a freshly started pod appear after a scrape and an adapter relist: `<unknown>` before that is normal. */
export const METRICS_STARTUP_MS = 5 * 60_000;

/** The custom metrics API's answer for the runner pods of one namespace. */
export interface CustomMetricValues {
  namespace: string;
  metric: string;
  /** Pod name → value, for every pod the API returned a value for. */
  values: Record<string, number>;
  /** Why the API returned no list at all: the HTTP status and the server's words (no such metric, no adapter …). */
  error?: { status?: number; message: string };
}

/** One item of a v1beta1 MetricValueList, as the wire has it. */
export interface MetricValue {
  describedObject?: { kind?: string; namespace?: string; name?: string; apiVersion?: string };
  metricName?: string;
  timestamp?: string;
  windowSeconds?: number;
  value?: string;
}

export interface MetricValueList {
  kind?: string;
  apiVersion?: string;
  items?: MetricValue[];
}

/** The path the HPA controller reads a Pods metric from (the `*` asks for every pod the selector matches). */
export function podsMetricPath(namespace: string, metric: string): string {
  return `/apis/${CUSTOM_METRICS_GROUP}/${CUSTOM_METRICS_VERSION}/namespaces/${encodeURIComponent(namespace)}/pods/*/${encodeURIComponent(metric)}`;
}

/** Pod → value from a MetricValueList; items that are not pods of that namespace or not numbers are dropped. */
export function valuesByPod(list: MetricValueList, namespace: string, metric: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of list.items ?? []) {
    const o = it.describedObject;
    if (o?.kind !== 'Pod' || !o.name || (o.namespace && o.namespace !== namespace)) continue;
    if (it.metricName && it.metricName !== metric) continue;
    const v = parseQuantity(it.value ?? '');
    if (Number.isFinite(v)) out[o.name] = v;
  }
  return out;
}

/** A Prometheus server pod (prometheus-community chart, kube-prometheus-stack, the vendor's), not its helpers. */
export function isPrometheusServer(p: { name: string; app?: string; labels?: Record<string, string> }): boolean {
  const l = p.labels ?? {};
  const component = l['app.kubernetes.io/component'] ?? l.component ?? '';
  if (p.app !== 'prometheus' && !/^prometheus-(server|.*-prometheus-\d+$)/.test(p.name)) return false;
  return !/alertmanager|node-exporter|pushgateway|kube-state-metrics|adapter|operator/.test(`${component} ${p.name}`);
}
