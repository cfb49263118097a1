// Reading an endpoint result for people: what was reached and how fast, where the test went, and which
// failure class stopped it. What each class means and what to change is network.egress's message catalogue.
import type { EndpointResult, StageName } from './egress.ts';

const ms = (v?: number) => (v === undefined ? '' : ` ${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);

/** `DNS 2 ms, TCP 5 ms, TLS TLSv1.3 20 ms, HTTP 401 31 ms` for what was reached. */
export function stageLine(r: EndpointResult): string {
  const parts: string[] = [];
  if (r.dns?.ok) parts.push(`DNS${r.dns.byProxy ? ' (proxy)' : ''}${ms(r.dns.ms)}`);
  if (r.tcp?.ok) parts.push(`TCP${ms(r.tcp.ms)}`);
  if (r.proxy?.ok) parts.push(`CONNECT${ms(r.proxy.ms)}`);
  if (r.tls?.ok) parts.push(`TLS${r.tls.protocol ? ` ${r.tls.protocol}` : ''}${ms(r.tls.ms)}`);
  if (r.http?.ok) parts.push(`HTTP${r.http.status ? ` ${r.http.status}` : ''}${ms(r.http.ms)}`);
  return parts.join(', ');
}

/** The endpoint as reports name it: `api.matillion.com`, or `api.matillion.com (via 127.0.0.1:8443)` when overridden. */
export function endpointLabel(r: EndpointResult): string {
  const t = r.target;
  return `${t.name}${t.connect ? ` (via ${t.connect.host}:${t.connect.port})` : ''}`;
}

export interface Failure {
  stage: StageName;
  /** The stage's failure class (`nxdomain`, `timeout`, `denied` …), if it gave one. */
  error?: string;
  /** What the stage said, else its class, else `failed`. */
  detail: string;
}

/** The stage that stopped the test and how, or undefined when every stage passed. */
export function failureOf(r: EndpointResult): Failure | undefined {
  const stage = r.failedStage;
  if (!stage) return undefined;
  const st = r[stage];
  return { stage, error: st?.error, detail: st?.detail ?? st?.error ?? 'failed' };
}

/** A TLS answer that chains only to a CA the user added, from an endpoint that should present a public one. */
export function intercepted(r: EndpointResult): boolean {
  return !r.failedStage && r.target.tls && r.target.publicCA && r.tls?.trust === 'extra';
}
