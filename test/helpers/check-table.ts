// A table tester for checks, in the spirit of ESLint's RuleTester: for each check, tables of facts that
// must judge clean (`valid`) and tables that must catch a fault (`invalid`), asserting finding codes —
// `<checkId>/<messageId>` — not message prose. Every case goes through the engine's own judge path, so a
// fact read without being declared, an unknown message id or an unfilled placeholder fails the case.
import { describe, expect, it } from 'vitest';
import type { FactMap } from '../../src/engine/facts.ts';
import { judgeCheck } from '../../src/engine/run.ts';
import type { AnyCheck, CheckDef, CheckResult, Target } from '../../src/engine/types.ts';

export interface TableCase {
  name: string;
  facts: Partial<FactMap>;
  /** The finding codes the check must produce, in order (the `<checkId>/` prefix may be left out). */
  codes: string[];
  target?: Target;
  /** Further assertions on the results (details, rendered messages). */
  expect?: (results: CheckResult[]) => void;
}

export interface CheckTable {
  check: AnyCheck;
  valid: TableCase[];
  invalid: TableCase[];
}

/** Every code any table produced, for the "every message is reachable" test. */
export const producedCodes = new Set<string>();

const defaultTarget = (check: AnyCheck): Target =>
  check.scope === 'cluster'
    ? { kind: 'cluster', name: 'cluster' }
    : check.scope === 'run'
      ? { kind: 'doctor', name: 'doctor' }
      : {
          kind: 'pod',
          name: 'matillion/matillion-runner-app-0',
          pod: { namespace: 'matillion', name: 'matillion-runner-app-0', container: 'matillion-runner-pods' },
        };

export function table<K extends keyof FactMap, M extends string>(
  check: CheckDef<K, M>,
  t: { valid: TableCase[]; invalid: TableCase[] },
): CheckTable {
  return { check: check as unknown as AnyCheck, ...t };
}

function judge(check: AnyCheck, c: TableCase): CheckResult[] {
  return judgeCheck(check, c.facts, c.target ?? defaultTarget(check));
}

const full = (check: AnyCheck, code: string) => (code.includes('/') ? code : `${check.id}/${code}`);

export function runTable(t: CheckTable): void {
  describe(t.check.id, () => {
    for (const kind of ['valid', 'invalid'] as const) {
      for (const c of t[kind]) {
        it(`${kind}: ${c.name}`, () => {
          const rs = judge(t.check, c);
          for (const r of rs) producedCodes.add(r.code);
          expect(rs.map((r) => r.code)).toEqual(c.codes.map((code) => full(t.check, code)));
          const findings = rs.filter((r) => r.status === 'warn' || r.status === 'fail' || r.status === 'error');
          if (kind === 'valid') expect(findings.map((r) => `${r.code}: ${r.message}`)).toEqual([]);
          else expect(findings.length, 'an invalid case must produce a warn or fail').toBeGreaterThan(0);
          for (const r of rs) expect(r.message).not.toMatch(/\{\{|\bundefined\b|\bNaN\b|\[object Object\]/);
          c.expect?.(rs);
        });
      }
    }
  });
}
