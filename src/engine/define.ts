// defineCheck keeps a check's fact names and message ids typed; the rest of a check is data and a judge.
import type { FactName } from './facts.ts';
import type { CheckDef } from './types.ts';

export function defineCheck<K extends FactName, M extends string>(def: CheckDef<K, M>): CheckDef<K, M> {
  return def;
}
