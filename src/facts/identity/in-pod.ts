// The workload identity exchange from inside a runner pod, exactly as the runner's SDK would make it:
// the pod's own projected token, read from the file its env names, sent to the endpoint its env selects
// (STS AssumeRoleWithWebIdentity — an unsigned call — at the regional endpoint or AWS_ENDPOINT_URL_STS;
// the Azure AD token endpoint under AZURE_AUTHORITY_HOST with the token as client_assertion; the GKE
// metadata server at GCE_METADATA_HOST; the EKS Pod Identity agent). The token never leaves the pod:
// the program prints only the claims it decoded (sub, aud, iss, exp), the endpoint, the outcome, the
// identity obtained and the service's error; the credentials obtained are dropped unread. One `sh -c`
// script runs an inline `python3 -c` program (never a file: drift-prevention agents kill those), else
// curl, else says no tool. The same script, asked for `tcp`, tests the script runner's sshd port.
// The output is untrusted: marker lines with a per-run nonce, parsed strictly.
import type { ExchangeMode, ExchangeSkip, IdentityExchange, TokenClaims } from '../../domain/identity.ts';
import type { ScriptRunnerReach } from '../../domain/script-runner.ts';
import { cleanText } from '../../redact/redact.ts';
import { PY_PROXY_RULES } from '../in-pod-proxy.ts';

const PY = String.raw`
import json, os, re, socket, ssl, time, base64, http.client
from urllib.parse import urlencode, urlsplit, unquote
N = os.environ['RDI_N']; W = os.environ.get('RDI_W', 'exchange'); TO = float(os.environ.get('RDI_TO', '8'))
R = os.environ.get('RD_ROOT', '')
SECRETS = []
${PY_PROXY_RULES}
def clean(s, n=300):
    s = str(s)
    for x in SECRETS:
        if x: s = s.replace(x, '***')
    return re.sub(r'[\x00-\x1f\x7f]+', ' ', s).strip()[:n]
def emit(o): print('@@RDI:%s:r:%s' % (N, json.dumps(o)))
class Fail(Exception):
    def __init__(self, stage, code, msg):
        Exception.__init__(self, msg); self.stage = stage; self.code = code
def read_token(var, path=None):
    path = path or env(var)
    c = {'source': var, 'state': 'missing'}
    if not path: return c, None
    try:
        with open(R + path) as f: t = f.read().strip()
    except FileNotFoundError: return c, None
    except Exception:
        c['state'] = 'unreadable'; return c, None
    c['state'] = 'ok'
    SECRETS.append(t); SECRETS.extend(p for p in t.split('.') if len(p) >= 8)
    try:
        p = t.split('.')[1]; p += '=' * (-len(p) % 4)
        j = json.loads(base64.urlsafe_b64decode(p.encode()).decode('utf-8', 'replace'))
        aud = j.get('aud'); aud = aud if isinstance(aud, list) else ([aud] if aud else [])
        c['aud'] = [clean(a, 200) for a in aud][:5]
        for k in ('sub', 'iss'):
            if isinstance(j.get(k), str): c[k] = clean(j[k])
        if isinstance(j.get('exp'), (int, float)): c['exp'] = int(j['exp'])
    except Exception: pass
    return c, t
def proxy_for(h, p):
    if not PX or excluded(h, p): return None
    u = PX if '://' in PX else 'http://' + PX
    rest = u.split('://', 1)[1].split('/', 1)[0]; auth = None
    if '@' in rest:
        cred, rest = rest.rsplit('@', 1); SECRETS.append(cred)
        auth = 'Basic ' + base64.b64encode(unquote(cred).encode()).decode(); SECRETS.append(auth)
    host, _, port = rest.rpartition(':') if rest.count(':') == 1 else (rest, '', '')
    return {'host': host or rest, 'port': int(port) if port.isdigit() else 80, 'auth': auth, 'display': u.split('://')[0] + '://' + ('***@' if auth else '') + rest}
def context(extra):
    c = ssl.create_default_context()
    for loc in [x for x in [env('CUSTOM_CERT_LOCATION')] + list(extra) if x]:
        try:
            if os.path.isdir(loc): c.load_verify_locations(capath=loc)
            else: c.load_verify_locations(cafile=loc)
        except Exception: pass
    return c
def origin(url):
    u = urlsplit(url); return '%s://%s' % (u.scheme, u.netloc.rsplit('@', 1)[-1])
def request(o, url, method='GET', body=None, headers=None, proxy=True, cas=()):
    u = urlsplit(url); tls = u.scheme == 'https'
    host = u.hostname or ''; port = u.port or (443 if tls else 80)
    path = (u.path or '/') + ('?' + u.query if u.query else '')
    px = proxy_for(host, port) if proxy else None
    h = dict(headers or {}); h['User-Agent'] = 'runner-doctor'
    if px: o['via'] = px['display']
    dial = px['host'] if px else host
    try: socket.getaddrinfo(dial, None, 0, socket.SOCK_STREAM)
    except socket.gaierror as e: raise Fail('dns', 'dns', 'DNS lookup of %s: %s' % (dial, e.args[-1]))
    ctx = context(cas) if tls else None
    if px and tls:
        conn = http.client.HTTPSConnection(px['host'], px['port'], timeout=TO, context=ctx)
        conn.set_tunnel(host, port, {'Proxy-Authorization': px['auth']} if px['auth'] else None)
    elif px:
        conn = http.client.HTTPConnection(px['host'], px['port'], timeout=TO); path = url
        if px['auth']: h['Proxy-Authorization'] = px['auth']
    elif tls: conn = http.client.HTTPSConnection(host, port, timeout=TO, context=ctx)
    else: conn = http.client.HTTPConnection(host, port, timeout=TO)
    where = '%s:%d' % (dial, px['port'] if px else port)
    try:
        try: conn.connect()
        except ssl.SSLError as e: raise Fail('tls', 'tls', 'TLS with %s: %s' % (host, getattr(e, 'verify_message', None) or e))
        except socket.timeout: raise Fail('connect', 'timeout', 'connecting to %s timed out after %d s' % (where, TO))
        except ConnectionRefusedError: raise Fail('connect', 'refused', 'connection to %s refused' % where)
        except OSError as e:
            if 'Tunnel connection failed' in str(e): raise Fail('connect', 'proxy', 'the proxy %s refused CONNECT %s:%d (%s)' % (px['display'], host, port, e))
            raise Fail('connect', 'error', 'connecting to %s: %s' % (where, e.strerror or e))
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse(); data = r.read(262144)
        except socket.timeout: raise Fail('http', 'timeout', 'no answer from %s within %d s' % (host, TO))
        except Fail: raise
        except Exception as e: raise Fail('http', 'error', '%s: %s' % (type(e).__name__, e))
    finally: conn.close()
    return r.status, data.decode('utf-8', 'replace')
def jsonof(t):
    try:
        j = json.loads(t); return j if isinstance(j, dict) else {}
    except Exception: return {}
def xml(t, tag):
    m = re.search(r'<%s>([^<]{0,800})</%s>' % (tag, tag), t)
    if not m: return ''
    return m.group(1).replace('&lt;', '<').replace('&gt;', '>').replace('&quot;', '"').replace('&apos;', "'").replace('&amp;', '&')
def refused(o, st, code, msg):
    o['outcome'] = 'refused' if st in (400, 401, 403) else 'error'
    o['error'] = {'code': clean(code, 100) or 'HTTP%d' % st, 'message': clean(msg, 400), 'status': st, 'stage': 'http'}
def aws_web(o):
    o['mode'] = 'aws-web-identity'; o['requested'] = clean(env('AWS_ROLE_ARN'))
    c, tok = read_token('AWS_WEB_IDENTITY_TOKEN_FILE'); o['token'] = c
    region = env('AWS_REGION'); rs = 'AWS_REGION'
    if not region: region = env('AWS_DEFAULT_REGION'); rs = 'AWS_DEFAULT_REGION'
    if region: o['region'] = clean(region, 40); o['regionSource'] = rs
    ep = env('AWS_ENDPOINT_URL_STS'); es = 'AWS_ENDPOINT_URL_STS'
    if not ep: ep = env('AWS_ENDPOINT_URL'); es = 'AWS_ENDPOINT_URL'
    if not ep:
        if not region: ep = 'https://sts.amazonaws.com'; es = 'the global endpoint: neither AWS_REGION nor AWS_DEFAULT_REGION is set'
        elif env('AWS_STS_REGIONAL_ENDPOINTS').lower() == 'legacy': ep = 'https://sts.amazonaws.com'; es = 'the global endpoint (AWS_STS_REGIONAL_ENDPOINTS=legacy)'
        elif not re.match(r'^[a-z]{2}(-[a-z]+)+-\d$', region): raise Fail('config', 'config', '%s=%s is not an AWS region' % (rs, clean(region, 40)))
        else: ep = 'https://sts.%s.amazonaws.com%s' % (region, '.cn' if region.startswith('cn-') else ''); es = 'the regional endpoint for %s' % rs
    o['endpoint'] = origin(ep); o['endpointSource'] = es
    if tok is None: raise Fail('config', 'token-' + c['state'], 'the token file AWS_WEB_IDENTITY_TOKEN_FILE names is %s' % c['state'])
    body = urlencode({'Action': 'AssumeRoleWithWebIdentity', 'Version': '2011-06-15', 'RoleArn': env('AWS_ROLE_ARN'), 'RoleSessionName': 'runner-doctor-%d' % int(time.time()), 'DurationSeconds': '900', 'WebIdentityToken': tok})
    st, t = request(o, ep.rstrip('/') + '/', 'POST', body, {'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', 'Accept': 'text/xml'}, cas=[env('AWS_CA_BUNDLE')])
    arn = re.search(r'<AssumedRoleUser>.*?<Arn>([^<]{1,400})</Arn>', t, re.S)
    if st == 200 and arn: o['outcome'] = 'ok'; o['identity'] = clean(arn.group(1)); o['expiresIn'] = 900
    else: refused(o, st, xml(t, 'Code'), xml(t, 'Message') or 'HTTP %d without an STS error document' % st)
    t = None
def aws_pod(o):
    o['mode'] = 'aws-pod-identity'; uri = env('AWS_CONTAINER_CREDENTIALS_FULL_URI')
    c, tok = read_token('AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'); o['token'] = c
    o['endpoint'] = origin(uri); o['endpointSource'] = 'AWS_CONTAINER_CREDENTIALS_FULL_URI'
    if tok is None: raise Fail('config', 'token-' + c['state'], 'the token file AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE names is %s' % c['state'])
    st, t = request(o, uri, headers={'Authorization': tok}, proxy=False)
    j = jsonof(t)
    if st == 200 and j.get('AccessKeyId'):
        o['outcome'] = 'ok'; o['identity'] = 'credentials for account %s' % clean(j['AccountId'], 20) if j.get('AccountId') else 'temporary credentials'
    else: refused(o, st, str(j.get('code') or ''), str(j.get('message') or ('HTTP %d' % st)))
    j = None; t = None
def azure(o):
    o['mode'] = 'azure-workload-identity'
    cid = env('AZURE_CLIENT_ID'); tid = env('AZURE_TENANT_ID')
    o['requested'] = clean(cid, 100); o['tenant'] = clean(tid, 100)
    c, tok = read_token('AZURE_FEDERATED_TOKEN_FILE'); o['token'] = c
    ah = env('AZURE_AUTHORITY_HOST'); o['endpointSource'] = 'AZURE_AUTHORITY_HOST' if ah else 'the default authority (AZURE_AUTHORITY_HOST is not set)'
    ah = ah or 'https://login.microsoftonline.com/'
    if '://' not in ah: ah = 'https://' + ah
    o['endpoint'] = origin(ah)
    if not cid or not tid: raise Fail('config', 'config', 'AZURE_CLIENT_ID and AZURE_TENANT_ID must both be set')
    if not re.match(r'^[A-Za-z0-9.-]{1,100}$', tid): raise Fail('config', 'config', 'AZURE_TENANT_ID is not a tenant id or domain')
    if tok is None: raise Fail('config', 'token-' + c['state'], 'the token file AZURE_FEDERATED_TOKEN_FILE names is %s' % c['state'])
    body = urlencode({'client_id': cid, 'scope': 'https://vault.azure.net/.default', 'grant_type': 'client_credentials', 'client_assertion_type': 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', 'client_assertion': tok})
    st, t = request(o, ah.rstrip('/') + '/' + tid + '/oauth2/v2.0/token', 'POST', body, {'Content-Type': 'application/x-www-form-urlencoded', 'Accept': 'application/json'})
    j = jsonof(t); t = None
    if st == 200 and j.get('access_token'):
        o['outcome'] = 'ok'; o['identity'] = clean(cid, 100)
        if isinstance(j.get('expires_in'), (int, float, str)) and str(j.get('expires_in')).isdigit(): o['expiresIn'] = int(j['expires_in'])
    else:
        d = str(j.get('error_description') or '')
        codes = j.get('error_codes') if isinstance(j.get('error_codes'), list) else []
        m = re.search(r'AADSTS\d+', d)
        code = ('AADSTS%d' % codes[0]) if codes and isinstance(codes[0], int) else (m.group(0) if m else str(j.get('error') or ''))
        refused(o, st, code, d.split('\n')[0] or str(j.get('error') or ('HTTP %d' % st)))
    j = None
def gcp(o):
    o['mode'] = 'gcp-metadata'
    h = env('GCE_METADATA_HOST'); s = 'GCE_METADATA_HOST'
    if not h: h = env('GCE_METADATA_IP'); s = 'GCE_METADATA_IP'
    if not h: h = 'metadata.google.internal'; s = 'the default metadata server (GCE_METADATA_HOST is not set)'
    o['endpoint'] = 'http://' + clean(h, 100); o['endpointSource'] = s
    c, _ = read_token('ServiceAccount token', '/var/run/secrets/kubernetes.io/serviceaccount/token'); o['token'] = c
    base = 'http://%s/computeMetadata/v1/instance/service-accounts/default/' % h
    st, t = request(o, base + 'email', headers={'Metadata-Flavor': 'Google'}, proxy=False)
    if st != 200: return refused(o, st, '', t[:300] if st >= 300 else 'HTTP %d' % st)
    o['requested'] = clean(t.strip(), 200)
    st, t = request(o, base + 'token', headers={'Metadata-Flavor': 'Google'}, proxy=False)
    j = jsonof(t)
    if st == 200 and j.get('access_token'):
        o['outcome'] = 'ok'; o['identity'] = o['requested']
        if isinstance(j.get('expires_in'), int): o['expiresIn'] = j['expires_in']
    else: refused(o, st, '', t[:300] if st >= 300 else 'HTTP %d without a token' % st)
    j = None; t = None
def exchange():
    o = {'tool': 'python3'}
    cp = env('CLOUD_PROVIDER').upper()
    if cp not in ('AWS', 'AZURE', 'GCP'):
        cp = 'AWS' if env('AWS_ROLE_ARN', 'AWS_CONTAINER_CREDENTIALS_FULL_URI') else 'AZURE' if env('AZURE_FEDERATED_TOKEN_FILE') else ''
    try:
        if cp == 'AWS':
            if env('AWS_ACCESS_KEY_ID') and env('AWS_SECRET_ACCESS_KEY'):
                o['skipped'] = 'static-keys'; o['note'] = 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY' + (' next to AWS_ROLE_ARN' if env('AWS_ROLE_ARN') else '')
            elif env('AWS_ROLE_ARN') and env('AWS_WEB_IDENTITY_TOKEN_FILE'): aws_web(o)
            elif env('AWS_CONTAINER_CREDENTIALS_FULL_URI'): aws_pod(o)
            else: o['skipped'] = 'no-identity'
        elif cp == 'AZURE':
            if env('AZURE_FEDERATED_TOKEN_FILE'): azure(o)
            elif env('AZURE_CLIENT_SECRET'): o['skipped'] = 'static-keys'; o['note'] = 'AZURE_CLIENT_SECRET (a service principal)'
            else: o['skipped'] = 'no-identity'
        elif cp == 'GCP':
            if env('GOOGLE_APPLICATION_CREDENTIALS'): o['skipped'] = 'key-file'
            else: gcp(o)
        else: o['skipped'] = 'no-identity'
    except Fail as e:
        o['outcome'] = 'unreachable' if e.stage in ('dns', 'connect') else 'error'
        o['error'] = {'code': e.code, 'message': clean(e, 400), 'stage': e.stage if e.stage != 'config' else None}
    except Exception as e:
        o['outcome'] = 'error'; o['error'] = {'code': 'crash', 'message': clean('%s: %s' % (type(e).__name__, e), 300)}
    if o.get('skipped'): o['outcome'] = 'skipped'
    emit(o)
def tcp():
    v = env('MTLN_SCRIPT_RUNNER_HOST')
    if not v: return emit({'enabled': False, 'tool': 'python3'})
    v = re.sub(r'^[a-z]+://', '', v).split('/')[0]
    m = re.match(r'^(\[[0-9a-fA-F:]+\]|[^:]+)(?::(\d{1,5}))?$', v)
    o = {'enabled': True, 'tool': 'python3'}
    if not m:
        o['outcome'] = 'error'; o['detail'] = 'MTLN_SCRIPT_RUNNER_HOST is not host[:port]'; return emit(o)
    host = m.group(1).strip('[]'); port = int(m.group(2) or 2222); o['address'] = '%s:%d' % (clean(host, 200), port)
    try:
        try: socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except socket.gaierror as e: raise Fail('dns', 'dns', 'DNS lookup of %s: %s' % (host, e.args[-1]))
        try: s = socket.create_connection((host, port), TO)
        except socket.timeout: raise Fail('connect', 'timeout', 'TCP connect to %s:%d timed out after %d s' % (host, port, TO))
        except ConnectionRefusedError: raise Fail('connect', 'refused', 'TCP connect to %s:%d: connection refused' % (host, port))
        except OSError as e: raise Fail('connect', 'unreachable' if e.errno in (101, 113) else 'error', 'TCP connect to %s:%d: %s' % (host, port, e.strerror))
        s.settimeout(min(TO, 3))
        try: b = s.recv(256)
        except socket.timeout: b = b''
        s.close()
        o['outcome'] = 'ok'; line = b.split(b'\n')[0].decode('latin-1').strip()
        if line: o['banner'] = clean(line, 120)
    except Fail as e:
        o['outcome'] = e.code; o['detail'] = clean(e, 300)
    emit(o)
tcp() if W == 'tcp' else exchange()
print('@@RDI:%s:end' % N)
`;

/** Without python3: curl for the web identity, Azure and metadata exchanges and the TCP test (key=value lines). */
const SH_FALLBACK = String.raw`
rdi_k() { printf '@@RDI:%s:k:%s=%s\n' "$RDI_N" "$1" "$(printf '%s' "$2" | tr -d '\000-\037' | head -c 400)"; }
if ! command -v curl >/dev/null 2>&1; then echo "@@RDI:$RDI_N:tool:none"; echo "@@RDI:$RDI_N:end"; exit 0; fi
echo "@@RDI:$RDI_N:tool:curl"
rdi_err=/tmp/.rdi.$$
rdi_claims() {
  rdi_k token.source "$2"
  [ -r "\${RD_ROOT:-}$1" ] || { rdi_k token.state "$([ -e "\${RD_ROOT:-}$1" ] && echo unreadable || echo missing)"; return 1; }
  rdi_k token.state ok
  command -v base64 >/dev/null 2>&1 || return 0
  p=$(cut -d. -f2 < "\${RD_ROOT:-}$1" | tr '_-' '/+' | tr -d '\n\r ')
  case $(( \${#p} % 4 )) in 2) p="$p==";; 3) p="$p=";; esac
  j=$(printf '%s' "$p" | base64 -d 2>/dev/null | tr ',{}' '\n\n\n')
  for c in sub iss; do rdi_k "token.$c" "$(printf '%s\n' "$j" | sed -n "s/^[ ]*\"$c\"[ ]*:[ ]*\"\([^\"]*\)\".*/\1/p" | head -n 1)"; done
  rdi_k token.aud "$(printf '%s\n' "$j" | sed -n 's/^[ ]*"aud"[ ]*:[ ]*\[\{0,1\}[ ]*"\([^"]*\)".*/\1/p' | head -n 1)"
  rdi_k token.exp "$(printf '%s\n' "$j" | sed -n 's/^[ ]*"exp"[ ]*:[ ]*\([0-9][0-9]*\).*/\1/p' | head -n 1)"
}
set -- -sS --connect-timeout "$RDI_TO" -m "$RDI_TO"
if [ -n "\${CUSTOM_CERT_LOCATION:-}" ]; then if [ -d "$CUSTOM_CERT_LOCATION" ]; then set -- "$@" --capath "$CUSTOM_CERT_LOCATION"; else set -- "$@" --cacert "$CUSTOM_CERT_LOCATION"; fi; fi
rdi_px="\${PROXY_HTTPS:-\${PROXY_HTTP:-}}"
rdi_call() { out=$(curl "$@" -w '\n@@http:%{http_code}' 2>"$rdi_err"); rc=$?; http=\${out##*@@http:}; out=\${out%@@http:*}; rdi_k rc "$rc"; rdi_k http "$http"; rdi_k curlerr "$(head -c 300 "$rdi_err")"; rm -f "$rdi_err"; }
if [ "$RDI_W" = tcp ]; then
  [ -n "\${MTLN_SCRIPT_RUNNER_HOST:-}" ] || { rdi_k enabled 0; echo "@@RDI:$RDI_N:end"; exit 0; }
  a=$(printf '%s' "$MTLN_SCRIPT_RUNNER_HOST" | sed 's#^[a-z]*://##; s#/.*##'); case "$a" in *:*) ;; *) a="$a:2222";; esac
  rdi_k enabled 1; rdi_k address "$a"
  b=$(curl -sS --connect-timeout "$RDI_TO" -m 3 -o - -w '\n@@conn:%{time_connect}' "telnet://$a" </dev/null 2>"$rdi_err"); rc=$?
  rdi_k rc "$rc"; rdi_k connect "\${b##*@@conn:}"; rdi_k banner "$(printf '%s' "\${b%@@conn:*}" | head -n 1)"; rdi_k curlerr "$(head -c 300 "$rdi_err")"; rm -f "$rdi_err"
  echo "@@RDI:$RDI_N:end"; exit 0
fi
cp=$(printf '%s' "\${CLOUD_PROVIDER:-}" | tr a-z A-Z)
case "$cp" in AWS|AZURE|GCP) ;; *) if [ -n "\${AWS_ROLE_ARN:-}\${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}" ]; then cp=AWS; elif [ -n "\${AZURE_FEDERATED_TOKEN_FILE:-}" ]; then cp=AZURE; else cp=; fi;; esac
case "$cp" in
AWS)
  if [ -n "\${AWS_ACCESS_KEY_ID:-}" ] && [ -n "\${AWS_SECRET_ACCESS_KEY:-}" ]; then rdi_k skipped static-keys; rdi_k note "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY$([ -n "\${AWS_ROLE_ARN:-}" ] && echo ' next to AWS_ROLE_ARN')"
  elif [ -n "\${AWS_ROLE_ARN:-}" ] && [ -n "\${AWS_WEB_IDENTITY_TOKEN_FILE:-}" ]; then
    rdi_k mode aws-web-identity; rdi_k requested "$AWS_ROLE_ARN"
    r="\${AWS_REGION:-}"; rs=AWS_REGION; [ -n "$r" ] || { r="\${AWS_DEFAULT_REGION:-}"; rs=AWS_DEFAULT_REGION; }
    [ -z "$r" ] || { rdi_k region "$r"; rdi_k regionSource "$rs"; }
    ep="\${AWS_ENDPOINT_URL_STS:-}"; es=AWS_ENDPOINT_URL_STS
    [ -n "$ep" ] || { ep="\${AWS_ENDPOINT_URL:-}"; es=AWS_ENDPOINT_URL; }
    if [ -z "$ep" ]; then
      if [ -z "$r" ]; then ep=https://sts.amazonaws.com; es='the global endpoint: neither AWS_REGION nor AWS_DEFAULT_REGION is set'
      elif [ "$(printf '%s' "\${AWS_STS_REGIONAL_ENDPOINTS:-}" | tr A-Z a-z)" = legacy ]; then ep=https://sts.amazonaws.com; es='the global endpoint (AWS_STS_REGIONAL_ENDPOINTS=legacy)'
      else ep="https://sts.$r.amazonaws.com"; case "$r" in cn-*) ep="$ep.cn";; esac; es="the regional endpoint for $rs"; fi
    fi
    rdi_k endpoint "$(printf '%s' "$ep" | sed 's#^\([a-z]*://\)[^/@]*@#\1#; s#^\([a-z]*://[^/]*\).*#\1#')"; rdi_k endpointSource "$es"
    if rdi_claims "$AWS_WEB_IDENTITY_TOKEN_FILE" AWS_WEB_IDENTITY_TOKEN_FILE; then
      [ -z "\${AWS_CA_BUNDLE:-}" ] || set -- "$@" --cacert "$AWS_CA_BUNDLE"
      [ -z "$rdi_px" ] || set -- "$@" -x "$rdi_px" --noproxy "$(printf '%s' "\${PROXY_EXCLUDE:-}" | tr '|' ',')"
      rdi_call "$@" -X POST -H 'Accept: text/xml' --data-urlencode Action=AssumeRoleWithWebIdentity --data-urlencode Version=2011-06-15 --data-urlencode "RoleArn=$AWS_ROLE_ARN" --data-urlencode RoleSessionName=runner-doctor --data-urlencode DurationSeconds=900 --data-urlencode "WebIdentityToken@\${RD_ROOT:-}$AWS_WEB_IDENTITY_TOKEN_FILE" "\${ep%/}/"
      flat=$(printf '%s' "$out" | tr -d '\r\n'); out=
      rdi_k identity "$(printf '%s' "$flat" | sed -n 's/.*<AssumedRoleUser>.*<Arn>\([^<]*\)<\/Arn>.*/\1/p')"
      rdi_k code "$(printf '%s' "$flat" | sed -n 's/.*<Code>\([^<]*\)<\/Code>.*/\1/p')"
      rdi_k message "$(printf '%s' "$flat" | sed -n 's/.*<Message>\([^<]*\)<\/Message>.*/\1/p')"; flat=
    fi
  elif [ -n "\${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}" ]; then rdi_k mode aws-pod-identity; rdi_k skipped no-tool
  else rdi_k skipped no-identity; fi ;;
AZURE)
  if [ -n "\${AZURE_FEDERATED_TOKEN_FILE:-}" ]; then
    rdi_k mode azure-workload-identity; rdi_k requested "\${AZURE_CLIENT_ID:-}"; rdi_k tenant "\${AZURE_TENANT_ID:-}"
    ah="\${AZURE_AUTHORITY_HOST:-}"; if [ -n "$ah" ]; then rdi_k endpointSource AZURE_AUTHORITY_HOST; else ah=https://login.microsoftonline.com/; rdi_k endpointSource 'the default authority (AZURE_AUTHORITY_HOST is not set)'; fi
    case "$ah" in *://*) ;; *) ah="https://$ah";; esac
    rdi_k endpoint "$(printf '%s' "$ah" | sed 's#^\([a-z]*://[^/]*\).*#\1#')"
    case "\${AZURE_TENANT_ID:-}" in ''|*[!A-Za-z0-9.-]*) tid_ok=0;; *) tid_ok=1;; esac
    if [ "$tid_ok" = 1 ] && [ -n "\${AZURE_CLIENT_ID:-}" ] && rdi_claims "$AZURE_FEDERATED_TOKEN_FILE" AZURE_FEDERATED_TOKEN_FILE; then
      [ -z "$rdi_px" ] || set -- "$@" -x "$rdi_px" --noproxy "$(printf '%s' "\${PROXY_EXCLUDE:-}" | tr '|' ',')"
      rdi_call "$@" -X POST -H 'Accept: application/json' --data-urlencode "client_id=$AZURE_CLIENT_ID" --data-urlencode scope=https://vault.azure.net/.default --data-urlencode grant_type=client_credentials --data-urlencode client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer --data-urlencode "client_assertion@\${RD_ROOT:-}$AZURE_FEDERATED_TOKEN_FILE" "\${ah%/}/$AZURE_TENANT_ID/oauth2/v2.0/token"
      case "$out" in *'"access_token"'*) rdi_k identity "$AZURE_CLIENT_ID";; esac
      flat=$(printf '%s' "$out" | tr -d '\r\n'); out=
      rdi_k code "$(printf '%s' "$flat" | sed -n 's/.*"error_codes"[ ]*:[ ]*\[[ ]*\([0-9]*\).*/AADSTS\1/p')"
      rdi_k message "$(printf '%s' "$flat" | sed -n 's/.*"error_description"[ ]*:[ ]*"\([^"]*\)".*/\1/p' | sed 's/\\r\\n.*//')"; flat=
    else rdi_k config 'AZURE_CLIENT_ID, AZURE_TENANT_ID or the token file is missing'; fi
  elif [ -n "\${AZURE_CLIENT_SECRET:-}" ]; then rdi_k skipped static-keys; rdi_k note 'AZURE_CLIENT_SECRET (a service principal)'
  else rdi_k skipped no-identity; fi ;;
GCP)
  if [ -n "\${GOOGLE_APPLICATION_CREDENTIALS:-}" ]; then rdi_k skipped key-file
  else
    rdi_k mode gcp-metadata
    h="\${GCE_METADATA_HOST:-\${GCE_METADATA_IP:-}}"; if [ -n "$h" ]; then rdi_k endpointSource "$([ -n "\${GCE_METADATA_HOST:-}" ] && echo GCE_METADATA_HOST || echo GCE_METADATA_IP)"; else h=metadata.google.internal; rdi_k endpointSource 'the default metadata server (GCE_METADATA_HOST is not set)'; fi
    rdi_k endpoint "http://$h"
    rdi_claims /var/run/secrets/kubernetes.io/serviceaccount/token "ServiceAccount token" || true
    b="http://$h/computeMetadata/v1/instance/service-accounts/default"
    rdi_call "$@" --noproxy '*' -H 'Metadata-Flavor: Google' "$b/email"
    if [ "$http" = 200 ]; then rdi_k requested "$out"; e="$out"
      rdi_call "$@" --noproxy '*' -H 'Metadata-Flavor: Google' "$b/token"
      case "$out" in *'"access_token"'*) rdi_k identity "$e";; *) rdi_k message "$(printf '%s' "$out" | head -c 300)";; esac
    else rdi_k message "$(printf '%s' "$out" | head -c 300)"; fi; out=
  fi ;;
*) rdi_k skipped no-identity ;;
esac
echo "@@RDI:$RDI_N:end"
`;

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export type IdentityTask = 'exchange' | 'tcp';

/** The `sh -c` script: the task, the nonce and a per-request timeout, nothing else (the pod's env says the rest). */
export function identityScript(task: IdentityTask, nonce: string, timeoutS: number): string {
  const n = nonce.replace(/[^a-f0-9]/g, '');
  const to = Math.max(1, Math.min(60, Math.round(timeoutS)));
  return [
    `RDI_N=${q(n)}; RDI_W=${q(task)}; RDI_TO=${to}`,
    'export RDI_N RDI_W RDI_TO',
    `if command -v python3 >/dev/null 2>&1; then echo "@@RDI:$RDI_N:tool:python3"; exec python3 -c ${q(PY)}; fi`,
    SH_FALLBACK.replace(/\\\$\{/g, '${'),
  ].join('\n');
}

// --- parsing what came back (untrusted) -------------------------------------------------------------

const str = (v: unknown, max = 300): string | undefined =>
  typeof v === 'string' && v.trim() !== '' ? cleanText(v, max).trim().slice(0, max) : undefined;
const int = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
};
const oneOf = <T extends string>(v: unknown, all: readonly T[]): T | undefined => all.find((x) => x === v);

const MODES: readonly ExchangeMode[] = [
  'aws-web-identity',
  'aws-pod-identity',
  'azure-workload-identity',
  'gcp-metadata',
];
const SKIPS: readonly ExchangeSkip[] = ['disabled', 'no-identity', 'static-keys', 'key-file', 'no-tool'];
const OUTCOMES = ['ok', 'refused', 'unreachable', 'error', 'skipped'] as const;
const STAGES = ['dns', 'connect', 'tls', 'http'] as const;
const REACH = ['ok', 'refused', 'timeout', 'dns', 'unreachable', 'error', 'no-tool'] as const;

function claims(v: unknown): TokenClaims | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const state = oneOf(o.state, ['ok', 'missing', 'unreadable'] as const);
  if (!state) return undefined;
  const aud = Array.isArray(o.aud) ? o.aud.flatMap((a) => str(a, 200) ?? []).slice(0, 5) : undefined;
  return {
    state,
    ...(str(o.source, 60) ? { source: str(o.source, 60) } : {}),
    ...(str(o.sub) ? { sub: str(o.sub) } : {}),
    ...(str(o.iss) ? { iss: str(o.iss) } : {}),
    ...(aud?.length ? { aud } : {}),
    ...(int(o.exp) !== undefined ? { exp: int(o.exp) } : {}),
  };
}

/** The python3 program's one JSON result. */
function fromJson(o: Record<string, unknown>): IdentityExchange {
  const e = o.error && typeof o.error === 'object' ? (o.error as Record<string, unknown>) : undefined;
  const out: IdentityExchange = { tool: 'python3', outcome: oneOf(o.outcome, OUTCOMES) ?? 'error' };
  const skipped = oneOf(o.skipped, SKIPS);
  if (skipped) out.skipped = skipped;
  const mode = oneOf(o.mode, MODES);
  if (mode) out.mode = mode;
  for (const k of [
    'note',
    'endpoint',
    'endpointSource',
    'region',
    'regionSource',
    'requested',
    'tenant',
    'via',
    'identity',
  ] as const) {
    const v = str(o[k]);
    if (v) out[k] = v;
  }
  const tok = claims(o.token);
  if (tok) out.token = tok;
  if (int(o.expiresIn) !== undefined) out.expiresIn = int(o.expiresIn);
  if (e) {
    const stage = oneOf(e.stage, STAGES);
    const status = int(e.status);
    out.error = {
      code: str(e.code, 100) ?? 'error',
      message: str(e.message, 400) ?? '',
      ...(status !== undefined ? { status } : {}),
      ...(stage ? { stage } : {}),
    };
  }
  return out;
}

/** curl's key=value lines → the same shape (curl's exit code says where a failed request stopped). */
function fromCurl(k: Map<string, string>): IdentityExchange {
  const out: IdentityExchange = { tool: 'curl', outcome: 'error' };
  const skipped = oneOf(k.get('skipped'), SKIPS);
  const mode = oneOf(k.get('mode'), MODES);
  if (mode) out.mode = mode;
  for (const key of [
    'note',
    'endpoint',
    'endpointSource',
    'region',
    'regionSource',
    'requested',
    'tenant',
    'identity',
  ] as const) {
    const v = str(k.get(key));
    if (v) out[key] = v;
  }
  const state = oneOf(k.get('token.state'), ['ok', 'missing', 'unreadable'] as const);
  if (state) {
    const aud = str(k.get('token.aud'), 200);
    out.token = {
      state,
      ...(str(k.get('token.source'), 60) ? { source: str(k.get('token.source'), 60) } : {}),
      ...(str(k.get('token.sub')) ? { sub: str(k.get('token.sub')) } : {}),
      ...(str(k.get('token.iss')) ? { iss: str(k.get('token.iss')) } : {}),
      ...(aud ? { aud: [aud] } : {}),
      ...(int(k.get('token.exp')) !== undefined ? { exp: int(k.get('token.exp')) } : {}),
    };
  }
  if (skipped) {
    out.skipped = skipped;
    out.outcome = 'skipped';
    return out;
  }
  if (k.has('config')) {
    out.error = { code: 'config', message: str(k.get('config')) ?? 'incomplete configuration' };
    return out;
  }
  if (state && state !== 'ok') {
    out.error = { code: `token-${state}`, message: `the token file is ${state}` };
    return out;
  }
  const rc = int(k.get('rc'));
  const http = int(k.get('http'));
  const curlErr = str(k.get('curlerr')) ?? `curl exit ${rc}`;
  if (rc !== undefined && rc !== 0) {
    const stage =
      rc === 6 || rc === 5
        ? 'dns'
        : rc === 35 || rc === 51 || rc === 60 || rc === 58
          ? 'tls'
          : rc === 28
            ? 'connect'
            : rc === 7 || rc === 56
              ? 'connect'
              : 'http';
    const code =
      stage === 'dns'
        ? 'dns'
        : stage === 'tls'
          ? 'tls'
          : rc === 28
            ? 'timeout'
            : rc === 7
              ? 'refused'
              : rc === 56
                ? 'proxy'
                : 'error';
    out.outcome = stage === 'dns' || stage === 'connect' ? 'unreachable' : 'error';
    out.error = { code, message: curlErr, stage };
    return out;
  }
  if (http === 200 && out.identity) {
    out.outcome = 'ok';
    return out;
  }
  out.outcome = http !== undefined && [400, 401, 403].includes(http) ? 'refused' : 'error';
  out.error = {
    code: str(k.get('code'), 100) ?? (http !== undefined ? `HTTP${http}` : 'error'),
    message: unescapeXml(str(k.get('message'), 400) ?? ''),
    ...(http !== undefined ? { status: http } : {}),
    stage: 'http',
  };
  return out;
}

const unescapeXml = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

function reachFromJson(o: Record<string, unknown>): ScriptRunnerReach {
  const out: ScriptRunnerReach = { enabled: o.enabled === true, tool: 'python3' };
  const outcome = oneOf(o.outcome, REACH);
  if (outcome) out.outcome = outcome;
  for (const k of ['address', 'banner', 'detail'] as const) {
    const v = str(o[k], k === 'banner' ? 120 : 300);
    if (v) out[k] = v;
  }
  return out;
}

function reachFromCurl(k: Map<string, string>): ScriptRunnerReach {
  if (k.get('enabled') !== '1') return { enabled: false, tool: 'curl' };
  const out: ScriptRunnerReach = { enabled: true, tool: 'curl' };
  const address = str(k.get('address'), 200);
  if (address) out.address = address;
  const rc = int(k.get('rc'));
  const connected = Number(k.get('connect') ?? '0') > 0;
  const banner = str(k.get('banner'), 120);
  // telnet:// keeps the connection open until -m: a timeout after connecting is a success.
  if (connected && (rc === 0 || rc === 28)) {
    out.outcome = 'ok';
    if (banner) out.banner = banner;
    return out;
  }
  out.outcome = rc === 6 ? 'dns' : rc === 7 ? 'refused' : rc === 28 ? 'timeout' : 'error';
  out.detail = str(k.get('curlerr')) ?? `curl exit ${rc}`;
  return out;
}

export interface IdentityOutput {
  tool: string;
  complete: boolean;
  exchange?: IdentityExchange;
  reach?: ScriptRunnerReach;
}

/** Parses the marker lines of one run; everything else (and lines with another nonce) is ignored. */
export function parseIdentityOutput(stdout: string, nonce: string, task: IdentityTask): IdentityOutput {
  const prefix = `@@RDI:${nonce}:`;
  const out: IdentityOutput = { tool: 'none', complete: false };
  const kv = new Map<string, string>();
  let json: Record<string, unknown> | undefined;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const rest = line.slice(prefix.length);
    if (rest === 'end') out.complete = true;
    else if (rest.startsWith('tool:'))
      out.tool = oneOf(rest.slice(5).trim(), ['python3', 'curl', 'none'] as const) ?? 'none';
    else if (rest.startsWith('r:') && !json) {
      try {
        const v: unknown = JSON.parse(rest.slice(2));
        if (v && typeof v === 'object' && !Array.isArray(v)) json = v as Record<string, unknown>;
      } catch {
        // not ours
      }
    } else if (rest.startsWith('k:')) {
      const m = rest.slice(2).match(/^([A-Za-z.]{1,30})=(.*)$/);
      // The last value wins: a second request (the metadata token after the email) reports over the first.
      if (m?.[1]) kv.set(m[1], m[2] ?? '');
    }
  }
  if (out.tool === 'none') {
    if (out.complete)
      if (task === 'tcp') out.reach = { enabled: true, tool: 'none', outcome: 'no-tool' };
      else out.exchange = { tool: 'none', outcome: 'skipped', skipped: 'no-tool' };
    return out;
  }
  if (task === 'tcp') {
    if (out.tool === 'python3' && json) out.reach = reachFromJson(json);
    else if (out.tool === 'curl' && kv.size) out.reach = reachFromCurl(kv);
  } else if (out.tool === 'python3' && json) out.exchange = fromJson(json);
  else if (out.tool === 'curl' && kv.size) out.exchange = fromCurl(kv);
  return out;
}
