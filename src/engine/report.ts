// The report every reporter renders: one document, versioned, the same for every output format.
import type { CheckResult, RunSummary, Status } from './types.ts';
import { STATUS_RANK } from './types.ts';

export const SCHEMA_VERSION = 1;

export interface Report {
  schemaVersion: typeof SCHEMA_VERSION;
  tool: { name: 'runner-doctor'; version: string };
  /** What was examined: `local` (the doctor's own environment) or a cluster/namespace. */
  target: { mode: 'local' | 'cluster'; description: string; namespace?: string; context?: string };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  failOn: 'warn' | 'fail';
  summary: RunSummary;
  results: CheckResult[];
  /** Set when the run could not start or could not examine the target at all. */
  fatal?: { message: string; remediation: string };
  notes: string[];
}

/** Exit codes, documented in the README and `--help`. */
export const EXIT = {
  ok: 0,
  findings: 1,
  usage: 2,
  couldNotRun: 3,
} as const;

/** Whether a status makes the run fail at the given threshold (errors count as failures: a gate that could not judge must not pass). */
export function meetsThreshold(status: Status, failOn: 'warn' | 'fail'): boolean {
  return STATUS_RANK[status] >= STATUS_RANK[failOn];
}

export function exitCodeFor(report: Report): number {
  if (report.fatal) return EXIT.couldNotRun;
  return report.results.some((r) => meetsThreshold(r.status, report.failOn)) ? EXIT.findings : EXIT.ok;
}
