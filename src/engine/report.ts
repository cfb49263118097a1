// The report every reporter renders: one document, versioned, the same for every output format.
import type { CheckResult, RunSummary, Status } from './types.ts';
import { STATUS_RANK } from './types.ts';
import { type BaselineDiff, findingKey, newKeys } from './baseline.ts';

export const SCHEMA_VERSION = 1;

/** `new`: only findings (warn or fail) that the `--baseline` report did not have fail the gate. */
export type FailOn = 'warn' | 'fail' | 'new';

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'runner-doctor'; version: string };
  /** What was examined: `local` (the doctor's own environment) or a cluster/namespace. */
  target: { mode: 'local' | 'cluster'; description: string; namespace?: string; context?: string; snapshot?: string };
  startedAt: string;
  finishedAt: string;
  /** From process start to the report: the run's real duration. */
  durationMs: number;
  failOn: FailOn;
  summary: RunSummary;
  results: CheckResult[];
  /** Set when the run could not start or could not examine the target at all. */
  fatal?: { message: string; remediation: string };
  notes: string[];
  /** The comparison with `--baseline PREVIOUS.json`, when one was given. */
  baseline?: BaselineDiff;
}

/** Exit codes, documented in the README and `--help`. */
export const EXIT = {
  /** Nothing at or above --fail-on, and every check judged. */
  ok: 0,
  /** Findings at or above --fail-on. */
  findings: 1,
  /** Usage or config error. */
  usage: 2,
  /** Could not run at all: the target could not be examined. */
  couldNotRun: 3,
  /** No finding at the threshold, but some checks could not judge (error: forbidden, timed out, crashed). */
  incomplete: 4,
} as const;

/** Whether a status makes the run fail at the given threshold. `error` is not a finding: it is exit 4. */
export function meetsThreshold(status: Status, failOn: FailOn): boolean {
  return STATUS_RANK[status] >= STATUS_RANK[failOn === 'new' ? 'warn' : failOn];
}

/**
 * Whether one result fails the gate: at or above the threshold, and with `--fail-on new` only when the
 * baseline did not have it (without a baseline every finding is new).
 */
export function failsGate(
  r: CheckResult,
  report: Pick<Report, 'failOn' | 'baseline'>,
  fresh = newKeys(report.baseline),
): boolean {
  if (!meetsThreshold(r.status, report.failOn)) return false;
  return report.failOn !== 'new' || !report.baseline || fresh.has(findingKey(r));
}

export function exitCodeFor(report: Report): number {
  if (report.fatal) return EXIT.couldNotRun;
  const fresh = newKeys(report.baseline);
  if (report.results.some((r) => failsGate(r, report, fresh))) return EXIT.findings;
  // With --fail-on new, a check that could not judge in the baseline run too is known debt, not news.
  const unseen = (r: CheckResult) => report.failOn !== 'new' || !report.baseline || fresh.has(findingKey(r));
  if (report.results.some((r) => r.status === 'error' && unseen(r))) return EXIT.incomplete;
  return EXIT.ok;
}
