import type { EndpointResult } from '../../src/domain/egress.ts';
import { endpointLabel, failureOf, intercepted, stageLine } from '../../src/domain/egress-explain.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { MessageDef, Vars } from '../../src/engine/types.ts';

/** Every failure reads the same way; what to change depends on the stage and its failure class. */
const FAILED = '{{where}}: {{STAGE}} failed{{via}} — {{detail}}{{after}}';
const failure = (fix: string): MessageDef & { status: 'fail' } => ({ status: 'fail', text: FAILED, fix });
const NO_DNS = 'no DNS answer: allow egress to DNS 53/UDP and 53/TCP ({{np}}security groups), and check CoreDNS';

/** One message per `<stage>-<failure class>` (`-private` where a non-public endpoint needs other advice). */
const FAILURES = {
  'dns-nxdomain': failure(
    'the name does not resolve from {{from}}: check the host name{{region}}; with private DNS zones or conditional forwarders, make sure they answer for it',
  ),
  'dns-no-data': failure('the name exists but has no address record: check the DNS zone'),
  'dns-servfail': failure("the resolver failed upstream: check CoreDNS's forwarders and the VPC/VNet DNS servers"),
  'dns-timeout': failure(`${NO_DNS} is running`),
  'dns-temporary': failure(`${NO_DNS} and its upstream resolvers`),
  'dns-refused': failure('the DNS server refused the query: check the resolver configuration'),
  'dns-no-tool': failure("add python3 or curl to the image, or test from the doctor's side only"),
  'tcp-refused': failure(
    'the connection was actively refused: wrong port, a firewall rejecting, or a required proxy not configured (PROXY_HTTPS / HTTPS_PROXY)',
  ),
  'tcp-timeout': failure(
    'packets to {{host}}:{{port}} are dropped: allow egress {{port}}/TCP in {{np}}the NSG / security group / firewall allow-list; nodes in private subnets need a NAT gateway; or set the proxy (PROXY_HTTPS)',
  ),
  'tcp-unreachable': failure(
    'no route to the host: private subnets need a NAT gateway or egress gateway; check the route table',
  ),
  'tcp-reset': failure('the connection was reset: a firewall is rejecting it'),
  'proxy-auth-required': failure(
    'the proxy needs credentials: put them in the proxy URL (http://user:password@proxy:port) of PROXY_HTTPS / HTTPS_PROXY, from a Secret',
  ),
  'proxy-denied': failure(
    "the proxy does not allow {{host}}: add it to the proxy's allow-list, or to PROXY_EXCLUDE / NO_PROXY if it must bypass the proxy",
  ),
  'proxy-status': failure("the proxy refused the tunnel: check the proxy's logs and allow-list"),
  'proxy-timeout': failure('the proxy did not answer: check the proxy address and that it is up'),
  'tls-expired': failure(
    "the server's certificate has expired: if this is a TLS-inspecting middlebox, its certificate must be renewed; otherwise report it to the endpoint's owner",
  ),
  'tls-not-yet-valid': failure('the certificate is not valid yet: check the clock on the node/doctor (NTP)'),
  'tls-wrong-host': failure(
    'the certificate is for another name: a proxy or firewall is answering in place of the endpoint (DNS or transparent redirect); check the override/DNS',
  ),
  'tls-wrong-host-private': failure(
    'the certificate does not carry this host name: connect with the name it was issued for, or reissue it',
  ),
  'tls-untrusted': failure(
    'the issuer {{issuer}} is not trusted: something intercepts TLS — give the runner that CA (mount it, set CUSTOM_CERT_LOCATION) and the doctor --ca, or exclude these hosts from inspection',
  ),
  'tls-untrusted-private': failure(
    'the issuer {{issuer}} is not trusted: add its CA (--ca for the doctor, CUSTOM_CERT_LOCATION for the runner)',
  ),
  'tls-timeout': failure(
    'TCP connects but TLS never completes: a firewall or DPI device is holding the connection, or the port does not speak TLS',
  ),
  'tls-handshake': failure('the TLS handshake failed: protocol or cipher mismatch, or not a TLS port'),
  'http-timeout': failure('TLS works but no HTTP answer came: the endpoint or an inspecting proxy is stalling'),
  'http-bad-response': failure('the endpoint does not speak HTTP on this port'),
  /** Any other class: only where it was tested from and to. */
  failed: failure('check egress from {{from}} to {{host}}:{{port}}'),
};
type FailureId = keyof typeof FAILURES;
const isFailureId = (id: string): id is FailureId => Object.hasOwn(FAILURES, id);
/** Classes whose advice differs for a public endpoint (interception) and a private one (its own CA or name). */
const PRIVATE_VARIANT = new Set(['tls-wrong-host', 'tls-untrusted']);

/** The message for a failed result. */
function failureId(r: EndpointResult, stage: string, error: string | undefined): FailureId {
  if (!error) return 'failed';
  const id = `${stage}-${error}`;
  const variant = !r.target.publicCA && PRIVATE_VARIANT.has(id) ? `${id}-private` : id;
  return isFailureId(variant) ? variant : 'failed';
}

export default defineCheck({
  id: 'network.egress',
  title: 'Egress to the control plane, cloud APIs and registries, stage by stage',
  category: 'network',
  scope: 'vantage',
  docs: {
    what: 'For every endpoint the runner needs (vendor control plane for MATILLION_REGION, the cloud APIs for CLOUD_PROVIDER, the image registry, and --target / config targets): DNS, TCP, proxy CONNECT, TLS (chain, expiry, host name, trust) and one HTTP request, each with its own timeout and timing, all endpoints at once. Runs from the doctor and, through exec, from inside every runner pod (inline python3, else curl, wget or getent).',
    why: 'A runner that cannot reach the control plane never takes a task, and the reason differs by stage: a missing DNS egress rule, a dropped 443, a proxy that wants credentials, or a TLS-inspecting firewall whose CA the runner does not trust.',
    fix: 'Follow the fix named for the failing stage: NetworkPolicy egress (53/UDP+TCP, 443/TCP), NSG / security group / firewall allow-list, NAT for private subnets, PROXY_HTTPS / PROXY_EXCLUDE, or CUSTOM_CERT_LOCATION for an intercepting CA.',
  },
  needs: ['egress'],
  messages: {
    reachable: { status: 'pass', text: '{{where}} reachable{{via}}: {{stages}}{{tool}}' },
    intercepted: {
      status: 'warn',
      text: '{{where}} answers{{via}}, but its certificate is issued by {{issuer}}, not a public CA: something intercepts TLS ({{stages}})',
      fix: 'the runner must trust that CA: mount it and set CUSTOM_CERT_LOCATION (or exclude these hosts from TLS inspection)',
    },
    'no-targets': { status: 'info', text: 'no egress targets from {{from}} (derived targets off and none given)' },
    ...FAILURES,
  },
  judge({ egress: view }, { report }) {
    if (!view.results.length) return report('no-targets', { from: view.from });
    return view.results.map((r) => {
      const extra = {
        target: `${view.from} → ${r.target.name}`,
        details: {
          endpoint: `${r.target.host}:${r.target.port}`,
          purpose: r.target.purpose,
          tool: r.tool,
          ...(r.via ? { proxy: r.via } : {}),
          stages: { dns: r.dns, tcp: r.tcp, proxy: r.proxy, tls: r.tls, http: r.http },
          failedStage: r.failedStage ?? null,
          totalMs: r.totalMs,
        },
      };
      const where = endpointLabel(r);
      const via = r.via ? ` through proxy ${r.via}` : '';
      const stages = stageLine(r);
      const stopped = failureOf(r);
      if (!stopped) {
        if (intercepted(r))
          return report('intercepted', { where, via, issuer: r.tls?.issuer ?? 'an unknown issuer', stages }, extra);
        const tool = r.tool !== 'node' && r.tool !== 'python3' ? ` (tested with ${r.tool})` : '';
        return report('reachable', { where, via, stages, tool }, extra);
      }
      const vars: Vars = {
        where,
        STAGE: stopped.stage.toUpperCase(),
        via,
        detail: stopped.detail,
        after: stages ? ` (after ${stages})` : '',
        from: view.from,
        host: r.target.host,
        port: r.target.port,
        // Inside a pod the runner's own NetworkPolicy is a suspect too.
        np: view.from !== 'doctor' ? "the runner's NetworkPolicy (see network.policy) or " : '',
        region: r.target.publicCA ? ' and MATILLION_REGION' : '',
        issuer: r.tls?.issuer ?? '',
      };
      return report(failureId(r, stopped.stage, stopped.error), vars, extra);
    });
  },
});
