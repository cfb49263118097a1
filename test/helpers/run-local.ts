// Runs the registered checks against a fixture through the real probe and the real engine.
import { CHECKS } from '../../checks/index.ts';
import { runChecks } from '../../src/engine/run.ts';
import { localFactSource } from '../../src/facts/local.ts';
import type { CheckResult } from '../../src/engine/types.ts';
import { makeFixture, type FixtureOptions } from './fixture-root.ts';

export async function checkFixture(opts: FixtureOptions, only?: string[]): Promise<Map<string, CheckResult[]>> {
  const fx = makeFixture(opts);
  try {
    const checks = only ? CHECKS.filter((c) => only.includes(c.id)) : CHECKS;
    const out = await runChecks({
      checks,
      targets: [{ target: { kind: 'local', name: 'local' }, scopes: ['local', 'pod'], source: localFactSource({ root: fx.root, env: fx.env }, { waivers: [], now: new Date() }) }],
    });
    const byId = new Map<string, CheckResult[]>();
    for (const r of out.results) byId.set(r.checkId, [...(byId.get(r.checkId) ?? []), r]);
    return byId;
  } finally {
    fx.cleanup();
  }
}

export function one(results: Map<string, CheckResult[]>, id: string): CheckResult {
  const r = results.get(id);
  if (!r || r.length !== 1) throw new Error(`expected exactly one result for ${id}, got ${r?.length ?? 0}`);
  return r[0]!;
}
