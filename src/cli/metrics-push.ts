// The report as Prometheus metrics, for batch runs (a CronJob, a CI job, cron on a host): pushed to a
// Pushgateway or written for node-exporter's textfile collector. Every call builds its own registry, so
// nothing leaks between runs or into prom-client's global registry.
//
// Shape of runner_doctor_check_status: one series per distinct (check, target, finding code) whose VALUE
// encodes the status (STATUS_VALUE below) and which also carries the status as a label. The value makes
// `max by (check) (runner_doctor_check_status) >= 3` ("failed or could not judge on any pod") and
// `max_over_time` work without knowing the status names; the label makes `{status="fail"}` selectors
// and `count by (status)` just as easy. (One 0/1 series per possible status would keep series identity
// stable across status changes, but costs six times the series for a job whose group is replaced on
// every push anyway.) `code` is the stable finding code dashboards and waivers key on; it adds almost
// no cardinality, since each code has one status.
//
// Cardinality: targets are pod names, node names and egress endpoints, so the series count grows with
// the deployment. At most MAX_CHECK_SERIES series are exported, worst status first (passes and skips go
// before any failure does), and runner_doctor_check_series_dropped says how many were left out.
import { hostname } from 'node:os';
import { Gauge, Pushgateway, Registry } from 'prom-client';
import { exitCodeFor, type Report } from '../engine/report.ts';
import { STATUSES, type Status } from '../engine/types.ts';
import { redactUrlCredentials } from '../redact/redact.ts';
import { writeAtomic } from './outputs.ts';

/** runner_doctor_check_status's value per status: ordered by severity; skip (not judged) is below pass. */
export const STATUS_VALUE: Record<Status, number> = { skip: -1, pass: 0, info: 1, warn: 2, fail: 3, error: 4 };
export const MAX_CHECK_SERIES = 1000;
export const DEFAULT_JOB = 'runner-doctor';
const DEFAULT_TIMEOUT_MS = 10_000;
const SERIES_LABELS = new Set(['check', 'category', 'target', 'status', 'code', 'version', 'mode']);

export interface MetricsOptions {
  /** The process's real exit code when it differs from the report's (an output could not be written: 3). */
  exitCode?: number;
  /** Applied to every label value: pass the run's redactor (`(s) => redactor.scrub(s)`), as for every output. */
  scrub?: (s: string) => string;
}

export interface PushOptions extends MetricsOptions {
  /** Base URL of the Pushgateway, e.g. http://pushgateway.monitoring:9091 */
  url: string;
  /** Job label of the group (default runner-doctor). */
  job?: string;
  /** Extra grouping labels; they override the defaults (see groupingFor). */
  groupings?: Record<string, string>;
  /** Whole request, connect to response (default 10 s). */
  timeoutMs?: number;
}

function buildRegistry(report: Report, opts: MetricsOptions = {}): Registry {
  const scrub = opts.scrub ?? ((s: string) => s);
  const registry = new Registry();
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });

  const status = gauge(
    'runner_doctor_check_status',
    'Result of one check on one target; value: skip -1, pass 0, info 1, warn 2, fail 3, error 4 (also the status label)',
    ['check', 'category', 'target', 'status', 'code'],
  );
  const worstFirst = [...report.results].sort((a, b) => STATUS_VALUE[b.status] - STATUS_VALUE[a.status]);
  const seen = new Set<string>();
  let dropped = 0;
  for (const r of worstFirst) {
    const labels = { check: r.checkId, category: r.category, target: scrub(r.target), status: r.status, code: r.code };
    const key = JSON.stringify(labels);
    if (seen.has(key)) continue; // the same finding on the same target twice: one series
    if (seen.size >= MAX_CHECK_SERIES) {
      dropped++;
      continue;
    }
    seen.add(key);
    status.set(labels, STATUS_VALUE[r.status]);
  }
  gauge(
    'runner_doctor_check_series_dropped',
    `Results left out of runner_doctor_check_status (at most ${MAX_CHECK_SERIES} series, worst first)`,
  ).set(dropped);

  // Every status always has a series (0 included), so `rate`/`delta` and alerts never see gaps.
  const findings = gauge('runner_doctor_findings', 'Results of the run per status', ['status']);
  for (const s of STATUSES) findings.set({ status: s }, report.summary.counts[s] ?? 0);

  gauge('runner_doctor_run_duration_seconds', 'Duration of the run, from process start to the report').set(
    report.durationMs / 1000,
  );
  gauge('runner_doctor_last_run_timestamp_seconds', 'When the run finished (Unix time)').set(
    Date.parse(report.finishedAt) / 1000,
  );
  gauge('runner_doctor_exit_code', 'Exit code of the run (0 clean, 1 findings, 3 could not run, 4 incomplete)').set(
    opts.exitCode ?? exitCodeFor(report),
  );
  gauge('runner_doctor_info', 'The doctor and what it examined (always 1)', ['version', 'mode', 'namespace']).set(
    // The same value as the Pushgateway group's namespace label (which would overwrite a different one).
    {
      version: report.tool.version,
      mode: report.target.mode,
      namespace: report.target.namespace ?? (report.target.mode === 'local' ? '' : 'all'),
    },
    1,
  );
  return registry;
}

/** Prometheus text exposition format (version 0.0.4) of the report. */
export function metricsText(report: Report, opts?: MetricsOptions): Promise<string> {
  return buildRegistry(report, opts).metrics();
}

/**
 * The Pushgateway group a run replaces: job plus the namespace it examined (`all` without --namespace);
 * a local run (a runner container, a host) is one instance of its own, named by its host name.
 */
export function groupingFor(report: Report, extra: Record<string, string> = {}): Record<string, string> {
  const own: Record<string, string> =
    report.target.mode === 'local' ? { instance: hostname() } : { namespace: report.target.namespace ?? 'all' };
  return { ...own, ...extra };
}

/**
 * Pushes the report's metrics with PUT: the whole group is replaced, so series of checks or pods that
 * are gone since the last run disappear instead of lingering forever (POST/pushAdd would keep them).
 * Throws an Error whose message is one line naming the URL and the cause; the caller warns and goes on.
 */
export async function pushMetrics(report: Report, opts: PushOptions): Promise<void> {
  const shown = redactUrlCredentials(opts.url);
  const fail = (cause: string) => new Error(`cannot push metrics to the Pushgateway ${shown}: ${cause}`);
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw fail('not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail('not an http(s) URL');
  // The gateway silently overwrites a pushed label with a grouping label of the same name.
  const clash = Object.keys(opts.groupings ?? {}).find((k) => SERIES_LABELS.has(k));
  if (clash) throw fail(`the grouping label "${clash}" would overwrite that label of every check's series`);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const gateway = new Pushgateway(
    opts.url,
    { signal: AbortSignal.timeout(timeoutMs), headers: { 'Content-Type': 'text/plain; version=0.0.4' } },
    buildRegistry(report, opts),
  );
  try {
    await gateway.push({ jobName: opts.job ?? DEFAULT_JOB, groupings: groupingFor(report, opts.groupings) });
  } catch (e) {
    throw fail(pushCause(e, timeoutMs));
  }
}

/** One line for what went wrong: unreachable (with the system's code), timed out, or the HTTP status. */
function pushCause(e: unknown, timeoutMs: number): string {
  const err = e as NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] };
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
  // prom-client's own message for an HTTP error: "push failed with status 400, <body>"
  const http = /^push failed with status (\d+),\s*([^\n]*)/.exec(err?.message ?? '');
  if (http) return `HTTP ${http[1]}${http[2] ? ` (${http[2].trim().slice(0, 200)})` : ''}`;
  // A refused connection to a name with several addresses is an AggregateError without a message.
  const code = err?.code ?? err?.errors?.[0]?.code;
  if (code) return `unreachable (${code})`;
  return (err?.message ?? String(e)).split('\n')[0] ?? 'unknown error';
}

/**
 * Writes the metrics for node-exporter's textfile collector (`--collector.textfile.directory`): into a
 * temp file beside PATH, then renamed, so the collector never reads half a file (it only reads *.prom).
 */
export async function writeMetricsFile(report: Report, path: string, opts?: MetricsOptions): Promise<void> {
  await writeAtomic(path, await metricsText(report, opts));
}
