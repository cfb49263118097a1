// The scheduler: runs every (check, target) pair once, independent ones concurrently under a bound,
// each under its own timeout and all under a global deadline. It never throws for a check's sake:
// a crash, a timeout or a fact that could not be collected is that pair's `error`, and the report is
// always complete (every selected pair has exactly one result, in a stable order).
import { FactError, type FactMap, type FactName, type FactSource } from '../facts/fact-map.ts';
import { cleanText } from '../redact/redact.ts';
import { CATEGORIES, type CheckDef, type CheckResult, type Outcome, type RunSummary, type Scope, type Status, type Target } from './types.ts';
import { findWaiver, type Waiver } from './waivers.ts';
import { docsUrl } from './docs.ts';

export interface PlannedTarget {
  target: Target;
  /** Which check scopes run against this target. */
  scopes: readonly Scope[];
  source: FactSource;
}

export interface RunOptions {
  checks: readonly CheckDef[];
  targets: readonly PlannedTarget[];
  concurrency?: number;
  checkTimeoutMs?: number;
  /** Global deadline in ms from the start; unfinished checks become `error: timed out`. */
  deadlineMs?: number;
  waivers?: readonly Waiver[];
  now?: Date;
  onStart?(checkId: string, target: string): void;
  onResult?(result: CheckResult): void;
}

export interface RunOutcome {
  results: CheckResult[];
  summary: RunSummary;
  startedAt: Date;
  finishedAt: Date;
  deadlineHit: boolean;
}

/** A counting semaphore: at most `n` holders at once, FIFO. */
class Bound {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(n: number) {
    this.#free = Math.max(1, n);
  }
  async acquire(): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((r) => this.#waiting.push(r));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    };
  }
}

class TimeoutError extends Error {}

export function summarize(results: readonly CheckResult[]): RunSummary {
  const counts: Record<Status, number> = { pass: 0, info: 0, warn: 0, fail: 0, error: 0, skip: 0 };
  for (const r of results) counts[r.status]++;
  return { total: results.length, counts };
}

const catRank = new Map<string, number>(CATEGORIES.map((c, i) => [c, i]));

export async function runChecks(opts: RunOptions): Promise<RunOutcome> {
  const startedAt = new Date();
  const now = opts.now ?? startedAt;
  const bound = new Bound(opts.concurrency ?? 8);
  const checkTimeout = opts.checkTimeoutMs ?? 30_000;
  const runAbort = new AbortController();
  const order = new Map(opts.checks.map((c, i) => [c.id, i]));

  // One memoised promise per (target, fact): a fact is collected once however many checks need it.
  const factCache = new Map<string, Promise<unknown>>();
  const fact = <F extends FactName>(pt: PlannedTarget, name: F): Promise<FactMap[F]> => {
    const key = `${pt.target.name}\u0000${name}`;
    let p = factCache.get(key) as Promise<FactMap[F]> | undefined;
    if (!p) {
      p = pt.source.collect(name, runAbort.signal);
      p.catch(() => {}); // observed by every check that awaits it
      factCache.set(key, p);
    }
    return p;
  };

  type Job = { check: CheckDef; pt: PlannedTarget; done: Promise<CheckResult[]>; settled?: CheckResult[] };
  const jobs = new Map<string, Job>();
  const jobKey = (id: string, target: string) => `${id}\u0000${target}`;
  const results: CheckResult[] = [];

  const base = (check: CheckDef, target: string) => ({
    checkId: check.id,
    title: check.title,
    category: check.category,
    scope: check.scope,
    target,
  });

  const finish = (job: Job, rs: CheckResult[]) => {
    if (job.settled) return job.settled;
    job.settled = rs;
    for (const r of rs) {
      results.push(r);
      opts.onResult?.(r);
    }
    return rs;
  };

  const toResults = (check: CheckDef, target: Target, outcomes: Outcome[], durationMs: number): CheckResult[] =>
    outcomes.map((o) => ({
      ...base(check, cleanText(o.target ?? target.name, 300)),
      status: o.status,
      message: cleanText(o.message),
      ...(o.details ? { details: o.details } : {}),
      ...(o.remediation || o.status === 'warn' || o.status === 'fail' || o.status === 'error'
        ? {
            remediation: {
              text: cleanText(o.remediation?.text ?? check.docs.fix),
              ...(o.remediation?.command ? { command: cleanText(o.remediation.command) } : {}),
              docs: docsUrl(check),
            },
          }
        : {}),
      durationMs,
    }));

  const execute = async (job: Job): Promise<CheckResult[]> => {
    const { check, pt } = job;
    const t0 = performance.now();
    const elapsed = () => Math.round(performance.now() - t0);

    const waiver = findWaiver(opts.waivers ?? [], check.id, pt.target.name, now);
    if (waiver?.active) {
      return [{ ...base(check, pt.target.name), status: 'skip', skipReason: 'waived', message: `waived: ${cleanText(waiver.waiver.reason)}${waiver.waiver.expires ? ` (until ${waiver.waiver.expires})` : ''}`, durationMs: 0 }];
    }

    // Prerequisites on the same target must have judged and not failed.
    for (const req of check.requires ?? []) {
      const dep = jobs.get(jobKey(req, pt.target.name));
      if (!dep) continue; // not selected: nothing to block on
      const depResults = await dep.done;
      const bad = depResults.find((r) => r.status === 'fail' || r.status === 'error' || r.status === 'skip');
      if (bad) {
        const why = bad.status === 'skip' ? `not applicable: ${req} was skipped` : `blocked by ${req}`;
        return [{ ...base(check, pt.target.name), status: 'skip', skipReason: bad.status === 'skip' ? 'not-applicable' : 'blocked', message: why, durationMs: 0 }];
      }
    }

    const release = await bound.acquire();
    const ac = new AbortController();
    const onRunAbort = () => ac.abort();
    runAbort.signal.addEventListener('abort', onRunAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    opts.onStart?.(check.id, pt.target.name);
    try {
      const timeoutMs = check.timeoutMs ?? checkTimeout;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ac.abort();
          reject(new TimeoutError(`timed out after ${(timeoutMs / 1000).toFixed(1)} s`));
        }, timeoutMs);
      });
      const ctx = {
        target: pt.target,
        signal: ac.signal,
        fact: <F extends FactName>(name: F) => {
          if (!check.needs.includes(name as never)) throw new Error(`check ${check.id} asked for undeclared fact ${name}`);
          return fact(pt, name);
        },
      };
      const out = await Promise.race([Promise.resolve().then(() => check.run(ctx as never)), timeout]);
      const outcomes = Array.isArray(out) ? out : [out];
      if (outcomes.length === 0) throw new Error('check returned no result');
      return toResults(check, pt.target, outcomes, elapsed());
    } catch (e) {
      const r = { ...base(check, pt.target.name), status: 'error' as const, durationMs: elapsed() };
      if (e instanceof FactError) {
        return [{ ...r, message: cleanText(e.message), details: { reason: e.kind }, remediation: { text: cleanText(e.remediation ?? check.docs.fix), docs: docsUrl(check) } }];
      }
      if (e instanceof TimeoutError) return [{ ...r, message: e.message, details: { reason: 'timeout' } }];
      const msg = e instanceof Error ? e.message : String(e);
      return [{ ...r, message: `check crashed: ${cleanText(msg, 500)}`, details: { reason: 'crash' }, remediation: { text: 'this is a bug in runner-doctor: please report it with the JSON report attached', docs: docsUrl(check) } }];
    } finally {
      clearTimeout(timer);
      runAbort.signal.removeEventListener('abort', onRunAbort);
      release();
    }
  };

  for (const pt of opts.targets) {
    for (const check of opts.checks) {
      if (!pt.scopes.includes(check.scope)) continue;
      const job: Job = { check, pt, done: undefined as never };
      jobs.set(jobKey(check.id, pt.target.name), job);
    }
  }
  for (const job of jobs.values()) {
    // Deferred a tick so every job exists before any looks up its prerequisites.
    job.done = Promise.resolve().then(() => execute(job)).then((rs) => finish(job, rs));
  }

  let deadlineHit = false;
  const all = Promise.all([...jobs.values()].map((j) => j.done));
  if (opts.deadlineMs !== undefined) {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((r) => (timer = setTimeout(() => r('deadline'), opts.deadlineMs)));
    const first = await Promise.race([all, deadline]);
    clearTimeout(timer);
    if (first === 'deadline') {
      deadlineHit = true;
      runAbort.abort();
      for (const job of jobs.values()) {
        if (job.settled) continue;
        finish(job, [{ ...base(job.check, job.pt.target.name), status: 'error', message: `timed out: the run's deadline (${((opts.deadlineMs ?? 0) / 1000).toFixed(1)} s, --timeout) passed before this check finished`, details: { reason: 'deadline' }, remediation: { text: 'raise --timeout, or find what is slow with --only ' + job.check.id, docs: docsUrl(job.check) }, durationMs: opts.deadlineMs ?? 0 }]);
      }
    }
  } else {
    await all;
  }

  results.sort(
    (a, b) =>
      (catRank.get(a.category) ?? 99) - (catRank.get(b.category) ?? 99) ||
      (order.get(a.checkId) ?? 0) - (order.get(b.checkId) ?? 0) ||
      a.target.localeCompare(b.target),
  );
  return { results, summary: summarize(results), startedAt, finishedAt: new Date(), deadlineHit };
}
