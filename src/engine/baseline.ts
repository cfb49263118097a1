// Comparing a run with an earlier JSON report (`--baseline PREVIOUS.json`): which findings are new, which
// were resolved and which are unchanged, keyed by finding code and target. Pods of one Deployment are
// compared as one target (`app-7d9f8c6b5d-x2k4q` → `app-*`): their names change with every rollout, their
// findings should not. Statuses compared: warn, fail and error (error: a check that newly cannot judge is
// news too); pass, info and skip are not findings.
import type { CheckResult, Status } from './types.ts';

export interface BaselineFinding {
  code: string;
  /** The target as the report names it (of the first result with this key). */
  target: string;
  status: Status;
  /** How many results share the key (several pods of one Deployment). */
  count: number;
}

export interface BaselineDiff {
  /** The baseline file as given on the command line. */
  source: string;
  /** When the baseline run started. */
  startedAt?: string;
  new: BaselineFinding[];
  resolved: BaselineFinding[];
  unchanged: BaselineFinding[];
}

/** The earlier report, as far as the comparison needs it. */
export interface BaselineReport {
  startedAt?: string;
  results: Pick<CheckResult, 'code' | 'target' | 'status'>[];
}

const FINDING: ReadonlySet<Status> = new Set(['warn', 'fail', 'error']);
export const isFinding = (r: { status: Status }) => FINDING.has(r.status);

// Deployment pods are `<name>-<pod-template-hash>-<5>`, both generated from Kubernetes' safe alphabet.
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const POD_SUFFIX = new RegExp(`-${SAFE}{5,10}-${SAFE}{5}(?![a-z0-9-])`, 'g');

/** A target with generated pod-name suffixes replaced by `*`, so a rollout does not make findings new. */
export function stableTarget(target: string): string {
  return target.replace(POD_SUFFIX, '-*');
}

export function findingKey(r: { code: string; target: string }): string {
  return `${r.code}\u0000${stableTarget(r.target)}`;
}

function index(results: readonly Pick<CheckResult, 'code' | 'target' | 'status'>[]): Map<string, BaselineFinding> {
  const out = new Map<string, BaselineFinding>();
  for (const r of results) {
    if (!isFinding(r)) continue;
    const k = findingKey(r);
    const seen = out.get(k);
    if (seen) seen.count++;
    else out.set(k, { code: r.code, target: r.target, status: r.status, count: 1 });
  }
  return out;
}

export function compareWithBaseline(
  current: readonly CheckResult[],
  baseline: BaselineReport,
  source: string,
): BaselineDiff {
  const now = index(current);
  const before = index(baseline.results);
  const order = (a: BaselineFinding, b: BaselineFinding) =>
    a.code.localeCompare(b.code) || a.target.localeCompare(b.target);
  return {
    source,
    ...(baseline.startedAt ? { startedAt: baseline.startedAt } : {}),
    new: [...now].filter(([k]) => !before.has(k)).map(([, f]) => f),
    resolved: [...before]
      .filter(([k]) => !now.has(k))
      .map(([, f]) => f)
      .sort(order),
    unchanged: [...now].filter(([k]) => before.has(k)).map(([, f]) => f),
  };
}

/** The keys of the new findings, for marking results and for the `--fail-on new` gate. */
export function newKeys(diff: BaselineDiff | undefined): ReadonlySet<string> {
  return new Set((diff?.new ?? []).map(findingKey));
}

const STATUS_SET: ReadonlySet<string> = new Set(['pass', 'info', 'warn', 'fail', 'error', 'skip']);

/** Reads an earlier JSON report; throws an Error whose message fits on one line when it is not one. */
export function parseBaseline(text: string, source: string): BaselineReport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`--baseline ${source}: not JSON (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`);
  }
  const bad = (why: string) => new Error(`--baseline ${source}: not a runner-doctor JSON report (${why})`);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('not an object');
  const o = doc as Record<string, unknown>;
  if (o.schemaVersion !== 1) throw bad(`schemaVersion ${JSON.stringify(o.schemaVersion)}, expected 1`);
  if (!Array.isArray(o.results)) throw bad('no results array');
  const results: BaselineReport['results'] = [];
  for (const [i, r] of o.results.entries()) {
    const x = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
    if (typeof x.code !== 'string' || typeof x.target !== 'string' || typeof x.status !== 'string')
      throw bad(`results[${i}] has no code, target or status`);
    if (!STATUS_SET.has(x.status)) throw bad(`results[${i}].status is ${JSON.stringify(x.status)}`);
    results.push({ code: x.code, target: x.target, status: x.status as Status });
  }
  return { ...(typeof o.startedAt === 'string' ? { startedAt: o.startedAt } : {}), results };
}
