// Runs the registered checks against a fixture tree through the real local probe, the live fact store
// and the real engine: the pipeline of `check --local`, without spawning the CLI.
import { CHECKS } from '../../checks/index.ts';
import { runChecks } from '../../src/engine/run.ts';
import type { CheckResult } from '../../src/engine/types.ts';
import { EgressPlan } from '../../src/facts/egress/plan.ts';
import { LiveFactStore } from '../../src/facts/store.ts';
import { Redactor } from '../../src/redact/redact.ts';
import { Bound } from '../../src/util/bound.ts';
import { makeFixture, type FixtureOptions } from './fixture-root.ts';

export function localStore(root: string, env: NodeJS.ProcessEnv): LiveFactStore {
  const now = Date.now();
  return new LiveFactStore({
    mode: 'local',
    signal: new AbortController().signal,
    redactor: new Redactor().addEnv(env),
    config: { waivers: [] },
    now,
    env,
    local: { root, env },
    egress: new EgressPlan({ targets: [], override: {}, derived: false, caFiles: [], dnsServers: [] }),
    probeTimeoutMs: 30_000,
    execSlots: new Bound(1),
    podTargets: [],
  });
}

export async function checkFixture(opts: FixtureOptions, only?: string[]): Promise<Map<string, CheckResult[]>> {
  const fx = makeFixture(opts);
  try {
    const checks = only ? CHECKS.filter((c) => only.includes(c.id)) : CHECKS;
    const store = localStore(fx.root, fx.env);
    const out = await runChecks({
      checks,
      targets: [{ target: { kind: 'local', name: 'local' }, scopes: ['pod', 'vantage', 'run'] }],
      store,
      now: store.run.now,
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
  const [first] = r ?? [];
  if (!first || r?.length !== 1) throw new Error(`expected exactly one result for ${id}, got ${r?.length ?? 0}`);
  return first;
}
