// Python shared by the two in-pod scripts (the egress test and the identity exchange): reading the
// environment, and which proxy a connection from the runner takes. The runner's own PROXY_HTTPS /
// PROXY_HTTP win over the standard variables, and PROXY_EXCLUDE then replaces NO_PROXY, as the runner
// does; the exclusion rules (`*`, `.suffix`, `*.suffix`, `host:port`) are those of src/domain/proxy.ts.
// Spliced into each script after its imports, which must include `os` and `re`.
export const PY_PROXY_RULES = String.raw`
def env(*ks):
    for k in ks:
        v = os.environ.get(k, '').strip()
        if v: return v
    return ''
RPX = env('PROXY_HTTPS', 'PROXY_HTTP')
PX = RPX or env('HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy')
EX = [e.strip().lower() for e in re.split(r'[|,\s]+', env('PROXY_EXCLUDE') if RPX else env('NO_PROXY', 'no_proxy')) if e.strip()]
def excluded(h, p):
    h = h.lower().rstrip('.')
    for e in EX:
        if e == '*': return True
        if ':' in e and e.rsplit(':', 1)[1].isdigit():
            if int(e.rsplit(':', 1)[1]) != p: continue
            e = e.rsplit(':', 1)[0]
        if e.startswith('*.'): e = e[1:]
        e = e.rstrip('.')
        if e.startswith('.'):
            if h.endswith(e) or h == e[1:]: return True
        elif h == e or h.endswith('.' + e): return True
    return False
`;
