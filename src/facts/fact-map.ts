// Every fact a check can ask for, by name. A collector provides each one per target.
import type { ProbeFacts } from '../probe/facts.ts';
import type { Waiver } from '../engine/waivers.ts';
import type { KubeSnapshot } from './kube/snapshot.ts';
import type { EgressView } from '../egress/plan.ts';

export interface RunConfigFacts {
  /** The config file the run used, if any. */
  path?: string;
  waivers: readonly Waiver[];
  now: Date;
}

export interface FactMap {
  /** What the probe saw inside a runner environment (the local host or a pod). */
  probe: ProbeFacts;
  /** The run's own configuration (waivers), for checks about the doctor's setup. */
  config: RunConfigFacts;
  /** The cluster through the Kubernetes API: one shared, lazily collected snapshot. */
  kube: KubeSnapshot;
  /** Egress to the control plane, cloud APIs and registries as seen from this target (the doctor or a pod). */
  egress: EgressView;
  /** Every target's egress view (the doctor's and each pod's), for conclusions across them. */
  egressViews: EgressView[];
}

export type FactName = keyof FactMap;

/** A fact that could not be collected: its message and remediation become the check's `error` result. */
export class FactError extends Error {
  readonly remediation?: string;
  readonly kind: string;
  constructor(kind: string, message: string, remediation?: string) {
    super(message);
    this.kind = kind;
    this.remediation = remediation;
  }
}

/** Provides facts for one target; the engine memoises each fact per target. */
export interface FactSource {
  collect<F extends FactName>(name: F, signal: AbortSignal): Promise<FactMap[F]>;
}

export type FactProviders = { [K in FactName]?: (signal: AbortSignal) => Promise<FactMap[K]> | FactMap[K] };

/** A fact source from a table of providers; asking for anything else is a FactError. */
export function factSource(providers: FactProviders, targetName: string): FactSource {
  return {
    async collect<F extends FactName>(name: F, signal: AbortSignal): Promise<FactMap[F]> {
      const provider = providers[name] as ((s: AbortSignal) => Promise<FactMap[F]> | FactMap[F]) | undefined;
      if (!provider) throw new FactError('unavailable', `${name} facts are not available for ${targetName}`);
      return provider(signal);
    },
  };
}
