// One endpoint, stage by stage, from the doctor's process: DNS → TCP (→ proxy CONNECT) → TLS → HTTP.
// Every stage has its own timeout; all endpoints run concurrently, so the phase takes about as long as
// the slowest endpoint. Each failure is classified (NXDOMAIN vs timeout vs SERVFAIL, refused vs timed
// out vs unreachable, expired vs wrong host vs untrusted issuer …) for the checks to explain.
import dns from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import {
  DEFAULT_TIMEOUTS,
  type EgressTarget,
  type EndpointResult,
  type StageName,
  type StageTimeouts,
} from '../../domain/egress.ts';
import { proxyFor, type ProxyConfig } from '../../domain/proxy.ts';

export interface ProbeOptions {
  timeouts?: Partial<StageTimeouts>;
  /** Extra trusted CAs (PEM): `--ca`, CUSTOM_CERT_LOCATION. */
  extraCA?: string[];
  proxy?: ProxyConfig;
  /** DNS servers (ip[:port]) to ask instead of the system resolver. */
  dnsServers?: string[];
  /** The run's deadline: every stage in flight is cancelled and its socket destroyed. */
  signal?: AbortSignal;
}

class StageError extends Error {
  readonly kind: string;
  constructor(kind: string, message: string) {
    super(message);
    this.kind = kind;
  }
}

function withTimeout<T>(
  ms: number,
  what: string,
  runSignal: AbortSignal | undefined,
  run: (onAbort: (f: () => void) => void) => Promise<T>,
): Promise<T> {
  let cleanup: (() => void) | undefined;
  return new Promise<T>((resolve, reject) => {
    const stop = (e: StageError) => {
      clearTimeout(timer);
      runSignal?.removeEventListener('abort', onAbort);
      cleanup?.();
      reject(e);
    };
    const timer = setTimeout(() => stop(new StageError('timeout', `${what} timed out after ${ms} ms`)), ms);
    const onAbort = () => stop(new StageError('cancelled', `${what} was cancelled: the run's deadline passed`));
    if (runSignal?.aborted) return onAbort();
    runSignal?.addEventListener('abort', onAbort, { once: true });
    run((f) => {
      cleanup = f;
    }).then(
      (v) => {
        clearTimeout(timer);
        runSignal?.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        runSignal?.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

const DNS_KIND: Record<string, string> = {
  ENOTFOUND: 'nxdomain',
  EAI_NONAME: 'nxdomain',
  ENODATA: 'no-data',
  ESERVFAIL: 'servfail',
  ETIMEOUT: 'timeout',
  EAI_AGAIN: 'temporary',
  ECONNREFUSED: 'refused',
  EREFUSED: 'refused',
};

async function resolve(host: string, o: ProbeOptions, ms: number): Promise<string[]> {
  if (net.isIP(host)) return [host];
  return withTimeout(ms, `DNS lookup of ${host}`, o.signal, async (onAbort) => {
    try {
      if (o.dnsServers?.length) {
        const r = new dns.promises.Resolver({ timeout: ms, tries: 1 });
        r.setServers(o.dnsServers);
        onAbort(() => r.cancel());
        const [a, aaaa] = await Promise.allSettled([r.resolve4(host), r.resolve6(host)]);
        const addrs = [
          ...(a.status === 'fulfilled' ? a.value : []),
          ...(aaaa.status === 'fulfilled' ? aaaa.value : []),
        ];
        if (addrs.length) return addrs;
        const err = (
          a.status === 'rejected' ? a.reason : (aaaa as PromiseRejectedResult).reason
        ) as NodeJS.ErrnoException;
        throw err;
      }
      const list = await dns.promises.lookup(host, { all: true });
      return list.map((x) => x.address);
    } catch (e) {
      if (e instanceof StageError) throw e;
      const code = (e as NodeJS.ErrnoException).code ?? '';
      const kind = DNS_KIND[code] ?? 'error';
      const text =
        {
          nxdomain: 'no such name (NXDOMAIN)',
          'no-data': 'the name exists but has no A/AAAA record',
          servfail: 'the DNS server failed (SERVFAIL)',
          timeout: 'no answer from the DNS server',
          temporary: 'temporary DNS failure (no answer or SERVFAIL upstream)',
          refused: 'the DNS server refused the query',
        }[kind] ?? code;
      throw new StageError(kind, `DNS lookup of ${host}: ${text}`);
    }
  });
}

function connectTcp(host: string, port: number, ms: number, signal?: AbortSignal): Promise<net.Socket> {
  return withTimeout(
    ms,
    `TCP connect to ${host}:${port}`,
    signal,
    (onAbort) =>
      new Promise<net.Socket>((res, rej) => {
        const s = net.connect({ host, port });
        onAbort(() => s.destroy());
        s.once('connect', () => res(s));
        s.once('error', (e: NodeJS.ErrnoException) => {
          const kind =
            e.code === 'ECONNREFUSED'
              ? 'refused'
              : e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH'
                ? 'unreachable'
                : e.code === 'ECONNRESET'
                  ? 'reset'
                  : e.code === 'ETIMEDOUT'
                    ? 'timeout'
                    : 'error';
          rej(
            new StageError(
              kind,
              `TCP connect to ${host}:${port}: ${kind === 'refused' ? 'connection refused' : kind === 'unreachable' ? 'no route to host' : (e.code ?? e.message)}`,
            ),
          );
        });
      }),
  );
}

/** Reads one HTTP response head from a socket (status line and headers), up to 16 KiB. */
function readHead(
  sock: net.Socket,
  ms: number,
  what: string,
  signal?: AbortSignal,
): Promise<{ status: number; head: string }> {
  return withTimeout(
    ms,
    what,
    signal,
    (onAbort) =>
      new Promise((res, rej) => {
        let buf = '';
        const onData = (b: Buffer) => {
          buf += b.toString('latin1');
          const end = buf.indexOf('\r\n\r\n');
          if (end >= 0 || buf.length > 16384) {
            sock.off('data', onData);
            const m = buf.match(/^HTTP\/\d(?:\.\d)? (\d{3})/);
            if (!m) rej(new StageError('bad-response', `${what}: not an HTTP answer`));
            else res({ status: Number(m[1]), head: buf.slice(0, Math.max(end, 0)) });
          }
        };
        onAbort(() => sock.destroy());
        sock.on('data', onData);
        sock.once('error', (e) => rej(new StageError('reset', `${what}: ${e.message}`)));
        sock.once('end', () => rej(new StageError('closed', `${what}: the connection was closed without an answer`)));
      }),
  );
}

function certName(c: { CN?: string | string[]; O?: string | string[] } | undefined): string {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  return [one(c?.CN) && `CN=${one(c?.CN)}`, one(c?.O) && `O=${one(c?.O)}`].filter(Boolean).join(', ') || '(none)';
}

const TLS_KIND: Record<string, string> = {
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not-yet-valid',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'wrong-host',
};

function handshake(
  sock: net.Socket,
  servername: string,
  ca: string[] | undefined,
  ms: number,
  signal?: AbortSignal,
): Promise<tls.TLSSocket> {
  return withTimeout(
    ms,
    `TLS handshake with ${servername}`,
    signal,
    (onAbort) =>
      new Promise<tls.TLSSocket>((res, rej) => {
        const t = tls.connect({
          socket: sock,
          servername: net.isIP(servername) ? undefined : servername,
          ca,
          rejectUnauthorized: false,
          ALPNProtocols: ['http/1.1'],
        });
        onAbort(() => t.destroy());
        t.once('secureConnect', () => res(t));
        t.once('error', (e: NodeJS.ErrnoException) =>
          rej(
            new StageError('handshake', `TLS handshake with ${servername} failed: ${e.code ?? ''} ${e.message}`.trim()),
          ),
        );
      }),
  );
}

/** Tests one endpoint; never throws. */
export async function probeEndpoint(target: EgressTarget, o: ProbeOptions = {}): Promise<EndpointResult> {
  const to = { ...DEFAULT_TIMEOUTS, ...o.timeouts };
  const t0 = performance.now();
  const r: EndpointResult = { target, tool: 'node', totalMs: 0 };
  const dial = target.connect ?? { host: target.host, port: target.port };
  const proxy = proxyFor(o.proxy, target.host, target.port, target.tls);
  if (proxy) r.via = proxy.display;
  let stage: StageName = 'dns';
  let sock: net.Socket | undefined;
  const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
    const s = performance.now();
    const v = await f();
    return [v, Math.round((performance.now() - s) * 10) / 10];
  };
  try {
    // DNS: the endpoint's own name, or the proxy's (the proxy resolves the endpoint).
    const dnsHost = proxy ? proxy.host : dial.host;
    const [addrs, dnsMs] = await timed(() => resolve(dnsHost, o, to.dns));
    r.dns = {
      ok: true,
      ms: dnsMs,
      addresses: addrs.slice(0, 8),
      ...(proxy
        ? { byProxy: true, detail: `resolved the proxy ${proxy.host}; the proxy resolves ${target.host}` }
        : {}),
    };
    stage = 'tcp';
    const port = proxy ? proxy.port : dial.port;
    const [s, tcpMs] = await timed(() => connectTcp(addrs[0] ?? dnsHost, port, to.tcp, o.signal));
    sock = s;
    r.tcp = { ok: true, ms: tcpMs, address: `${addrs[0]}:${port}` };
    if (proxy) {
      stage = 'proxy';
      const authority = `${dial.host.includes(':') ? `[${dial.host}]` : dial.host}:${dial.port}`;
      const [ans, pMs] = await timed(async () => {
        s.write(
          `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\nUser-Agent: runner-doctor\r\n${proxy.auth ? `Proxy-Authorization: ${proxy.auth}\r\n` : ''}\r\n`,
        );
        return readHead(s, to.http, `CONNECT ${authority} through ${proxy.display}`, o.signal);
      });
      r.proxy = { ok: ans.status === 200, ms: pMs, status: ans.status };
      if (ans.status === 407)
        throw new StageError(
          'auth-required',
          `the proxy ${proxy.display} answered 407: it needs credentials${proxy.auth ? ' (the ones given were refused)' : ''}`,
        );
      if (ans.status === 403)
        throw new StageError('denied', `the proxy ${proxy.display} answered 403: it does not allow ${authority}`);
      if (ans.status !== 200)
        throw new StageError('status', `the proxy ${proxy.display} answered ${ans.status} to CONNECT ${authority}`);
    }
    let io: net.Socket = s;
    const servername = target.servername ?? target.host;
    if (target.tls) {
      stage = 'tls';
      const [t, tlsMs] = await timed(() =>
        handshake(
          s,
          servername,
          o.extraCA?.length ? [...tls.rootCertificates, ...o.extraCA] : undefined,
          to.tls,
          o.signal,
        ),
      );
      io = t;
      const peer = t.getPeerCertificate(true);
      const info = {
        protocol: t.getProtocol() ?? undefined,
        subject: certName(peer.subject),
        issuer: certName(peer.issuer),
        validTo: peer.valid_to ? new Date(peer.valid_to).toISOString() : undefined,
      };
      // Which trust store verifies the chain: the system CAs alone, or only with the extra CAs.
      let kind: string | undefined;
      let why = '';
      const authErr = t.authorizationError
        ? String((t.authorizationError as unknown as { code?: string }).code ?? t.authorizationError)
        : undefined;
      if (authErr) {
        kind = TLS_KIND[authErr] ?? 'untrusted';
        why = authErr;
      } else {
        const idErr = net.isIP(servername) ? undefined : tls.checkServerIdentity(servername, peer);
        if (idErr) {
          kind = 'wrong-host';
          why = idErr.message;
        }
      }
      let trust: 'system' | 'extra' | undefined;
      if (!kind) trust = o.extraCA?.length ? (verifiesWithSystem(peer) ? 'system' : 'extra') : 'system';
      r.tls = { ok: !kind, ms: tlsMs, ...info, ...(trust ? { trust } : {}) };
      if (kind === 'expired')
        throw new StageError('expired', `the certificate of ${servername} expired on ${info.validTo}`);
      if (kind === 'not-yet-valid')
        throw new StageError('not-yet-valid', `the certificate of ${servername} is not valid yet`);
      if (kind === 'wrong-host')
        throw new StageError('wrong-host', `the certificate (${info.subject}) is not for ${servername}: ${why}`);
      if (kind)
        throw new StageError(
          'untrusted',
          `the certificate of ${servername} is issued by ${info.issuer}, which is not trusted (${why})`,
        );
    }
    stage = 'http';
    const [ans, httpMs] = await timed(async () => {
      io.write(
        `GET / HTTP/1.1\r\nHost: ${target.host}\r\nUser-Agent: runner-doctor\r\nAccept: */*\r\nConnection: close\r\n\r\n`,
      );
      return readHead(io, to.http, `HTTP GET https://${target.host}/`, o.signal);
    });
    r.http = { ok: true, ms: httpMs, status: ans.status };
  } catch (e) {
    const err = e instanceof StageError ? e : new StageError('error', (e as Error).message);
    r.failedStage = stage;
    const failed = { ok: false, error: err.kind, detail: err.message };
    if (stage === 'tls' && r.tls) Object.assign(r.tls, failed);
    else if (stage === 'proxy' && r.proxy) Object.assign(r.proxy, failed);
    else r[stage] = { ...(r[stage] ?? {}), ...failed };
  } finally {
    sock?.destroy();
  }
  r.totalMs = Math.round((performance.now() - t0) * 10) / 10;
  return r;
}

/** Whether the presented chain verifies against the system CAs alone (to tell interception apart). */
function verifiesWithSystem(peer: tls.DetailedPeerCertificate): boolean {
  try {
    const chain: X509Certificate[] = [];
    let c: tls.DetailedPeerCertificate | undefined = peer;
    const seen = new Set<string>();
    while (c?.raw && !seen.has(c.fingerprint256)) {
      seen.add(c.fingerprint256);
      chain.push(new X509Certificate(c.raw));
      c = c.issuerCertificate;
    }
    const last = chain.at(-1);
    if (!last) return false;
    return tls.rootCertificates.some((pem) => {
      const root = new X509Certificate(pem);
      return last.checkIssued(root) && last.verify(root.publicKey);
    });
  } catch {
    return false;
  }
}

/** Every endpoint at once. */
export function probeAll(targets: EgressTarget[], o: ProbeOptions = {}): Promise<EndpointResult[]> {
  return Promise.all(targets.map((t) => probeEndpoint(t, o)));
}
