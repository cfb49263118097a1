// The scheduler: runs every (check, target) pair once. For each it resolves the facts the check
// declared (collected once per target and shared), then its prerequisites, then calls the pure judge.
// A fact that could not be collected turns the pair into `error` naming the cause — decided here, once,
// for every check that reads it. Crashes are `error` too, and the run's deadline turns whatever is
// unfinished into `error: timed out`, so the report is always complete: every selected pair has at least
// one result, in a stable order.
import { docsUrl } from './docs.ts';
import { FactError, type FactMap, type FactName } from './facts.ts';
import { render } from './messages.ts';
import { findWaiver, type Waiver } from './waivers.ts';
import {
  CATEGORIES,
  type AnyCheck,
  type CheckResult,
  type Finding,
  type RunSummary,
  type Scope,
  type Status,
  type Target,
  type Vars,
} from './types.ts';
import { Redactor } from '../redact/redact.ts';

/** Where facts come from: the collectors (live) or a snapshot (offline). Rejects with a FactError. */
export interface FactStore {
  get<F extends FactName>(target: Target, name: F): Promise<FactMap[F]>;
}

export interface PlannedTarget {
  target: Target;
  /** Which check scopes run against this target. */
  scopes: readonly Scope[];
}

export interface RunOptions {
  checks: readonly AnyCheck[];
  targets: readonly PlannedTarget[];
  store: FactStore;
  /** The run's clock (epoch ms): waivers expire by it. */
  now: number;
  /** Epoch ms after which unfinished checks become `error: timed out`; `abort` is aborted then. */
  deadlineAt?: number;
  /** Aborted at the deadline: the collectors' requests, exec sockets and probes listen to its signal. */
  abort?: AbortController;
  /** What the deadline was, for the message (`--timeout 8`). */
  deadlineLabel?: string;
  waivers?: readonly Waiver[];
  redactor?: Redactor;
  onStart?(checkId: string, target: string): void;
  onResult?(result: CheckResult): void;
}

export interface RunOutcome {
  results: CheckResult[];
  summary: RunSummary;
  deadlineHit: boolean;
}

export function summarize(results: readonly CheckResult[]): RunSummary {
  const counts: Record<Status, number> = { pass: 0, info: 0, warn: 0, fail: 0, error: 0, skip: 0 };
  for (const r of results) counts[r.status]++;
  return { total: results.length, counts };
}

const catRank = new Map<string, number>(CATEGORIES.map((c, i) => [c, i]));

/** A check read a fact it did not declare: a bug the registry test and the table tests catch. */
export class UndeclaredFactError extends Error {}

const base = (check: AnyCheck, target: string) => ({
  checkId: check.id,
  title: check.title,
  category: check.category,
  scope: check.scope,
  target,
});

/**
 * Judges one check on resolved facts: the pure half of a run, used by the engine and by the table
 * tests. Reading a fact outside `needs` throws; an unknown message id or a missing placeholder too.
 */
export function judgeCheck(
  check: AnyCheck,
  facts: Partial<FactMap>,
  target: Target,
  redactor: Redactor = new Redactor(),
  durationMs = 0,
): CheckResult[] {
  const declared = new Set<string>(check.needs);
  const guarded = new Proxy(facts, {
    get(t, key) {
      if (typeof key === 'string' && !declared.has(key))
        throw new UndeclaredFactError(`check ${check.id} read fact "${key}" without declaring it in needs`);
      return Reflect.get(t, key);
    },
  });
  const report = (
    messageId: string,
    vars: Vars = {},
    extra: { target?: string; details?: Record<string, unknown> } = {},
  ): Finding => {
    if (!Object.hasOwn(check.messages, messageId))
      throw new Error(`check ${check.id} reported unknown message "${messageId}"`);
    return { messageId, vars, ...extra };
  };
  const out = check.judge(guarded as never, { target, report });
  const findings = Array.isArray(out) ? out : [out];
  if (findings.length === 0) throw new Error(`check ${check.id} returned no finding`);
  const clean = (s: string) => redactor.text(s, 1024);
  return findings.map((f) => {
    const m = check.messages[f.messageId];
    if (!m) throw new Error(`check ${check.id} reported unknown message "${f.messageId}"`);
    const needsFix = m.status === 'warn' || m.status === 'fail' || m.status === 'error';
    const fix = m.fix ? render(m.fix, f.vars, clean) : needsFix ? check.docs.fix : undefined;
    const r: CheckResult = {
      ...base(check, redactor.text(f.target ?? target.name, 300)),
      code: `${check.id}/${f.messageId}`,
      status: m.status,
      message: redactor.text(render(m.text, f.vars, clean)),
      ...(f.details ? { details: redactor.details(f.details) } : {}),
      ...(fix || m.command
        ? {
            remediation: {
              text: redactor.text(fix ?? check.docs.fix),
              ...(m.command ? { command: redactor.text(render(m.command, f.vars, clean)) } : {}),
              docs: docsUrl(check, m.docs),
            },
          }
        : {}),
      durationMs,
      ...(m.status === 'skip' ? { skipReason: 'not-applicable' as const } : {}),
    };
    return r;
  });
}

/** The result for a fact that could not be collected. */
function factErrorResult(
  check: AnyCheck,
  target: string,
  fact: string,
  e: FactError,
  redactor: Redactor,
  durationMs: number,
): CheckResult {
  return {
    ...base(check, target),
    code: `${check.id}/error-${e.kind}`,
    status: 'error',
    message: redactor.text(e.message),
    details: { reason: e.kind, fact, ...(e.rule ? { rule: e.rule } : {}) },
    remediation: { text: redactor.text(e.remediation ?? check.docs.fix), docs: docsUrl(check) },
    durationMs,
  };
}

export async function runChecks(opts: RunOptions): Promise<RunOutcome> {
  const redactor = opts.redactor ?? new Redactor();
  const order = new Map(opts.checks.map((c, i) => [c.id, i]));
  type Job = { check: AnyCheck; pt: PlannedTarget; done: Promise<CheckResult[]>; settled?: CheckResult[] };
  const jobs = new Map<string, Job>();
  const jobKey = (id: string, target: string) => `${id}\u0000${target}`;
  const results: CheckResult[] = [];

  const finish = (job: Job, rs: CheckResult[]) => {
    if (job.settled) return job.settled;
    job.settled = rs;
    for (const r of rs) {
      results.push(r);
      opts.onResult?.(r);
    }
    return rs;
  };

  const execute = async (job: Job): Promise<CheckResult[]> => {
    const { check, pt } = job;
    const name = pt.target.name;
    const t0 = performance.now();
    const elapsed = () => Math.round(performance.now() - t0);

    const waiver = findWaiver(opts.waivers ?? [], check.id, name, opts.now, 'check');
    if (waiver?.active) {
      const w = waiver.waiver;
      return [
        {
          ...base(check, name),
          code: `${check.id}/skip-waived`,
          status: 'skip',
          skipReason: 'waived',
          message: redactor.text(`waived: ${w.reason}${w.expires ? ` (until ${w.expires})` : ''}`),
          durationMs: 0,
        },
      ];
    }
    opts.onStart?.(check.id, name);

    // The facts first: a check that cannot have its facts says why, whatever its prerequisites did.
    const facts: Partial<Record<FactName, unknown>> = {};
    for (const [fact, settled] of await Promise.all(
      check.needs.map(
        async (f) =>
          [
            f,
            await opts.store.get(pt.target, f).then(
              (v) => ({ v }),
              (e: unknown) => ({ e }),
            ),
          ] as const,
      ),
    )) {
      if ('e' in settled) {
        const e =
          settled.e instanceof FactError
            ? settled.e
            : new FactError(
                'unavailable',
                `collecting ${fact} crashed: ${settled.e instanceof Error ? settled.e.message : String(settled.e)}`,
                'this is a bug in runner-doctor: please report it with the JSON report attached',
              );
        return [factErrorResult(check, name, fact, e, redactor, elapsed())];
      }
      facts[fact] = settled.v;
    }

    for (const req of check.requires ?? []) {
      const dep = jobs.get(jobKey(req, name));
      if (!dep) continue; // not selected: nothing to block on
      const bad = (await dep.done).find((r) => r.status === 'fail' || r.status === 'error' || r.status === 'skip');
      if (bad) {
        const na = bad.status === 'skip';
        return [
          {
            ...base(check, name),
            code: `${check.id}/skip-blocked`,
            status: 'skip',
            skipReason: na ? 'not-applicable' : 'blocked',
            message: na ? `not applicable: ${req} was skipped` : `blocked by ${req}`,
            details: { prerequisite: req },
            durationMs: elapsed(),
          },
        ];
      }
    }

    let rs: CheckResult[];
    try {
      rs = judgeCheck(check, facts as Partial<FactMap>, pt.target, redactor, elapsed());
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      return [
        {
          ...base(check, name),
          code: `${check.id}/error-crash`,
          status: 'error',
          message: `check crashed: ${redactor.text(msg, 500)}`,
          details: { reason: 'crash' },
          remediation: {
            text: 'this is a bug in runner-doctor: please report it with the JSON report attached',
            docs: docsUrl(check),
          },
          durationMs: elapsed(),
        },
      ];
    }
    // Code-level waivers: the check ran; only the findings they name are set aside.
    return rs.map((r) => {
      const w = findWaiver(opts.waivers ?? [], r.code, r.target, opts.now, 'code');
      if (!w?.active || r.status === 'pass') return r;
      const { remediation: _drop, ...rest } = r;
      return {
        ...rest,
        status: 'skip',
        skipReason: 'waived',
        message: redactor.text(
          `waived: ${w.waiver.reason}${w.waiver.expires ? ` (until ${w.waiver.expires})` : ''} — was ${r.status}: ${r.message}`,
        ),
      };
    });
  };

  for (const pt of opts.targets) {
    for (const check of opts.checks) {
      if (!pt.scopes.includes(check.scope)) continue;
      jobs.set(jobKey(check.id, pt.target.name), { check, pt, done: Promise.resolve([]) });
    }
  }
  for (const job of jobs.values()) {
    // Deferred a tick so every job exists before any looks up its prerequisites.
    job.done = Promise.resolve()
      .then(() => execute(job))
      .then((rs) => finish(job, rs));
  }

  let deadlineHit = false;
  const all = Promise.all([...jobs.values()].map((j) => j.done));
  if (opts.deadlineAt !== undefined) {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((r) => {
      timer = setTimeout(() => r('deadline'), Math.max(0, opts.deadlineAt! - Date.now()));
    });
    const first = await Promise.race([all, deadline]);
    clearTimeout(timer);
    if (first === 'deadline') {
      deadlineHit = true;
      opts.abort?.abort();
      for (const job of jobs.values()) {
        if (job.settled) continue;
        finish(job, [
          {
            ...base(job.check, job.pt.target.name),
            code: `${job.check.id}/error-deadline`,
            status: 'error',
            message: `timed out: the run's deadline${opts.deadlineLabel ? ` (${opts.deadlineLabel})` : ''} passed before this check had its facts`,
            details: { reason: 'deadline' },
            remediation: {
              text: `raise --timeout, or find what is slow with --only ${job.check.id}`,
              docs: docsUrl(job.check),
            },
            durationMs: 0,
          },
        ]);
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
  return { results, summary: summarize(results), deadlineHit };
}
