// What one doctor run asked of the API server, read from the audit log (Metadata level): the requests
// (one auditID each), grouped by verb and resource, and the round trips on the critical path — the
// longest chain of requests in which each one was received only after the one before it had completed.
// Requests issued together overlap and count once; one issued after another's answer counts again.
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { AuditEvent, Cluster } from '../cluster/cluster.ts';

export interface TimedAuditEvent extends AuditEvent {
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  userAgent?: string;
}

export interface RequestSpan {
  id: string;
  what: string;
  start: number;
  end: number;
}

export interface AuditSummary {
  requests: number;
  /** `verb resource[/subresource]` → count. */
  byKind: Record<string, number>;
  /** Longest chain of strictly sequential requests. */
  sequential: number;
  /** The requests of that chain, in order (`verb resource`). */
  chain: string[];
}

// Audit timestamps have microseconds; Date.parse keeps milliseconds, which is enough to order a
// chain only when requests are further apart than that: compare at microsecond precision.
function micros(ts: string): number {
  const m = ts.match(/^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/);
  if (!m) return Date.parse(ts) * 1000;
  return Date.parse(`${m[1]}Z`) * 1000 + Number(((m[2] ?? '') + '000000').slice(0, 6));
}

export function spans(events: readonly TimedAuditEvent[]): RequestSpan[] {
  const byId = new Map<string, RequestSpan>();
  for (const e of events) {
    const res = e.objectRef?.resource
      ? `${e.objectRef.resource}${e.objectRef.subresource ? `/${e.objectRef.subresource}` : ''}`
      : (e.requestURI.split('?')[0] ?? '');
    const s = byId.get(e.auditID) ?? {
      id: e.auditID,
      what: `${e.verb} ${res}`,
      start: micros(e.requestReceivedTimestamp),
      end: micros(e.stageTimestamp),
    };
    s.end = Math.max(s.end, micros(e.stageTimestamp));
    byId.set(e.auditID, s);
  }
  return [...byId.values()].sort((a, b) => a.start - b.start);
}

export function summarize(events: readonly TimedAuditEvent[]): AuditSummary {
  const ss = spans(events);
  const byKind: Record<string, number> = {};
  for (const s of ss) byKind[s.what] = (byKind[s.what] ?? 0) + 1;
  // depth[i]: the longest chain ending with request i.
  const depth: number[] = [];
  const prev: number[] = [];
  ss.forEach((s, i) => {
    depth[i] = 1;
    prev[i] = -1;
    for (let j = 0; j < i; j++) {
      const q = ss[j]!;
      if (q.end <= s.start && depth[j]! + 1 > depth[i]!) {
        depth[i] = depth[j]! + 1;
        prev[i] = j;
      }
    }
  });
  let last = depth.indexOf(Math.max(0, ...depth));
  const chain: string[] = [];
  while (last >= 0) {
    chain.unshift(ss[last]!.what);
    last = prev[last]!;
  }
  return { requests: ss.length, byKind, sequential: Math.max(0, ...depth), chain };
}

/**
 * Reads the audit log from where it was when `mark()` was last called, after a marker request has been
 * logged (events land just after their response): one run's events without re-reading what came before.
 */
export class AuditTail {
  readonly #file: string;
  #offset = 0;
  constructor(file: string) {
    this.#file = file;
  }

  mark(): void {
    this.#offset = existsSync(this.#file) ? statSync(this.#file).size : 0;
  }

  async events(c: Cluster, user: string): Promise<TimedAuditEvent[]> {
    const marker = `bench-marker-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    await c.kubectl(['get', 'configmap', marker, '-n', 'default']);
    let text = '';
    await c.waitFor(
      async () => {
        text = this.#read();
        return text.includes(marker);
      },
      30_000,
      'the audit log to catch up',
    );
    return text
      .split('\n')
      .filter((l) => l.includes(`"username":"${user}"`))
      .map((l) => JSON.parse(l) as TimedAuditEvent)
      .filter((e) => e.user.username === user && e.stage !== 'RequestReceived');
  }

  #read(): string {
    const fd = openSync(this.#file, 'r');
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, size - this.#offset));
      readSync(fd, buf, 0, buf.length, this.#offset);
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  }
}
