// Every fact's collector, by name. The registry test checks that every fact a check declares has one,
// and `runner-doctor manifest` derives the RBAC of a run from the collectors of the facts it needs.
import type { FactName, RbacRule } from '../engine/facts.ts';
import { type Collector, collector } from './collector.ts';
import { EGRESS_COLLECTORS } from './egress/collectors.ts';
import { KUBE_COLLECTORS, kube } from './kube/collectors.ts';
import { POD_COLLECTORS } from './pod/collectors.ts';
import { CLOUD_COLLECTORS } from './cloud/collectors.ts';
import { IDENTITY_COLLECTORS } from './identity/collectors.ts';
import { PLATFORM_COLLECTORS } from './kube/platform-collectors.ts';
import { SCALING_COLLECTORS } from './kube/scaling-collectors.ts';
import { NETWORK_COLLECTORS } from './kube/network-collectors.ts';

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

const ALL: readonly Collector[] = [
  ...RUN_COLLECTORS,
  ...KUBE_COLLECTORS,
  ...POD_COLLECTORS,
  ...EGRESS_COLLECTORS,
  ...CLOUD_COLLECTORS,
  ...PLATFORM_COLLECTORS,
  ...IDENTITY_COLLECTORS,
  ...SCALING_COLLECTORS,
  ...NETWORK_COLLECTORS,
];

export const COLLECTORS: ReadonlyMap<FactName, Collector> = new Map(ALL.map((c) => [c.name, c]));

/** The facts a set of facts is collected from: themselves and, transitively, what their collectors use. */
export function factClosure(
  facts: Iterable<FactName>,
  o: { namespaced?: boolean; failingOnly?: boolean } = {},
): Set<FactName> {
  const seen = new Set<FactName>();
  const visit = (f: FactName) => {
    if (seen.has(f)) return;
    seen.add(f);
    const c = COLLECTORS.get(f);
    // A partial collector does not fail with what it uses: for "which checks fail", stop there.
    if (o.failingOnly && c?.partial) return;
    for (const u of [...(c?.uses ?? []), ...(o.namespaced === false ? (c?.usesWithoutNamespace ?? []) : [])]) visit(u);
  };
  for (const f of facts) visit(f);
  return seen;
}

/** The rules a set of facts needs, the facts their collectors use included, each rule once. */
export function rulesFor(facts: Iterable<FactName>, o: { namespaced?: boolean } = {}): RbacRule[] {
  const seen = factClosure(facts, { namespaced: o.namespaced ?? true });
  const out = new Map<string, RbacRule>();
  for (const f of seen) for (const r of COLLECTORS.get(f)?.rbac ?? []) out.set(JSON.stringify(r), r);
  return [...out.values()];
}
