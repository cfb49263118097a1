// What an endpoint result means and what to change: one sentence per failure class, naming the likely
// cause (NetworkPolicy, firewall / NSG / security group allow-list, NAT, proxy, DNS) and the fix.
import type { EndpointResult } from './probe.ts';

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

export interface Explanation {
  status: 'pass' | 'warn' | 'fail';
  message: string;
  fix?: string;
}

export function explain(r: EndpointResult, from: string): Explanation {
  const t = r.target;
  const where = `${t.name}${t.connect ? ` (via ${t.connect.host}:${t.connect.port})` : ''}`;
  const via = r.via ? ` through proxy ${r.via}` : '';
  const inPod = from !== 'doctor';
  const np = inPod ? 'the runner\'s NetworkPolicy (see network.policy) or ' : '';
  if (!r.failedStage) {
    if (t.tls && r.tls?.trust === 'extra' && t.publicCA) {
      return { status: 'warn', message: `${where} answers${via}, but its certificate is issued by ${r.tls.issuer}, not a public CA: something intercepts TLS (${stageLine(r)})`, fix: 'the runner must trust that CA: mount it and set CUSTOM_CERT_LOCATION (or exclude these hosts from TLS inspection)' };
    }
    return { status: 'pass', message: `${where} reachable${via}: ${stageLine(r)}${r.tool !== 'node' && r.tool !== 'python3' ? ` (tested with ${r.tool})` : ''}` };
  }
  const s = r.failedStage;
  const st = r[s];
  const detail = st?.detail ?? st?.error ?? 'failed';
  const ok = stageLine(r);
  const head = `${where}: ${s.toUpperCase()} failed${via} — ${detail}${ok ? ` (after ${ok})` : ''}`;
  const fixes: Record<string, string> = {
    'dns:nxdomain': `the name does not resolve from ${from}: check the host name${t.publicCA ? ' and MATILLION_REGION' : ''}; with private DNS zones or conditional forwarders, make sure they answer for it`,
    'dns:no-data': 'the name exists but has no address record: check the DNS zone',
    'dns:servfail': 'the resolver failed upstream: check CoreDNS\'s forwarders and the VPC/VNet DNS servers',
    'dns:timeout': `no DNS answer: allow egress to DNS 53/UDP and 53/TCP (${np}security groups), and check CoreDNS is running`,
    'dns:temporary': `no DNS answer: allow egress to DNS 53/UDP and 53/TCP (${np}security groups), and check CoreDNS and its upstream resolvers`,
    'dns:refused': 'the DNS server refused the query: check the resolver configuration',
    'dns:no-tool': 'add python3 or curl to the image, or test from the doctor\'s side only',
    'tcp:refused': `the connection was actively refused: wrong port, a firewall rejecting, or a required proxy not configured (PROXY_HTTPS / HTTPS_PROXY)`,
    'tcp:timeout': `packets to ${t.host}:${t.port} are dropped: allow egress ${t.port}/TCP in ${np}the NSG / security group / firewall allow-list; nodes in private subnets need a NAT gateway; or set the proxy (PROXY_HTTPS)`,
    'tcp:unreachable': 'no route to the host: private subnets need a NAT gateway or egress gateway; check the route table',
    'tcp:reset': 'the connection was reset: a firewall is rejecting it',
    'proxy:auth-required': 'the proxy needs credentials: put them in the proxy URL (http://user:password@proxy:port) of PROXY_HTTPS / HTTPS_PROXY, from a Secret',
    'proxy:denied': `the proxy does not allow ${t.host}: add it to the proxy's allow-list, or to PROXY_EXCLUDE / NO_PROXY if it must bypass the proxy`,
    'proxy:status': 'the proxy refused the tunnel: check the proxy\'s logs and allow-list',
    'proxy:timeout': 'the proxy did not answer: check the proxy address and that it is up',
    'tls:expired': 'the server\'s certificate has expired: if this is a TLS-inspecting middlebox, its certificate must be renewed; otherwise report it to the endpoint\'s owner',
    'tls:not-yet-valid': 'the certificate is not valid yet: check the clock on the node/doctor (NTP)',
    'tls:wrong-host': t.publicCA ? 'the certificate is for another name: a proxy or firewall is answering in place of the endpoint (DNS or transparent redirect); check the override/DNS' : 'the certificate does not carry this host name: connect with the name it was issued for, or reissue it',
    'tls:untrusted': t.publicCA ? `the issuer ${r.tls?.issuer ?? ''} is not trusted: something intercepts TLS — give the runner that CA (mount it, set CUSTOM_CERT_LOCATION) and the doctor --ca, or exclude these hosts from inspection` : `the issuer ${r.tls?.issuer ?? ''} is not trusted: add its CA (--ca for the doctor, CUSTOM_CERT_LOCATION for the runner)`,
    'tls:timeout': 'TCP connects but TLS never completes: a firewall or DPI device is holding the connection, or the port does not speak TLS',
    'tls:handshake': 'the TLS handshake failed: protocol or cipher mismatch, or not a TLS port',
    'http:timeout': 'TLS works but no HTTP answer came: the endpoint or an inspecting proxy is stalling',
    'http:bad-response': 'the endpoint does not speak HTTP on this port',
  };
  return { status: 'fail', message: head, fix: fixes[`${s}:${st?.error}`] ?? `check egress from ${from} to ${t.host}:${t.port}` };
}
