// The check contract and the result model. Everything a reporter, a waiver or a dashboard keys on
// (ids, finding codes, statuses, categories) is declared here once.
import type { FactMap, FactName } from './facts.ts';

export const STATUSES = ['pass', 'info', 'warn', 'fail', 'error', 'skip'] as const;
/** pass/info: fine; warn/fail: a finding; error: could not judge (timed out, crashed, denied); skip: not run, with why. */
export type Status = (typeof STATUSES)[number];

/**
 * What a check runs against:
 * - `pod`: each runner environment — each runner pod (through exec), or the local host with `--local`;
 * - `vantage`: each place egress is tested from — the doctor (or the local host) and each runner pod;
 * - `cluster`: once, through the Kubernetes API;
 * - `run`: once, about the run itself (the doctor's own configuration).
 */
export const SCOPES = ['pod', 'vantage', 'cluster', 'run'] as const;
export type Scope = (typeof SCOPES)[number];

/** Categories in report order; a check id starts with its category. */
export const CATEGORIES = [
  'runtime',
  'filesystem',
  'resources',
  'security',
  'environment',
  'credentials',
  'cluster',
  'workload',
  'identity',
  'network',
  'scaling',
  'logs',
  'config',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Why a result is `skip`: the check does not apply, a waiver covers it, or a prerequisite failed. */
export type SkipReason = 'not-applicable' | 'waived' | 'blocked';

export interface Remediation {
  /** What to change and where (a Helm value, a label, an RBAC rule). */
  text: string;
  /** A command that applies or verifies the fix, when one exists. */
  command?: string;
  /** Where it is documented: an anchor in docs/checks.md, or a URL. */
  docs?: string;
}

/**
 * One outcome a check can report, as data: its status and a template whose `{{name}}` placeholders are
 * filled from the values the judge passes. Listed by `explain` and in docs/checks.md.
 */
export interface MessageDef {
  status: Status;
  text: string;
  /** Remediation template; warn/fail/error messages without one fall back to the check's `docs.fix`. */
  fix?: string;
  /** Command template that applies or verifies the fix. */
  command?: string;
  /** Docs anchor (defaults to the check's). */
  docs?: string;
}

export type Vars = Record<string, string | number | boolean | undefined | null>;

/** What a judge returns: a message id with its values; the engine renders, redacts and times it. */
export interface Finding<M extends string = string> {
  messageId: M;
  vars: Vars;
  /** Overrides the target the check ran for (e.g. one result per node or Deployment). */
  target?: string;
  details?: Record<string, unknown>;
}

export interface CheckDocs {
  what: string;
  why: string;
  fix: string;
  /** Anchor in docs/checks.md, derived from the id when omitted. */
  anchor?: string;
}

/** The target a (check, target) pair runs against. */
export interface Target {
  kind: 'local' | 'doctor' | 'cluster' | 'pod';
  /** Human name used in reports: `local`, `doctor`, `cluster`, `matillion/matillion-runner-app-7d9f-abcde`. */
  name: string;
  /** For pod targets: where the exec goes. */
  pod?: { namespace: string; name: string; container: string };
}

/** The facts a check declared, resolved: a check only ever sees values, never a collection failure. */
export type Facts<K extends FactName> = { readonly [P in K]: FactMap[P] };

export interface JudgeContext<M extends string> {
  target: Target;
  /** A finding by message id; `vars` fill the message's placeholders. */
  report(messageId: M, vars?: Vars, extra?: { target?: string; details?: Record<string, unknown> }): Finding<M>;
}

export interface CheckDef<K extends FactName = FactName, M extends string = string> {
  /** Stable id `<category>.<name>`: waivers, dashboards and CI history key on it. */
  id: string;
  title: string;
  category: Category;
  scope: Scope;
  /** Selection tags (`--only aws`). */
  tags?: readonly string[];
  docs: CheckDocs;
  /** Every fact the judge reads; it may read no other (the engine enforces it). */
  needs: readonly K[];
  /** Checks that must have judged without failing, on the same target, for this one to be meaningful. */
  requires?: readonly string[];
  messages: Readonly<Record<M, MessageDef>>;
  /** Pure: facts in, findings out. No I/O, no clock, no errors caught. */
  judge(facts: Facts<K>, ctx: JudgeContext<M>): Finding<M> | Finding<M>[];
}

/** A check as the registry holds it (fact and message types erased). */
export type AnyCheck = CheckDef<FactName, string>;

export interface CheckResult {
  checkId: string;
  /** Stable finding code `<checkId>/<messageId>`; engine outcomes use `error-<kind>`, `skip-waived`, `skip-blocked`. */
  code: string;
  title: string;
  category: Category;
  scope: Scope;
  status: Status;
  message: string;
  target: string;
  details?: Record<string, unknown>;
  remediation?: Remediation;
  durationMs: number;
  skipReason?: SkipReason;
}

export interface RunSummary {
  total: number;
  counts: Record<Status, number>;
}

/** Ordering for thresholds: a status `s` meets threshold `t` when rank(s) >= rank(t). `error` is not a finding. */
export const STATUS_RANK: Record<Status, number> = { skip: 0, pass: 0, info: 1, warn: 2, fail: 3, error: 0 };
