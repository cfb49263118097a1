// Reading the runner's own workload objects: which container is the runner, what its env says.
import type { V1Container, V1Deployment, V1Pod, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';

/** One runner pod runs at most this many concurrent tasks (domain.md §2): capacity = pods × 20. */
export const TASKS_PER_POD = 20;

/** The HPA that scales a Deployment, if any. */
export function hpaFor(hpas: V2HorizontalPodAutoscaler[], d: V1Deployment): V2HorizontalPodAutoscaler | undefined {
  return hpas.find((h) => h.metadata?.namespace === d.metadata?.namespace && h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef.name === d.metadata?.name);
}

export function podName(p: V1Pod): string {
  return `${p.metadata?.namespace ?? 'default'}/${p.metadata?.name ?? '?'}`;
}

/** The runner container: the chart names it `<fullname>-pods`; otherwise the first container. */
export function runnerContainer(p: V1Pod): V1Container | undefined {
  const cs = p.spec?.containers ?? [];
  return cs.find((c) => c.name.endsWith('-pods')) ?? cs[0];
}

/** Literal env values of the runner container (values from Secrets/ConfigMaps are not resolved). */
export function literalEnv(p: V1Pod): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of runnerContainer(p)?.env ?? []) if (e.value !== undefined) out.set(e.name, e.value);
  return out;
}

export function cloudProviderOf(p: V1Pod): 'AWS' | 'AZURE' | 'GCP' | undefined {
  const v = literalEnv(p).get('CLOUD_PROVIDER')?.trim().toUpperCase();
  return v === 'AWS' || v === 'AZURE' || v === 'GCP' ? v : undefined;
}

export const isRunning = (p: V1Pod) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp;
