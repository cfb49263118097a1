// The check contract and the result model. Everything a reporter, a waiver or a dashboard keys on
// (ids, statuses, categories) is declared here once.
import type { FactMap } from '../facts/fact-map.ts';

export const STATUSES = ['pass', 'info', 'warn', 'fail', 'error', 'skip'] as const;
/** pass/info: fine; warn/fail: a finding; error: could not judge (timed out, crashed, denied); skip: not run, with why. */
export type Status = (typeof STATUSES)[number];

/** Where a check's facts come from: the doctor's own host, a runner pod (through exec), the Kubernetes API, the network, a cloud API. */
export type Scope = 'local' | 'pod' | 'cluster' | 'network' | 'cloud';

/** Categories in report order. */
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
  'metrics',
  'config',
] as const;
export type Category = (typeof CATEGORIES)[number];

export interface Remediation {
  /** What to change and where (a Helm value, a label, an RBAC rule). */
  text: string;
  /** A command that applies or verifies the fix, when one exists. */
  command?: string;
}

/** What a check function returns for one finding; the engine adds identity, target and timing. */
export interface Outcome {
  status: Status;
  message: string;
  /** Overrides the target the engine runs the check for (e.g. one result per node). */
  target?: string;
  details?: Record<string, unknown>;
  remediation?: Remediation;
}

export interface CheckDocs {
  what: string;
  why: string;
  fix: string;
  /** Anchor in docs/checks.md, derived from the id when omitted. */
  anchor?: string;
}

/** The target a check runs against: the local host, one runner pod, or the cluster. */
export interface Target {
  kind: 'local' | 'pod' | 'cluster';
  /** Human name used in reports: `local`, `matillion/matillion-runner-app-7d9f-abcde`, `cluster`. */
  name: string;
}

export interface CheckContext<K extends keyof FactMap> {
  target: Target;
  /** Collects (once per target) and returns a fact; a collection failure becomes this check's `error`. */
  fact<F extends K>(name: F): Promise<FactMap[F]>;
  signal: AbortSignal;
}

export interface CheckDef<K extends keyof FactMap = keyof FactMap> {
  /** Stable id: waivers, dashboards and CI history key on it. Lowercase, dot-separated. */
  id: string;
  title: string;
  category: Category;
  scope: Scope;
  /** The status a finding of this check gets by default (some checks grade their own findings). */
  severity: 'warn' | 'fail';
  tags?: string[];
  docs: CheckDocs;
  needs: readonly K[];
  /** Ids of checks that must not have failed for this one to be meaningful (same target). */
  requires?: readonly string[];
  /** Per-check timeout in ms (default from the engine). */
  timeoutMs?: number;
  run(ctx: CheckContext<K>): Outcome | Outcome[] | Promise<Outcome | Outcome[]>;
}

export interface CheckResult {
  checkId: string;
  title: string;
  category: Category;
  scope: Scope;
  status: Status;
  message: string;
  target: string;
  details?: Record<string, unknown>;
  remediation?: Remediation & { docs?: string };
  durationMs: number;
  /** Why a check was skipped: not applicable, waived, blocked by a failed prerequisite, deselected. */
  skipReason?: 'not-applicable' | 'waived' | 'blocked' | 'unavailable';
}

export interface RunSummary {
  total: number;
  counts: Record<Status, number>;
}

/** Ordering for thresholds: a status `s` meets threshold `t` when rank(s) >= rank(t). */
export const STATUS_RANK: Record<Status, number> = { skip: 0, pass: 0, info: 1, warn: 2, fail: 3, error: 3 };
