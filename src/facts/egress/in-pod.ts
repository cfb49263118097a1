// The same stage-by-stage egress test from inside a runner pod (its NetworkPolicy, its node, its DNS):
// one `sh -c` script that runs an inline `python3 -c` program when python3 exists (a file would be
// killed by drift-prevention agents), else falls back to curl, wget or getent, and says which tool
// ran. Targets are embedded as data (host names validated, single-quoted); proxy credentials and CAs
// are read from the pod's own env, never passed in the command (exec arguments reach audit logs).
// The output is untrusted: marker lines with a per-run nonce, parsed strictly.
import {
  type EgressTarget,
  type EndpointResult,
  type StageResult,
  type StageTimeouts,
  validHost,
} from '../../domain/egress.ts';
import { cleanText } from '../../redact/redact.ts';
import { PY_PROXY_RULES } from '../in-pod-proxy.ts';

const PY = String.raw`
import json, os, re, socket, ssl, threading, time, base64, tempfile
N = os.environ['RDE_N']; T = json.loads(os.environ['RDE_T']); TO = json.loads(os.environ['RDE_TO'])
lock = threading.Lock()
${PY_PROXY_RULES}
def proxy_for(t):
    if not PX or excluded(t['host'], t['port']): return None
    u = PX if '://' in PX else 'http://' + PX
    rest = u.split('://', 1)[1].split('/', 1)[0]
    auth = None
    if '@' in rest:
        cred, rest = rest.rsplit('@', 1)
        try:
            from urllib.parse import unquote
        except ImportError:
            from urllib import unquote
        auth = 'Basic ' + base64.b64encode(unquote(cred).encode()).decode()
    host, _, port = rest.rpartition(':') if rest.count(':') == 1 else (rest, '', '')
    return {'host': host or rest, 'port': int(port or 80), 'auth': auth, 'display': u.split('://')[0] + '://' + ('***@' if auth else '') + rest}
def ms(t0): return round((time.time() - t0) * 1000, 1)
def nm(x): return ', '.join('%s=%s' % ('CN' if k2 == 'commonName' else 'O', v) for rdn in x for (k2, v) in rdn if k2 in ('commonName', 'organizationName'))
def ctx():
    c = ssl.create_default_context()
    loc = env('CUSTOM_CERT_LOCATION')
    if loc:
        try:
            if os.path.isdir(loc): c.load_verify_locations(capath=loc)
            else: c.load_verify_locations(cafile=loc)
        except Exception: pass
    return c
def head(s, timeout):
    s.settimeout(timeout); buf = b''
    while b'\r\n\r\n' not in buf and len(buf) < 16384:
        d = s.recv(4096)
        if not d: break
        buf += d
    line = buf.split(b'\r\n', 1)[0].decode('latin-1')
    parts = line.split(' ')
    if len(parts) < 2 or not parts[0].startswith('HTTP/') or not parts[1].isdigit(): raise ValueError('not an HTTP answer')
    return int(parts[1])
def issuer_of(host, sock_factory):
    try:
        s = sock_factory()
        c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
        w = c.wrap_socket(s, server_hostname=host)
        der = w.getpeercert(True); w.close()
        f = tempfile.NamedTemporaryFile('w', suffix='.pem', delete=False); f.write(ssl.DER_cert_to_PEM_cert(der)); f.close()
        d = ssl._ssl._test_decode_cert(f.name); os.unlink(f.name)
        return nm(d.get('issuer', ())), nm(d.get('subject', ())), d.get('notAfter')
    except Exception:
        return None, None, None
def run(t):
    r = {'name': t['name'], 'tool': 'python3'}; t0 = time.time(); stage = 'dns'
    px = proxy_for(t); dial = t.get('connect') or {'host': t['host'], 'port': t['port']}
    if px: r['via'] = px['display']
    sn = t.get('servername') or t['host']
    try:
        s0 = time.time(); res = {}
        def look():
            try: res['a'] = [a[4][0] for a in socket.getaddrinfo(px['host'] if px else dial['host'], None, 0, socket.SOCK_STREAM)]
            except socket.gaierror as e: res['e'] = e
        th = threading.Thread(target=look); th.daemon = True; th.start(); th.join(TO['dns'] / 1000.0)
        if th.is_alive(): raise Stage('timeout', 'DNS lookup timed out after %d ms' % TO['dns'])
        if 'e' in res:
            no = res['e'].args[0]
            kind = {socket.EAI_NONAME: 'nxdomain', socket.EAI_AGAIN: 'temporary'}.get(no, 'no-data' if no == getattr(socket, 'EAI_NODATA', -5) else 'error')
            raise Stage(kind, 'DNS lookup of %s: %s' % (px['host'] if px else dial['host'], res['e'].args[-1]))
        r['dns'] = {'ok': True, 'ms': ms(s0), 'addresses': res['a'][:8]}
        if px: r['dns']['byProxy'] = True
        stage = 'tcp'; s0 = time.time()
        addr = (res['a'][0], px['port'] if px else dial['port'])
        def connect():
            return socket.create_connection(addr, TO['tcp'] / 1000.0)
        try: s = connect()
        except socket.timeout: raise Stage('timeout', 'TCP connect to %s:%d timed out' % addr)
        except ConnectionRefusedError: raise Stage('refused', 'TCP connect to %s:%d: connection refused' % addr)
        except OSError as e:
            raise Stage('unreachable' if e.errno in (101, 113) else 'error', 'TCP connect to %s:%d: %s' % (addr[0], addr[1], e.strerror))
        r['tcp'] = {'ok': True, 'ms': ms(s0), 'address': '%s:%d' % addr}
        if px:
            stage = 'proxy'; s0 = time.time()
            a = '%s:%d' % (dial['host'], dial['port'])
            s.sendall(('CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: runner-doctor\r\n%s\r\n' % (a, a, ('Proxy-Authorization: %s\r\n' % px['auth']) if px['auth'] else '')).encode())
            try: st = head(s, TO['http'] / 1000.0)
            except socket.timeout: raise Stage('timeout', 'the proxy did not answer CONNECT')
            r['proxy'] = {'ok': st == 200, 'ms': ms(s0), 'status': st}
            if st == 407: raise Stage('auth-required', 'the proxy %s answered 407: it needs credentials' % px['display'])
            if st == 403: raise Stage('denied', 'the proxy %s answered 403: it does not allow %s' % (px['display'], a))
            if st != 200: raise Stage('status', 'the proxy %s answered %d to CONNECT %s' % (px['display'], st, a))
        io = s
        if t['tls']:
            stage = 'tls'; s0 = time.time()
            s.settimeout(TO['tls'] / 1000.0)
            try:
                io = ctx().wrap_socket(s, server_hostname=sn)
            except socket.timeout: raise Stage('timeout', 'TLS handshake with %s timed out after %d ms' % (sn, TO['tls']))
            except ssl.SSLError as e:
                code = getattr(e, 'verify_code', None)
                kind = {10: 'expired', 9: 'not-yet-valid', 62: 'wrong-host'}.get(code, 'untrusted' if code in (18, 19, 20, 21, 2) else 'handshake')
                iss, sub, na = (None, None, None)
                if kind in ('untrusted', 'expired', 'wrong-host') and not px: iss, sub, na = issuer_of(sn, connect)
                r['tls'] = {'ok': False, 'ms': ms(s0), 'issuer': iss, 'subject': sub, 'validTo': na}
                raise Stage(kind, 'TLS with %s: %s' % (sn, getattr(e, 'verify_message', None) or str(e)))
            c = io.getpeercert() or {}
            r['tls'] = {'ok': True, 'ms': ms(s0), 'protocol': io.version(), 'issuer': nm(c.get('issuer', ())), 'subject': nm(c.get('subject', ())), 'validTo': c.get('notAfter')}
        stage = 'http'; s0 = time.time()
        io.sendall(('GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: runner-doctor\r\nConnection: close\r\n\r\n' % t['host']).encode())
        try: st = head(io, TO['http'] / 1000.0)
        except socket.timeout: raise Stage('timeout', 'no HTTP answer within %d ms' % TO['http'])
        r['http'] = {'ok': True, 'ms': ms(s0), 'status': st}
        io.close()
    except Stage as e:
        r['failedStage'] = stage; d = r.get(stage) or {}; d.update({'ok': False, 'error': e.kind, 'detail': str(e)}); r[stage] = d
    except Exception as e:
        r['failedStage'] = stage; r[stage] = {'ok': False, 'error': 'error', 'detail': '%s: %s' % (type(e).__name__, e)}
    r['totalMs'] = ms(t0)
    with lock: print('@@RDE:%s:r:%s' % (N, json.dumps(r)))
class Stage(Exception):
    def __init__(self, kind, msg):
        Exception.__init__(self, msg); self.kind = kind
ths = [threading.Thread(target=run, args=(t,)) for t in T]
for th in ths: th.daemon = True; th.start()
for th in ths: th.join()
print('@@RDE:%s:end' % N)
`;

/** The fallback for images without python3: curl (all stages), wget (reachability), getent (DNS only). */
const SH_FALLBACK = String.raw`
rde_ptool=none
if command -v curl >/dev/null 2>&1; then rde_ptool=curl; elif command -v wget >/dev/null 2>&1; then rde_ptool=wget; elif command -v getent >/dev/null 2>&1; then rde_ptool=getent; fi
echo "@@RDE:$RDE_N:tool:$rde_ptool"
rde_px="\${PROXY_HTTPS:-\${PROXY_HTTP:-}}"
rde_ex=$(printf '%s' "\${PROXY_EXCLUDE:-}" | tr '|' ',')
printf '%s\n' "$RDE_L" | while read -r name host port chost cport sni tls; do
  [ -n "$name" ] || continue
  scheme=https; [ "$tls" = 1 ] || scheme=http
  case "$rde_ptool" in
  curl)
    set -- -sS -o /dev/null --connect-timeout "$RDE_TCPS" -m "$RDE_MAXS" -w '%{http_code} %{time_namelookup} %{time_connect} %{time_appconnect} %{time_starttransfer} %{time_total}'
    [ "$chost" = - ] || set -- "$@" --connect-to "$host:$port:$chost:$cport"
    if [ -n "\${CUSTOM_CERT_LOCATION:-}" ]; then if [ -d "$CUSTOM_CERT_LOCATION" ]; then set -- "$@" --capath "$CUSTOM_CERT_LOCATION"; else set -- "$@" --cacert "$CUSTOM_CERT_LOCATION"; fi; fi
    [ -z "$rde_px" ] || set -- "$@" -x "$rde_px" --noproxy "$rde_ex"
    out=$(curl "$@" "$scheme://$host:$port/" 2>/tmp/.rde.$$); rc=$?
    err=$(head -c 300 /tmp/.rde.$$ | tr -d '\000-\037'); rm -f /tmp/.rde.$$
    echo "@@RDE:$RDE_N:c:$name	$rc	$out	$err" ;;
  wget)
    set -- -nv -O /dev/null -T "$RDE_MAXS" -t 1
    if [ -f "\${CUSTOM_CERT_LOCATION:-}" ]; then set -- "$@" --ca-certificate="$CUSTOM_CERT_LOCATION"; fi
    out=$(wget "$@" "$scheme://$host:$port/" 2>&1); rc=$?
    echo "@@RDE:$RDE_N:w:$name	$rc	$(printf '%s' "$out" | head -c 300 | tr -d '\000-\037')" ;;
  getent)
    if getent hosts "$host" >/dev/null 2>&1; then rc=0; else rc=2; fi
    echo "@@RDE:$RDE_N:g:$name	$rc" ;;
  *) echo "@@RDE:$RDE_N:g:$name	127" ;;
  esac
done
echo "@@RDE:$RDE_N:end"
`;

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The `sh -c` script for a set of targets; every value embedded is validated or JSON inside single quotes. */
export function inPodEgressScript(targets: EgressTarget[], nonce: string, to: StageTimeouts): string {
  for (const t of targets) {
    if (!validHost(t.host) || (t.connect && !validHost(t.connect.host)) || (t.servername && !validHost(t.servername)))
      throw new Error(`invalid host in egress target ${t.name}`);
  }
  const json = JSON.stringify(
    targets.map((t) => ({
      name: t.name,
      host: t.host,
      port: t.port,
      tls: t.tls,
      servername: t.servername,
      connect: t.connect,
    })),
  );
  const lines = targets
    .map((t) =>
      [
        t.name.replace(/[^A-Za-z0-9._:=-]/g, '_'),
        t.host,
        t.port,
        t.connect?.host ?? '-',
        t.connect?.port ?? '-',
        t.servername ?? '-',
        t.tls ? 1 : 0,
      ].join(' '),
    )
    .join('\n');
  const maxS = Math.ceil((to.dns + to.tcp + to.tls + to.http) / 1000);
  return [
    `RDE_N=${q(nonce)}; RDE_T=${q(json)}; RDE_TO=${q(JSON.stringify(to))}; RDE_L=${q(lines)}; RDE_TCPS=${Math.ceil(to.tcp / 1000)}; RDE_MAXS=${maxS}`,
    'export RDE_N RDE_T RDE_TO',
    `if command -v python3 >/dev/null 2>&1; then echo "@@RDE:$RDE_N:tool:python3"; exec python3 -c ${q(PY)}; fi`,
    SH_FALLBACK.replace(/\\\$\{/g, '${'),
  ].join('\n');
}

export interface InPodEgress {
  tool: string;
  results: EndpointResult[];
  complete: boolean;
}

const str = (v: unknown, max = 300) => (typeof v === 'string' ? cleanText(v).slice(0, max) : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function stage(v: unknown): StageResult | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const out: StageResult & Record<string, unknown> = { ok: o.ok === true };
  if (num(o.ms) !== undefined) out.ms = num(o.ms);
  if (str(o.error, 40)) out.error = str(o.error, 40);
  if (str(o.detail)) out.detail = str(o.detail);
  for (const k of ['protocol', 'issuer', 'subject', 'validTo', 'address']) if (str(o[k])) out[k] = str(o[k]);
  if (num(o.status) !== undefined) out.status = num(o.status);
  if (Array.isArray(o.addresses))
    out.addresses = o.addresses
      .filter((a) => typeof a === 'string')
      .slice(0, 8)
      .map((a) => str(a, 64));
  if (o.byProxy === true) out.byProxy = true;
  return out;
}

const STAGES = ['dns', 'tcp', 'proxy', 'tls', 'http'] as const;

/** curl's exit code and timings → stages (curl reports 0 for the time of a stage it did not reach). */
function fromCurl(t: EgressTarget, rc: number, out: string, err: string): EndpointResult {
  const [code, nl, conn, app, , total] = out.split(' ').map(Number);
  const r: EndpointResult = { target: t, tool: 'curl', totalMs: Math.round((total || 0) * 1000) };
  const msOf = (a?: number, b?: number) => (a && a > 0 ? Math.round((a - (b ?? 0)) * 1000 * 10) / 10 : undefined);
  const fail = (s: (typeof STAGES)[number], error: string) => {
    r.failedStage = s;
    r[s] = { ok: false, error, detail: err || `curl exit ${rc}` };
  };
  if (nl && nl > 0) r.dns = { ok: true, ms: msOf(nl) };
  if (conn && conn > 0) r.tcp = { ok: true, ms: msOf(conn, nl) };
  if (t.tls && app && app > 0) r.tls = { ok: true, ms: msOf(app, conn) };
  if (rc === 0 && code) r.http = { ok: true, status: code };
  else if (rc === 6) fail('dns', /resolve/i.test(err) ? 'nxdomain' : 'error');
  else if (rc === 5) fail('dns', 'nxdomain');
  // 7: could not connect, which curl uses for refused (a timed-out connect is 28).
  else if (rc === 7) fail('tcp', /route|unreachable/i.test(err) ? 'unreachable' : 'refused');
  // 28: curl zeroes the times of a stage that timed out; its message names the stage.
  else if (rc === 28)
    fail(
      /resolv/i.test(err) ? 'dns' : /SSL|TLS/i.test(err) ? 'tls' : /connect/i.test(err) && !conn ? 'tcp' : 'http',
      'timeout',
    );
  else if (rc === 56 || rc === 97)
    fail('proxy', /407/.test(err) ? 'auth-required' : /403/.test(err) ? 'denied' : 'status');
  else if (rc === 60 || rc === 51)
    fail(
      'tls',
      /expired/i.test(err) ? 'expired' : /match|alternative|subject name/i.test(err) ? 'wrong-host' : 'untrusted',
    );
  else if (rc === 35) fail('tls', 'handshake');
  else fail(r.tcp ? (r.tls || !t.tls ? 'http' : 'tls') : 'tcp', 'error');
  // A later stage failing means the earlier ones worked, even where curl reported no time for them.
  const reached = STAGES.indexOf(r.failedStage ?? 'http');
  for (const s of ['dns', 'tcp', 'tls'] as const)
    if (STAGES.indexOf(s) < reached && !r[s] && (s !== 'tls' || t.tls)) r[s] = { ok: true };
  return r;
}

/** Parses the marker lines; anything else (or a line for an unknown target) is ignored. */
export function parseInPodEgress(stdout: string, nonce: string, targets: EgressTarget[]): InPodEgress {
  const byName = new Map(targets.map((t) => [t.name.replace(/[^A-Za-z0-9._:=-]/g, '_'), t]));
  const exact = new Map(targets.map((t) => [t.name, t]));
  const out: InPodEgress = { tool: 'none', results: [], complete: false };
  const prefix = `@@RDE:${nonce}:`;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const rest = line.slice(prefix.length);
    if (rest === 'end') out.complete = true;
    else if (rest.startsWith('tool:')) out.tool = str(rest.slice(5), 20) ?? 'none';
    else if (rest.startsWith('r:')) {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(rest.slice(2)) as Record<string, unknown>;
      } catch {
        continue;
      }
      const t = exact.get(String(o.name));
      if (!t || out.results.some((x) => x.target === t)) continue;
      const r: EndpointResult = { target: t, tool: 'python3', totalMs: num(o.totalMs) ?? 0 };
      if (str(o.via)) r.via = str(o.via);
      for (const s of STAGES) {
        const v = stage(o[s]);
        if (v) (r as unknown as Record<string, unknown>)[s] = v;
      }
      if (STAGES.includes(o.failedStage as never)) r.failedStage = o.failedStage as never;
      out.results.push(r);
    } else if (/^[cwg]:/.test(rest)) {
      const [name, rcs, a = '', b = ''] = rest.slice(2).split('\t');
      const t = byName.get(name ?? '');
      const rc = Number(rcs);
      if (!t || !Number.isInteger(rc) || out.results.some((x) => x.target === t)) continue;
      if (rest[0] === 'c') out.results.push(fromCurl(t, rc, a, str(b) ?? ''));
      else if (rest[0] === 'w') {
        // wget: 0, 6 (authentication asked) or 8 (an HTTP error status) prove reachability; 4 network, 5 TLS.
        const ok = rc === 0 || rc === 6 || rc === 8;
        const r: EndpointResult = { target: t, tool: 'wget', totalMs: 0 };
        if (ok) r.http = { ok: true, detail: rc === 0 ? 'answered' : 'answered with an HTTP error status' };
        else {
          const s = rc === 5 ? 'tls' : /resolv/i.test(a) ? 'dns' : 'tcp';
          r.failedStage = s;
          r[s] = {
            ok: false,
            error: rc === 5 ? 'untrusted' : /refused/i.test(a) ? 'refused' : /resolv/i.test(a) ? 'nxdomain' : 'error',
            detail: str(a) || `wget exit ${rc}`,
          };
        }
        out.results.push(r);
      } else {
        const r: EndpointResult = { target: t, tool: out.tool === 'none' ? 'none' : 'getent', totalMs: 0 };
        if (rc === 127) {
          r.failedStage = 'dns';
          r.dns = {
            ok: false,
            error: 'no-tool',
            detail: 'no python3, curl, wget or getent in the image: nothing to test with',
          };
        } else if (rc === 0)
          r.dns = {
            ok: true,
            detail: 'resolved (getent); TCP/TLS/HTTP not tested: no python3, curl or wget in the image',
          };
        else {
          r.failedStage = 'dns';
          r.dns = { ok: false, error: 'nxdomain', detail: `getent hosts ${t.host} found nothing` };
        }
        out.results.push(r);
      }
    }
  }
  return out;
}
