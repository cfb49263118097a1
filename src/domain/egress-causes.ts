// What an egress failure class says about a set of endpoints, in a few words: how reports name one
// root cause shared by several endpoints and vantage points ("9 endpoints do not resolve … (DNS: no
// such name)"). The message ids are network.egress's (`<stage>-<class>`, `-private` variants included);
// what to change stays in that check's message catalogue.

export interface EgressCausePhrase {
  /** Verb phrase for several endpoints, then for one: `do not resolve` / `does not resolve`. */
  many: string;
  one: string;
  /** The stage and class in a few words: `DNS: no such name`. */
  label: string;
}

const P = (many: string, one: string, label: string): EgressCausePhrase => ({ many, one, label });

const PHRASES: Record<string, EgressCausePhrase> = {
  'dns-nxdomain': P('do not resolve', 'does not resolve', 'DNS: no such name'),
  'dns-no-data': P('have no address record', 'has no address record', 'DNS: no data'),
  'dns-servfail': P('get a DNS server failure', 'gets a DNS server failure', 'DNS: SERVFAIL'),
  'dns-timeout': P('get no DNS answer', 'gets no DNS answer', 'DNS: timed out'),
  'dns-temporary': P('cannot be resolved for now', 'cannot be resolved for now', 'DNS: temporary failure'),
  'dns-refused': P('are refused by the DNS server', 'is refused by the DNS server', 'DNS: refused'),
  'dns-no-tool': P('could not be tested', 'could not be tested', 'no python3, curl, wget or getent'),
  'tcp-refused': P('refuse the connection', 'refuses the connection', 'TCP: connection refused'),
  'tcp-timeout': P('drop TCP connections', 'drops TCP connections', 'TCP: timed out'),
  'tcp-unreachable': P('have no route', 'has no route', 'TCP: no route to host'),
  'tcp-reset': P('reset the connection', 'resets the connection', 'TCP: connection reset'),
  'proxy-auth-required': P('are refused by the proxy', 'is refused by the proxy', 'CONNECT: 407, credentials needed'),
  'proxy-denied': P('are not allowed by the proxy', 'is not allowed by the proxy', 'CONNECT: 403'),
  'proxy-status': P('are refused a tunnel by the proxy', 'is refused a tunnel by the proxy', 'CONNECT: refused'),
  'proxy-timeout': P('get no answer from the proxy', 'gets no answer from the proxy', 'CONNECT: timed out'),
  'tls-expired': P('present an expired certificate', 'presents an expired certificate', 'TLS: expired'),
  'tls-not-yet-valid': P(
    'present a certificate that is not valid yet',
    'presents a certificate that is not valid yet',
    'TLS: not yet valid',
  ),
  'tls-wrong-host': P(
    'present a certificate for another name',
    'presents a certificate for another name',
    'TLS: wrong host name',
  ),
  'tls-wrong-host-private': P(
    'present a certificate for another name',
    'presents a certificate for another name',
    'TLS: wrong host name',
  ),
  'tls-untrusted': P(
    'present a certificate from an untrusted issuer',
    'presents a certificate from an untrusted issuer',
    'TLS: untrusted issuer',
  ),
  'tls-untrusted-private': P(
    'present a certificate from an untrusted issuer',
    'presents a certificate from an untrusted issuer',
    'TLS: untrusted issuer',
  ),
  'tls-timeout': P('never complete TLS', 'never completes TLS', 'TLS: timed out'),
  'tls-handshake': P('fail the TLS handshake', 'fails the TLS handshake', 'TLS: handshake failed'),
  'http-timeout': P('give no HTTP answer', 'gives no HTTP answer', 'HTTP: timed out'),
  'http-bad-response': P('do not speak HTTP', 'does not speak HTTP', 'HTTP: not an HTTP answer'),
  intercepted: P(
    'answer with a certificate from a non-public CA',
    'answers with a certificate from a non-public CA',
    'TLS interception',
  ),
};

/** The phrase for a network.egress message id; `failed` (or anything unknown) names the stage that stopped. */
export function egressCausePhrase(messageId: string, stage?: string): EgressCausePhrase {
  const known = PHRASES[messageId];
  if (known) return known;
  const s = (stage ?? 'a stage').toUpperCase();
  return P(`fail at ${s}`, `fails at ${s}`, `${s}: failed`);
}
