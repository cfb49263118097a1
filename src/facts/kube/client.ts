// Access to the Kubernetes API: kubeconfig loading (file, context, in-cluster), one request path with
// the kubeconfig's auth applied by client-node, gzip, a per-request timeout, the run's deadline on
// every request, retries on 429/5xx/resets honouring Retry-After, pagination with items reduced as
// each page arrives, request and byte counters, and every failure classified into one line that says
// what is wrong and what to do.
import https from 'node:https';
import http from 'node:http';
import zlib from 'node:zlib';
import { X509Certificate } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { ListStreamParser } from './list-stream.ts';
import { FactError, type FactErrorKind, type RbacRule } from '../../engine/facts.ts';

export type KubeErrorKind = Extract<
  FactErrorKind,
  'unreachable' | 'unauthorized' | 'forbidden' | 'not-found' | 'timeout' | 'deadline' | 'tls' | 'server' | 'config'
>;

/** A FactError from the API: `kind` says which, `status` the HTTP status when there was one. */
export class KubeError extends FactError {
  constructor(kind: KubeErrorKind, message: string, remediation: string, status?: number, rule?: RbacRule) {
    super(kind, message, remediation, { ...(status ? { status } : {}), ...(rule ? { rule } : {}) });
  }
}

export interface Access {
  kc: KubeConfig;
  server: string;
  context: string;
  /** The kubeconfig context's namespace, if any. */
  defaultNamespace?: string;
  inCluster: boolean;
}

/** Loads credentials: --kubeconfig, else $KUBECONFIG / ~/.kube/config, else the in-cluster ServiceAccount. */
export async function loadAccess(opts: { kubeconfig?: string; context?: string }): Promise<Access> {
  const { KubeConfig } = await import('./client-node.ts');
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    throw new KubeError(
      'config',
      `cannot load the kubeconfig${opts.kubeconfig ? ` ${opts.kubeconfig}` : ''}: ${firstLine(e)}`,
      'point --kubeconfig (or KUBECONFIG) at a valid kubeconfig, e.g. from `aws eks update-kubeconfig` or `az aks get-credentials`',
    );
  }
  if (opts.context) {
    if (!kc.getContexts().some((c) => c.name === opts.context)) {
      throw new KubeError(
        'config',
        `kubeconfig has no context "${opts.context}" (it has: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        })`,
        'pick one of the listed contexts with --context',
      );
    }
    kc.setCurrentContext(opts.context);
  }
  const cluster = kc.getCurrentCluster();
  if (
    !cluster?.server ||
    (cluster.server === 'http://localhost:8080' &&
      !process.env.KUBERNETES_SERVICE_HOST &&
      !opts.kubeconfig &&
      !process.env.KUBECONFIG)
  ) {
    throw new KubeError(
      'config',
      'no kubeconfig found and not running inside a cluster',
      'set KUBECONFIG or pass --kubeconfig; inside a cluster, run as a Job with a ServiceAccount (see deploy/)',
    );
  }
  const ctx = kc.getContextObject(kc.getCurrentContext());
  return {
    kc,
    server: cluster.server.replace(/\/$/, ''),
    context: kc.getCurrentContext(),
    defaultNamespace: ctx?.namespace,
    inCluster: kc.getCurrentContext() === 'inClusterContext',
  };
}

const POOLS = new WeakMap<KubeConfig, http.Agent>();

/**
 * One keep-alive connection pool per kubeconfig, shared by every request and exec WebSocket of a run:
 * client-node's own agent closes each connection after one request, so each would pay a TCP and a TLS
 * handshake (two round trips more to a distant API server). The pool keys sockets by each request's TLS
 * options (CA, client certificate), so nothing mixes. Through a kubeconfig `proxy-url`, client-node's
 * proxy agent is kept (undefined here).
 */
export function connectionPool(kc: KubeConfig): http.Agent | undefined {
  const cluster = kc.getCurrentCluster();
  if (!cluster || cluster.proxyUrl) return undefined;
  let pool = POOLS.get(kc);
  if (!pool) {
    pool = cluster.server.startsWith('http:')
      ? new http.Agent({ keepAlive: true })
      : new https.Agent({ keepAlive: true });
    POOLS.set(kc, pool);
  }
  return pool;
}

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH';
  body?: unknown;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Accept header; JSON by default. */
  accept?: string;
  /** Return the raw body instead of parsing JSON. */
  raw?: boolean;
  /** Query string (e.g. dryRun=All). */
  query?: Record<string, string>;
  /** Receives the API server's `Warning` headers (admission warnings). */
  onWarnings?: (warnings: string[]) => void;
  contentType?: string;
  /** Body size cap for this request (default: the client's). */
  maxBytes?: number;
  /** Parses the JSON body with this reviver (e.g. to drop Secret values while parsing). */
  reviver?: (key: string, value: unknown) => unknown;
  /**
   * Streams a List: each element of its `items` is handed over as JSON text as soon as it has arrived,
   * and replaced by what this returns (undefined drops it); no body size cap applies then, only one
   * per item. Items of an attempt that fails half-way are discarded with it (a retry starts afresh).
   */
  streamItems?: (itemJson: string) => unknown;
}

interface Resp {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** What `streamItems` returned for each item of a streamed List. */
  items?: unknown[];
}

/** An exception thrown by a `streamItems` consumer (a bug, not a transport failure): passed on as is. */
class ConsumerError extends Error {
  readonly inner: unknown;
  constructor(inner: unknown) {
    super('list item consumer failed');
    this.inner = inner;
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

export class KubeClient {
  readonly access: Access;
  /** Every HTTP request sent (retries included): the figure the efficiency test bounds. */
  requests = 0;
  /** Bytes received on the wire (compressed when the server compressed). */
  bytes = 0;
  /** The same bodies after decompression: what was parsed. */
  decodedBytes = 0;
  readonly #maxBody: number;
  readonly #signal?: AbortSignal;
  /** Set once the server is unreachable or refuses the credentials: later requests fail at once with it. */
  #broken?: KubeError;
  constructor(access: Access, opts: { maxBodyBytes?: number; signal?: AbortSignal } = {}) {
    this.access = access;
    this.#maxBody = opts.maxBodyBytes ?? 64 * 1024 * 1024;
    this.#signal = opts.signal;
  }

  /** The run's deadline merged with a request's own signal. */
  signal(own?: AbortSignal): AbortSignal | undefined {
    const all = [this.#signal, own].filter((s): s is AbortSignal => s !== undefined);
    return all.length > 1 ? AbortSignal.any(all) : all[0];
  }

  async #send(path: string, o: RequestOptions, signal: AbortSignal | undefined): Promise<Resp> {
    const url = new URL(this.access.server + path);
    const reqOpts: https.RequestOptions = {
      method: o.method ?? 'GET',
      hostname: url.hostname,
      port: url.port,
      path:
        url.pathname + (o.query ? `${url.search ? `${url.search}&` : '?'}${new URLSearchParams(o.query)}` : url.search),
      headers: {
        Accept: o.accept ?? 'application/json',
        'Accept-Encoding': 'gzip',
        'User-Agent': 'runner-doctor',
        ...(o.body ? { 'Content-Type': o.contentType ?? 'application/json' } : {}),
      },
      timeout: o.timeoutMs ?? 15_000,
    };
    await this.access.kc.applyToHTTPSOptions(reqOpts);
    const pool = connectionPool(this.access.kc);
    if (pool) reqOpts.agent = pool;
    this.requests++;
    const lib = url.protocol === 'http:' ? http : https;
    return new Promise<Resp>((resolve, rejectWith) => {
      // The first cause wins: a consumer's exception, not the "aborted" its destroy() causes.
      let failure: unknown;
      const reject = (e: unknown) => rejectWith((failure ??= e));
      const req = lib.request({ ...reqOpts, signal }, (res) => {
        const chunks: Buffer[] = [];
        const cap = o.maxBytes ?? this.#maxBody;
        let size = 0;
        const gz = /gzip/.test(String(res.headers['content-encoding'] ?? ''));
        const body = gz ? res.pipe(zlib.createGunzip()) : res;
        const status = res.statusCode ?? 0;
        // A successful List is cut into items as it arrives (errors are small Status objects: buffered).
        const consume = o.streamItems;
        const items: unknown[] = [];
        const stream =
          consume && status >= 200 && status < 300
            ? new ListStreamParser((text) => {
                const r = consume(text);
                if (r !== undefined) items.push(r);
              })
            : undefined;
        res.on('data', (b: Buffer) => {
          this.bytes += b.length;
        });
        body.on('data', (b: Buffer) => {
          if (failure !== undefined) return;
          size += b.length;
          this.decodedBytes += b.length;
          if (stream) {
            try {
              stream.feed(b);
            } catch (e) {
              failure ??= e instanceof Error && /^a list item larger/.test(e.message) ? e : new ConsumerError(e);
              req.destroy(e instanceof Error ? e : undefined);
            }
          } else if (size > cap) req.destroy(new Error(`response larger than ${cap} bytes`));
          else chunks.push(b);
        });
        body.on('end', () => {
          try {
            const text = stream ? stream.end() : Buffer.concat(chunks).toString('utf8');
            resolve({ status, headers: res.headers, body: text, ...(stream ? { items } : {}) });
          } catch (e) {
            reject(e);
          }
        });
        body.on('error', reject);
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(o.body ? JSON.stringify(o.body) : undefined);
    });
  }

  /** One API call: retried on 429/5xx/connection resets with backoff (Retry-After honoured), classified on failure. */
  async request<T>(path: string, o: RequestOptions = {}): Promise<T> {
    if (this.#broken) throw this.#broken;
    const signal = this.signal(o.signal);
    try {
      return await this.#request<T>(path, o, signal);
    } catch (e) {
      // Every other check would wait for the same timeout or get the same 401: remember it once.
      if (isConnectionFailure(e) && !signal?.aborted) this.#broken = e;
      throw e;
    }
  }

  async #request<T>(path: string, o: RequestOptions, signal: AbortSignal | undefined): Promise<T> {
    const what = `${o.method ?? 'GET'} ${path.split('?')[0]}`;
    for (let attempt = 0; ; attempt++) {
      let resp: Resp;
      try {
        resp = await this.#send(path, o, signal);
      } catch (e) {
        if (e instanceof ConsumerError) throw e.inner;
        if (signal?.aborted)
          throw new KubeError(
            'deadline',
            `${what} was cancelled: the run's deadline passed`,
            'raise --timeout; a slow or throttling API server needs more time',
          );
        const err = this.#classifyNetwork(e, what);
        if (attempt < 2 && err.kind !== 'tls' && (e as NodeJS.ErrnoException).code === 'ECONNRESET') {
          await sleep(200 * 2 ** attempt, signal);
          continue;
        }
        throw err;
      }
      if (o.onWarnings) {
        const w = resp.headers.warning;
        o.onWarnings(parseWarnings(Array.isArray(w) ? w.join(', ') : (w ?? '')));
      }
      if (resp.status >= 200 && resp.status < 300) {
        if (o.raw) return resp.body as T;
        const v = JSON.parse(resp.body, resp.items ? undefined : o.reviver) as { items?: unknown[] };
        if (resp.items) v.items = resp.items;
        return v as T;
      }
      if ((resp.status === 429 || resp.status >= 500) && attempt < 3 && !signal?.aborted) {
        const ra = Number(resp.headers['retry-after']);
        await sleep(Number.isFinite(ra) && ra > 0 ? Math.min(ra, 10) * 1000 : 250 * 2 ** attempt, signal);
        if (!signal?.aborted) continue;
      }
      throw this.#classifyStatus(resp, what);
    }
  }

  /**
   * A LIST, all pages (limit/continue), each item passed through `reduce` as its page arrives so only
   * what the checks need is kept. `resourceVersion=0` serves the first page from the watch cache.
   */
  async list<T, R = T>(
    path: string,
    o: {
      labelSelector?: string;
      fieldSelector?: string;
      limit?: number;
      signal?: AbortSignal;
      cached?: boolean;
      reduce?: (item: T) => R | undefined;
      reviver?: RequestOptions['reviver'];
    } = {},
  ): Promise<R[]> {
    const items: R[] = [];
    let cont: string | undefined;
    do {
      const q = new URLSearchParams();
      q.set('limit', String(o.limit ?? 500));
      if (o.labelSelector) q.set('labelSelector', o.labelSelector);
      if (o.fieldSelector) q.set('fieldSelector', o.fieldSelector);
      if (cont) q.set('continue', cont);
      else if (o.cached) q.set('resourceVersion', '0');
      // Each item is parsed on its own and reduced as it arrives: no page of full objects is ever held.
      const page = await this.request<{ items?: R[]; metadata?: { continue?: string } }>(`${path}?${q}`, {
        signal: o.signal,
        streamItems: (text) => {
          const item = JSON.parse(text, o.reviver) as T;
          return o.reduce ? o.reduce(item) : item;
        },
      });
      for (const r of page.items ?? []) items.push(r);
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return items;
  }

  #classifyNetwork(e: unknown, what: string): KubeError {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const host = new URL(this.access.server).host;
    const msg = firstLine(e);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
      return new KubeError(
        'unreachable',
        `API server unreachable: DNS lookup of ${new URL(this.access.server).hostname} failed`,
        'check the server address in the kubeconfig, your DNS and VPN; private clusters need a path to the private endpoint',
      );
    if (code === 'ECONNREFUSED')
      return new KubeError(
        'unreachable',
        `API server unreachable: connection to ${host} refused`,
        'check that the API server is up and the kubeconfig points at the right address and port',
      );
    if (
      code === 'ETIMEDOUT' ||
      code === 'ECONNRESET' ||
      code === 'EHOSTUNREACH' ||
      code === 'ENETUNREACH' ||
      msg === 'timeout'
    )
      return new KubeError(
        'timeout',
        `API server did not answer ${what} in time (${host})`,
        'check network access to the API server (authorized IP ranges, VPN, firewall); raise --timeout on a slow link',
      );
    if (/certificate|self[- ]signed|CERT_|unable to verify/i.test(`${code} ${msg}`))
      return new KubeError(
        'tls',
        `TLS with the API server failed: ${msg}`,
        "the kubeconfig's certificate-authority does not match the server; refresh the kubeconfig",
      );
    if ((e as Error).name === 'AbortError')
      return new KubeError('deadline', `${what} was cancelled: the run's deadline passed`, 'raise --timeout');
    return new KubeError(
      'unreachable',
      `API request ${what} failed: ${msg}`,
      'check the kubeconfig and network access to the API server',
    );
  }

  #classifyStatus(resp: Resp, what: string): KubeError {
    let status: { message?: string; reason?: string; details?: { kind?: string; group?: string; name?: string } } = {};
    try {
      status = JSON.parse(resp.body);
    } catch {
      /* not a Status object */
    }
    const message = (status.message ?? resp.body.slice(0, 200)).split('\n')[0]!;
    if (resp.status === 401) {
      const expired = this.#credentialExpiry();
      return new KubeError(
        'unauthorized',
        `unauthorized: the API server rejected the credentials${expired ? ` (${expired})` : ' (bad or expired token or certificate)'}`,
        'refresh the kubeconfig: `aws eks update-kubeconfig`, `az aks get-credentials` or `gcloud container clusters get-credentials`; for a Job, check its ServiceAccount token',
        401,
      );
    }
    if (resp.status === 403) return forbidden(message);
    if (resp.status === 404)
      return new KubeError(
        'not-found',
        `not found: ${what}${status.details?.name ? ` (${status.details.kind ?? 'object'} ${status.details.name})` : ''}`,
        'check the namespace and names; the API may not be served by this cluster',
        404,
      );
    return new KubeError(
      'server',
      `API server answered ${resp.status} to ${what}: ${message}`,
      'retry later; if it persists, the API server or an aggregated API is unhealthy',
      resp.status,
    );
  }

  /** Explains why credentials were refused when the kubeconfig itself shows it: an expired certificate or token. */
  #credentialExpiry(): string | undefined {
    const user = this.access.kc.getCurrentUser();
    try {
      const pem = user?.certData ? Buffer.from(user.certData, 'base64') : undefined;
      if (pem) {
        const cert = new X509Certificate(pem);
        if (Date.parse(cert.validTo) < Date.now())
          return `the client certificate expired on ${new Date(cert.validTo).toISOString()}`;
      }
      const token = user?.token;
      const payload = token?.split('.')[1];
      if (payload) {
        const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: number }).exp;
        if (exp && exp * 1000 < Date.now()) return `the token expired at ${new Date(exp * 1000).toISOString()}`;
      }
    } catch {
      /* not decodable: say nothing more */
    }
    return undefined;
  }
}

/** Failures of the connection or the credentials: every later request would fail the same way. */
export function isConnectionFailure(e: unknown): e is KubeError {
  return e instanceof KubeError && ['unreachable', 'timeout', 'tls', 'unauthorized'].includes(e.kind);
}

/** 403: names the verb, resource and namespace, and the RBAC rule that would allow it. */
export function forbidden(message: string): KubeError {
  const m = message.match(
    /cannot (\w+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]+)")?/,
  );
  if (!m)
    return new KubeError(
      'forbidden',
      `forbidden: ${message}`,
      "grant the doctor's identity read access (runner-doctor manifest prints the least-privilege set)",
      403,
    );
  const [, verb = '', resource = '', group = '', ns] = m;
  const rule: RbacRule = {
    apiGroups: [group],
    resources: [resource],
    verbs: [verb],
    scope: ns ? 'namespace' : 'cluster',
  };
  return forbiddenFor(rule, ns);
}

/** The one-line forbidden error for a rule, in a namespace or cluster-wide. */
export function forbiddenFor(rule: RbacRule, namespace?: string): KubeError {
  const text = ruleText(rule.verbs.join('", "'), rule.apiGroups[0] ?? '', rule.resources.join('", "'));
  const where = namespace ? ` in namespace ${namespace}` : ' cluster-wide';
  return new KubeError(
    'forbidden',
    `forbidden: cannot ${rule.verbs.join('/')} ${rule.resources.join(', ')}${where} (needs ${text})`,
    `add ${text} to a ${namespace ? `Role in namespace ${namespace}` : 'ClusterRole'} bound to the doctor's identity (\`runner-doctor manifest\` prints the least-privilege set)`,
    403,
    rule,
  );
}

export function ruleText(verb: string, group: string, resource: string): string {
  return `{apiGroups: ["${group}"], resources: ["${resource}"], verbs: ["${verb}"]}`;
}

/** RFC 7234 Warning header values (`299 - "text"`, several joined by ", "), unquoted. */
export function parseWarnings(header: string): string[] {
  const out: string[] = [];
  const re = /\d{3} \S+ "((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(header); m; m = re.exec(header)) out.push(m[1]!.replace(/\\(.)/g, '$1'));
  return out;
}
