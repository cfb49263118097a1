// Reading the runner's own workload objects: which container is the runner, what its env says, which
// HPA scales it, where it serves its metrics.
import { METRICS_PATH, METRICS_PORT } from './chart.ts';
import type { Container, Deployment, EventInfo, Hpa, Pod, PodSpec } from './kube.ts';
import { asProvider, type Provider } from './platforms.ts';

/** `namespace/name` of any object. */
export function objName(o: { metadata?: { namespace?: string; name?: string } }): string {
  return `${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? '?'}`;
}
export const podName = objName;

/** The runner container: the chart names it `<fullname>-pods`; otherwise the first container. */
export function runnerContainer(p: { spec?: PodSpec }): Container | undefined {
  const cs = p.spec?.containers ?? [];
  return cs.find((c) => c.name.endsWith('-pods')) ?? cs[0];
}

/** Literal env values of the runner container (values from Secrets/ConfigMaps are not resolved). */
export function literalEnv(p: { spec?: PodSpec }): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of runnerContainer(p)?.env ?? [])
    if (e.value !== undefined && e.value !== null) out.set(e.name, e.value);
  return out;
}

export function cloudProviderOf(p: { spec?: PodSpec }): Provider | undefined {
  return asProvider(literalEnv(p).get('CLOUD_PROVIDER'));
}

export const isRunning = (p: Pod): boolean => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp;

/** The HPA that scales a Deployment, if any. */
export function hpaFor(hpas: readonly Hpa[], d: Deployment): Hpa | undefined {
  return hpas.find(
    (h) =>
      h.metadata?.namespace === d.metadata?.namespace &&
      h.spec?.scaleTargetRef?.kind === 'Deployment' &&
      h.spec.scaleTargetRef.name === d.metadata?.name,
  );
}

/** The runner pods a Deployment owns: same namespace, its selector's labels, not being deleted. */
export function podsOf(d: Deployment, pods: readonly Pod[]): Pod[] {
  const selector = d.spec?.selector?.matchLabels ?? {};
  return pods.filter(
    (p) =>
      p.metadata?.namespace === d.metadata?.namespace &&
      Object.entries(selector).every(([k, v]) => p.metadata?.labels?.[k] === v) &&
      !p.metadata?.deletionTimestamp,
  );
}

/** Where a runner pod serves its metrics: the prometheus.io annotations, else the port named `metrics`, else 8080. */
export function metricsEndpoint(pod: Pod): { port: number; path: string; url: string } {
  const ann = pod.metadata?.annotations ?? {};
  const named = pod.spec?.containers?.flatMap((c) => c.ports ?? []).find((p) => p.name === 'metrics')?.containerPort;
  const port = /^\d+$/.test(ann['prometheus.io/port'] ?? '')
    ? Number(ann['prometheus.io/port'])
    : (named ?? METRICS_PORT);
  const path = (ann['prometheus.io/path'] || METRICS_PATH).replace(/^\/*/, '/');
  return { port, path, url: `http://${pod.status?.podIP ?? pod.metadata?.name}:${port}${path}` };
}

/** The most recent event about a pod that satisfies `pred` (by last occurrence, else list order). */
export function lastPodEvent(
  events: readonly EventInfo[],
  p: Pod,
  pred: (e: EventInfo) => boolean,
): EventInfo | undefined {
  const mine = events.filter(
    (e) => e.kind === 'Pod' && e.namespace === p.metadata?.namespace && e.name === p.metadata?.name && pred(e),
  );
  // A stable sort: events without a time keep their list order, before the timed ones.
  return mine
    .map((e, i) => ({ e, i, t: e.last ? Date.parse(e.last) : Number.NEGATIVE_INFINITY }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .at(-1)?.e;
}
