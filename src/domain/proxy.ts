// Which proxy a connection to host:port goes through: HTTPS_PROXY / HTTP_PROXY with NO_PROXY, or the
// runner's own PROXY_HTTPS / PROXY_HTTP with PROXY_EXCLUDE (Java-style `a|*.b`, commas accepted too).

export interface ProxyConfig {
  https?: string;
  http?: string;
  exclude: string[];
  /** Which variables it came from, for messages. */
  source: string;
}

export interface ProxyChoice {
  host: string;
  port: number;
  /** `Proxy-Authorization` value when the URL carries credentials (never printed). */
  auth?: string;
  /** The proxy URL with any credentials replaced by `***`. */
  display: string;
}

const pick = (env: Record<string, string | undefined>, ...names: string[]) =>
  names
    .map((n) => env[n])
    .find((v) => v !== undefined && v.trim() !== '')
    ?.trim();

/** The runner's settings first (PROXY_*), then the standard variables. */
export function proxyConfigFrom(
  env: Record<string, string | undefined>,
  preferRunner: boolean,
): ProxyConfig | undefined {
  const runner = {
    https: pick(env, 'PROXY_HTTPS'),
    http: pick(env, 'PROXY_HTTP'),
    exclude: pick(env, 'PROXY_EXCLUDE'),
  };
  const std = {
    https: pick(env, 'HTTPS_PROXY', 'https_proxy'),
    http: pick(env, 'HTTP_PROXY', 'http_proxy'),
    exclude: pick(env, 'NO_PROXY', 'no_proxy'),
  };
  const use =
    preferRunner && (runner.https || runner.http)
      ? { ...runner, source: 'PROXY_HTTPS/PROXY_HTTP/PROXY_EXCLUDE' }
      : std.https || std.http
        ? { ...std, source: 'HTTPS_PROXY/HTTP_PROXY/NO_PROXY' }
        : undefined;
  if (!use) return undefined;
  return {
    https: use.https,
    http: use.http,
    exclude: (use.exclude ?? '').split(/[|,\s]+/).filter(Boolean),
    source: use.source,
  };
}

/** NO_PROXY matching as curl and most runtimes do it: `*`, exact host, domain suffix (`.b` or `b` or `*.b`), host:port. */
export function excluded(host: string, port: number, exclude: string[]): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return exclude.some((raw) => {
    let e = raw.trim().toLowerCase();
    if (e === '*') return true;
    const pm = e.match(/^(.*):(\d+)$/);
    if (pm && !e.includes(']')) {
      if (Number(pm[2]) !== port) return false;
      e = pm[1]!;
    }
    e = e.replace(/^\*\./, '.').replace(/\.$/, '');
    if (e.startsWith('.')) return h.endsWith(e) || h === e.slice(1);
    return h === e || h.endsWith(`.${e}`);
  });
}

export function parseProxyUrl(url: string): ProxyChoice | undefined {
  let u: URL;
  try {
    u = new URL(/^[a-z]+:\/\//i.test(url) ? url : `http://${url}`);
  } catch {
    return undefined;
  }
  const auth = u.username
    ? `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`
    : undefined;
  const display = `${u.protocol}//${u.username ? '***@' : ''}${u.host}`;
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80),
    auth,
    display,
  };
}

export function proxyFor(
  cfg: ProxyConfig | undefined,
  host: string,
  port: number,
  tls: boolean,
): ProxyChoice | undefined {
  if (!cfg) return undefined;
  const url = tls ? (cfg.https ?? cfg.http) : (cfg.http ?? cfg.https);
  if (!url || excluded(host, port, cfg.exclude)) return undefined;
  return parseProxyUrl(url);
}
