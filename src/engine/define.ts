// Helpers every check module uses: an identity function that keeps the fact names typed, and short
// outcome builders so a check reads as its judgement.
import type { FactName } from '../facts/fact-map.ts';
import type { CheckDef, Outcome, Remediation } from './types.ts';

export function defineCheck<K extends FactName>(def: CheckDef<K>): CheckDef<K> {
  return def;
}

type Extra = { details?: Record<string, unknown>; remediation?: Remediation | string; target?: string };
const make =
  (status: Outcome['status']) =>
  (message: string, extra: Extra = {}): Outcome => ({
    status,
    message,
    ...(extra.target ? { target: extra.target } : {}),
    ...(extra.details ? { details: extra.details } : {}),
    ...(extra.remediation ? { remediation: typeof extra.remediation === 'string' ? { text: extra.remediation } : extra.remediation } : {}),
  });

export const pass = make('pass');
export const info = make('info');
export const warn = make('warn');
export const fail = make('fail');
export const skip = make('skip');

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
export function fmtBytes(n: number): string {
  let v = n;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${UNITS[i]}`;
}
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
export const pct = (part: number, whole: number) => Math.round((part / whole) * 1000) / 10;
