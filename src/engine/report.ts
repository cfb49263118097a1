// The report every reporter renders: one document, versioned, the same for every output format.
import type { CheckResult, RunSummary, Status } from './types.ts';
import { STATUS_RANK } from './types.ts';

export const SCHEMA_VERSION = 1;

export type FailOn = 'warn' | 'fail';

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
  return STATUS_RANK[status] >= STATUS_RANK[failOn];
}

export function exitCodeFor(report: Report): number {
  if (report.fatal) return EXIT.couldNotRun;
  if (report.results.some((r) => meetsThreshold(r.status, report.failOn))) return EXIT.findings;
  if (report.results.some((r) => r.status === 'error')) return EXIT.incomplete;
  return EXIT.ok;
}
