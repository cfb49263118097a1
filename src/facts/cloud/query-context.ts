// What both log-store collectors share: which pods (the run's namespace and release, as the chart names
// them), the window, the query's own deadline inside the run's, the CAs to trust, and the one way a log
// line is made safe to keep (every secret the run knows, every credential recognisable by its form,
// control characters stripped, capped) before it enters a fact — and so the snapshot.
import tls from 'node:tls';
import { EXAMPLE_MAX, type PodFilter, podFilter } from '../../domain/log-signatures.ts';
import { FactError } from '../../engine/facts.ts';
import { redactSecretsInText } from '../../redact/redact.ts';
import type { CloudLogsOptions, RunResources } from '../collector.ts';

export const DEFAULT_QUERY_TIMEOUT_MS = 60_000;

export interface QueryContext {
  options: CloudLogsOptions;
  filter: PodFilter;
  /** The window in epoch milliseconds, ending at the run's clock. */
  from: number;
  to: number;
  /** Aborted at the run's deadline or when the query's own time is up. */
  signal: AbortSignal;
  /** Why `signal` fired: the run's deadline, or this query's timeout. */
  why(): 'deadline' | 'timeout';
  timeoutMs: number;
}

export function queryContext(run: RunResources, options: CloudLogsOptions): QueryContext {
  let filter: PodFilter;
  try {
    filter = podFilter(run.kube?.scope ?? {});
  } catch (e) {
    throw new FactError(
      'config',
      `cannot query the runner's logs: ${(e as Error).message}`,
      'pass a valid --namespace / --release',
    );
  }
  const timeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const own = AbortSignal.timeout(timeoutMs);
  return {
    options,
    filter,
    from: run.now - options.since,
    to: run.now,
    signal: AbortSignal.any([run.signal, own]),
    why: () => (run.signal.aborted ? 'deadline' : 'timeout'),
    timeoutMs,
  };
}

/** The FactError for a query stopped by the deadline or its own timeout. */
export function stopped(q: QueryContext, what: string): FactError {
  return q.why() === 'deadline'
    ? new FactError('deadline', `${what} was stopped: the run's deadline passed`, 'raise --timeout, or narrow --since')
    : new FactError(
        'timeout',
        `${what} did not finish within ${Math.round(q.timeoutMs / 1000)} s`,
        'narrow --since (a shorter window scans less), or retry: the log store may be busy',
      );
}

/** The trust store for the log stores when --ca adds CAs: Node's defaults (NODE_EXTRA_CA_CERTS included) plus them. */
export function caBundle(extra: readonly string[] | undefined): string[] | undefined {
  if (!extra?.length) return undefined;
  const defaults =
    typeof tls.getCACertificates === 'function' ? tls.getCACertificates('default') : [...tls.rootCertificates];
  return [...defaults, ...extra];
}

/** A log line as a fact may hold it: known secrets and recognisable credentials masked, one line, capped. */
export function safeLine(run: RunResources, line: string): string {
  const oneLine = line.replace(/\s*\r?\n\s*/g, ' | ');
  return run.redactor.text(redactSecretsInText(run.redactor.scrub(oneLine)), EXAMPLE_MAX);
}

/** Pod names from a store, kept short and clean. */
export function safePods(run: RunResources, pods: readonly unknown[]): string[] {
  return pods.flatMap((p) => (typeof p === 'string' && p ? [run.redactor.text(p, 253)] : []));
}

/** The first line of an error's message, for a FactError. */
export function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return (m.split('\n')[0] ?? '').slice(0, 300);
}

/** Whether an error is the SDK's reaction to an aborted signal. */
export function isAbort(e: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError'));
}

/** Connection-level failures (no HTTP answer), by Node's error codes. */
export function networkFailure(e: unknown): { kind: 'unreachable' | 'tls'; code: string } | undefined {
  const code = (e as { code?: unknown })?.code ?? (e as { cause?: { code?: unknown } })?.cause?.code;
  if (typeof code !== 'string') return undefined;
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ALTNAME/.test(code)) return { kind: 'tls', code };
  if (/^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|UND_ERR_\w+)$/.test(code))
    return { kind: 'unreachable', code };
  return undefined;
}
