// The live fact store: each fact collected once (per run, or per target) by its collector, shared by
// every check that reads it, and recorded — value or error — for `--save-snapshot`. Anything a collector
// throws that is not a FactError is a bug; it is wrapped so the engine still reports it as one.
import { FactError, type FactMap, type FactName, type SerializedFactError } from '../engine/facts.ts';
import type { FactStore } from '../engine/run.ts';
import type { Target } from '../engine/types.ts';
import { Memo } from '../util/memo.ts';
import type { CollectContext, RunResources } from './collector.ts';
import { COLLECTORS } from './registry.ts';

export type RecordedFact = { value: unknown } | { error: SerializedFactError };

export class LiveFactStore implements FactStore {
  readonly run: RunResources;
  readonly #facts = new Memo();
  readonly #shared = new Memo();
  /** Settled facts by scope key (`run` or a target name), for the snapshot. */
  readonly recorded = new Map<string, Map<FactName, RecordedFact>>();

  constructor(run: RunResources) {
    this.run = run;
  }

  /** Work shared by collectors (`CollectContext.shared`), also started ahead of them by the check command's prefetch. */
  shared<T>(key: string, f: () => Promise<T>): Promise<T> {
    return this.#shared.once(key, f);
  }

  get<F extends FactName>(target: Target, name: F): Promise<FactMap[F]> {
    const c = COLLECTORS.get(name);
    if (!c) return Promise.reject(new FactError('unavailable', `no collector for the fact "${name}"`));
    const scopeKey = c.scope === 'run' ? 'run' : target.name;
    return this.#facts.once(`${scopeKey}\u0000${name}`, async () => {
      const ctx: CollectContext = {
        run: this.run,
        target,
        get: (n) => this.get(target, n),
        getFor: (t, n) => this.get(t, n),
        shared: (key, f) => this.shared(key, f),
      };
      const record = (r: RecordedFact) => {
        let m = this.recorded.get(scopeKey);
        if (!m) this.recorded.set(scopeKey, (m = new Map()));
        m.set(name, r);
      };
      try {
        const value = (await c.collect(ctx)) as FactMap[F];
        record({ value });
        return value;
      } catch (e) {
        const err =
          e instanceof FactError
            ? e
            : new FactError(
                'unavailable',
                `collecting ${name} crashed: ${e instanceof Error ? e.message : String(e)}`,
                'this is a bug in runner-doctor: please report it with the JSON report attached',
              );
        record({ error: err.toJSON() });
        throw err;
      }
    });
  }
}
