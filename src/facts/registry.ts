// Every fact's collector, by name. The registry test checks that every fact a check declares has one,
// and `runner-doctor manifest` derives the RBAC of a run from the collectors of the facts it needs.
import type { FactName, RbacRule } from '../engine/facts.ts';
import { type Collector, collector } from './collector.ts';
import { EGRESS_COLLECTORS } from './egress/collectors.ts';
import { KUBE_COLLECTORS, kube } from './kube/collectors.ts';
import { POD_COLLECTORS } from './pod/collectors.ts';

const RUN_COLLECTORS = [
  collector({
    name: 'config',
    scope: 'run',
    describe: "the run's own configuration (waivers)",
    rbac: [],
    collect: async (ctx) => ctx.run.config,
  }),
  collector({ name: 'now', scope: 'run', describe: "the run's clock", rbac: [], collect: async (ctx) => ctx.run.now }),
  collector({
    name: 'kubeScope',
    scope: 'run',
    describe: 'the namespace, release or pod the run was asked to examine',
    rbac: [],
    collect: async (ctx) => kube(ctx).scope,
  }),
] as const;

const ALL: readonly Collector[] = [...RUN_COLLECTORS, ...KUBE_COLLECTORS, ...POD_COLLECTORS, ...EGRESS_COLLECTORS];

export const COLLECTORS: ReadonlyMap<FactName, Collector> = new Map(ALL.map((c) => [c.name, c]));

/** The rules a set of facts needs, the facts their collectors use included, each rule once. */
export function rulesFor(facts: Iterable<FactName>): RbacRule[] {
  const seen = new Set<FactName>();
  const visit = (f: FactName) => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const u of COLLECTORS.get(f)?.uses ?? []) visit(u);
  };
  for (const f of facts) visit(f);
  const out = new Map<string, RbacRule>();
  for (const f of seen) for (const r of COLLECTORS.get(f)?.rbac ?? []) out.set(JSON.stringify(r), r);
  return [...out.values()];
}
