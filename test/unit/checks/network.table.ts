import egress from '../../../checks/network/egress.ts';
import egressPaths from '../../../checks/network/egress-paths.ts';
import policy from '../../../checks/network/policy.ts';
import type { EgressView, EndpointResult, StageName } from '../../../src/domain/egress.ts';
import type { NetworkPolicy } from '../../../src/domain/kube.ts';
import type { FactMap } from '../../../src/engine/facts.ts';
import type { CheckResult } from '../../../src/engine/types.ts';
import { type TableCase, table } from '../../helpers/check-table.ts';
import { egressTarget, failedAt, reached, view } from './fixtures-cluster.ts';
import { chartNetworkPolicy, edit, healthyCluster, NS } from './fixtures.ts';

const message =
  (re: RegExp, n = 0) =>
  (rs: CheckResult[]) => {
    if (!re.test(rs[n]?.message ?? '')) throw new Error(`message ${n}: ${rs[n]?.message}`);
  };
const remedy =
  (re: RegExp, n = 0) =>
  (rs: CheckResult[]) => {
    if (!re.test(rs[n]?.remediation?.text ?? '')) throw new Error(`remediation ${n}: ${rs[n]?.remediation?.text}`);
  };

// --- network.policy -------------------------------------------------------------------------------

type Spec = NonNullable<NetworkPolicy['spec']>;
/** The chart's policy with its egress (or other spec parts) replaced, plus further policies. */
const policies = (over: Partial<Spec> = {}, ...more: NetworkPolicy[]) =>
  edit(healthyCluster(), (f) => {
    const np = chartNetworkPolicy();
    np.spec = { ...np.spec, ...over };
    f.networkPolicies = [np, ...more];
  });
const defaultDeny: NetworkPolicy = {
  metadata: { name: 'default-deny', namespace: NS },
  spec: { podSelector: {}, policyTypes: ['Egress'] },
};

const policyTable = table(policy, {
  valid: [
    {
      name: "the chart's policy: DNS, 443 and the scrape from the monitoring namespace",
      facts: healthyCluster(),
      codes: ['allowed'],
      expect: (rs) => {
        message(
          /^DNS and HTTPS egress allowed, 8080 ingress allowed \(from selected peers\) by matillion-runner-netpol$/,
        )(rs);
        if (rs[0]?.target !== 'matillion: matillion-runner-netpol') throw new Error(rs[0]?.target);
      },
    },
    {
      name: 'a default deny next to the chart policy: the union allows',
      facts: policies({}, defaultDeny),
      codes: ['allowed'],
      expect: message(/by matillion-runner-netpol, default-deny$/),
    },
    {
      name: 'egress-only policy: ingress not isolated',
      facts: policies({ policyTypes: ['Egress'], ingress: undefined }),
      codes: ['allowed'],
      expect: message(/^DNS and HTTPS egress allowed by matillion-runner-netpol$/),
    },
    {
      name: 'no NetworkPolicy at all',
      facts: edit(healthyCluster(), (f) => {
        f.networkPolicies = [];
      }),
      codes: ['no-policy'],
    },
    {
      name: 'no runner pods',
      facts: edit(healthyCluster(), (f) => {
        f.runnerPods = [];
      }),
      codes: ['no-pods'],
    },
  ],
  invalid: [
    {
      name: 'egress without DNS',
      facts: policies({ egress: [{ ports: [{ port: 443, protocol: 'TCP' }] }] }),
      codes: ['egress-blocked'],
      expect: (rs) => {
        message(/^matillion-runner-netpol blocks egress: DNS 53\/UDP, DNS 53\/TCP$/)(rs);
        remedy(/53\/UDP, 53\/TCP and 443\/TCP/)(rs);
      },
    },
    {
      name: 'egress without 443',
      facts: policies({
        egress: [
          {
            ports: [
              { port: 53, protocol: 'UDP' },
              { port: 53, protocol: 'TCP' },
            ],
          },
        ],
      }),
      codes: ['egress-blocked'],
      expect: message(/blocks egress: HTTPS 443\/TCP$/),
    },
    {
      name: 'a default deny alone among two policies',
      facts: edit(healthyCluster(), (f) => {
        f.networkPolicies = [
          defaultDeny,
          {
            metadata: { name: 'ingress-only', namespace: NS },
            spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] },
          },
        ];
      }),
      codes: ['egress-blocked'],
      expect: message(/^default-deny, ingress-only block egress: DNS 53\/UDP, DNS 53\/TCP, HTTPS 443\/TCP$/),
    },
    {
      name: '443 only to a private range',
      facts: policies({
        egress: [
          {
            ports: [
              { port: 53, protocol: 'UDP' },
              { port: 53, protocol: 'TCP' },
            ],
          },
          { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 443, protocol: 'TCP' }] },
        ],
      }),
      codes: ['https-public-blocked'],
    },
    {
      name: 'ingress isolated with no rule for 8080',
      facts: policies({ ingress: [] }),
      codes: ['scrape-blocked'],
      expect: remedy(/name=monitoring/),
    },
  ],
});

// --- network.egress -------------------------------------------------------------------------------

const HOST = 'api.matillion.com';
const from = (v: string, ...results: EndpointResult[]): Partial<FactMap> => ({ egress: view(v, results) });

/** One case per failure class: the stage, its class, from where, and whether the endpoint is public. */
const FAILURE_CASES: [
  code: string,
  stage: StageName,
  error: string | undefined,
  o?: { from?: string; publicCA?: boolean; fix?: RegExp; head?: RegExp },
][] = [
  [
    'dns-nxdomain',
    'dns',
    'nxdomain',
    {
      fix: /^the name does not resolve from doctor: check the host name and MATILLION_REGION;/,
      head: /^api\.matillion\.com: DNS failed — nxdomain \(api\.matillion\.com\)$/,
    },
  ],
  ['dns-nxdomain', 'dns', 'nxdomain', { publicCA: false, fix: /check the host name; with private DNS zones/ }],
  ['dns-no-data', 'dns', 'no-data'],
  ['dns-servfail', 'dns', 'servfail'],
  [
    'dns-timeout',
    'dns',
    'timeout',
    {
      from: `${NS}/matillion-runner-app-7d9f-aaaaa`,
      fix: /\(the runner's NetworkPolicy \(see network\.policy\) or security groups\), and check CoreDNS is running$/,
    },
  ],
  ['dns-timeout', 'dns', 'timeout', { fix: /53\/TCP \(security groups\), and check/ }],
  ['dns-temporary', 'dns', 'temporary', { fix: /and check CoreDNS and its upstream resolvers$/ }],
  ['dns-refused', 'dns', 'refused'],
  ['dns-no-tool', 'dns', 'no-tool'],
  [
    'tcp-refused',
    'tcp',
    'refused',
    { head: /^api\.matillion\.com: TCP failed — refused \(api\.matillion\.com\) \(after DNS 2\.0 ms\)$/ },
  ],
  [
    'tcp-timeout',
    'tcp',
    'timeout',
    {
      from: `${NS}/matillion-runner-app-7d9f-aaaaa`,
      fix: /^packets to api\.matillion\.com:443 are dropped: allow egress 443\/TCP in the runner's NetworkPolicy/,
    },
  ],
  ['tcp-unreachable', 'tcp', 'unreachable'],
  ['tcp-reset', 'tcp', 'reset'],
  ['proxy-auth-required', 'proxy', 'auth-required'],
  [
    'proxy-denied',
    'proxy',
    'denied',
    { fix: /^the proxy does not allow api\.matillion\.com: /, head: /: PROXY failed — denied/ },
  ],
  ['proxy-status', 'proxy', 'status'],
  ['proxy-timeout', 'proxy', 'timeout'],
  ['tls-expired', 'tls', 'expired'],
  ['tls-not-yet-valid', 'tls', 'not-yet-valid'],
  ['tls-wrong-host', 'tls', 'wrong-host', { fix: /a proxy or firewall is answering in place of the endpoint/ }],
  ['tls-wrong-host-private', 'tls', 'wrong-host', { publicCA: false }],
  [
    'tls-untrusted',
    'tls',
    'untrusted',
    { fix: /^the issuer CN=Corp Inspection CA is not trusted: something intercepts TLS/ },
  ],
  [
    'tls-untrusted-private',
    'tls',
    'untrusted',
    { publicCA: false, fix: /^the issuer CN=Corp Inspection CA is not trusted: add its CA/ },
  ],
  ['tls-timeout', 'tls', 'timeout'],
  ['tls-handshake', 'tls', 'handshake'],
  [
    'http-timeout',
    'http',
    'timeout',
    { head: /— timeout \(api\.matillion\.com\) \(after DNS 2\.0 ms, TCP 5\.4 ms, TLS TLSv1\.3 20 ms\)$/ },
  ],
  ['http-bad-response', 'http', 'bad-response'],
  ['failed', 'tcp', 'weird', { fix: /^check egress from doctor to api\.matillion\.com:443$/ }],
  ['failed', 'http', undefined, { head: /: HTTP failed — failed \(after/ }],
];

const failureCases: TableCase[] = FAILURE_CASES.map(([code, stage, error, o = {}]) => ({
  name: `${stage}: ${error ?? 'no class'}${o.publicCA === false ? ' (private endpoint)' : ''}${o.from ? ' from a pod' : ''}`,
  facts: from(
    o.from ?? 'doctor',
    failedAt(HOST, stage, error, { target: egressTarget(HOST, { publicCA: o.publicCA ?? true }) }),
  ),
  codes: [code],
  expect: (rs) => {
    if (o.head) message(o.head)(rs);
    if (o.fix) remedy(o.fix)(rs);
  },
}));

const egressTable = table(egress, {
  valid: [
    {
      name: 'reachable from the doctor, every stage timed',
      facts: from('doctor', reached(HOST)),
      codes: ['reachable'],
      expect: message(/^api\.matillion\.com reachable: DNS 2\.0 ms, TCP 5\.4 ms, TLS TLSv1\.3 20 ms, HTTP 401 31 ms$/),
    },
    {
      name: 'reachable from a pod through its proxy, tested with curl',
      facts: from(
        `${NS}/matillion-runner-app-7d9f-bbbbb`,
        reached(HOST, { tool: 'curl', via: 'http://***@proxy.corp:3128', proxy: { ok: true, ms: 3, status: 200 } }),
      ),
      codes: ['reachable'],
      expect: (rs) => {
        message(
          /^api\.matillion\.com reachable through proxy http:\/\/\*\*\*@proxy\.corp:3128: DNS 2\.0 ms, TCP 5\.4 ms, CONNECT 3\.0 ms, .* \(tested with curl\)$/,
        )(rs);
        if (rs[0]?.target !== `${NS}/matillion-runner-app-7d9f-bbbbb → ${HOST}`) throw new Error(rs[0]?.target);
      },
    },
    {
      name: 'no targets',
      facts: from('doctor'),
      codes: ['no-targets'],
      expect: message(/^no egress targets from doctor/),
    },
  ],
  invalid: [
    {
      name: 'TLS intercepted: a public endpoint presents a certificate from an added CA',
      facts: from(
        'doctor',
        reached(HOST, {
          target: egressTarget(HOST, { connect: { host: '127.0.0.1', port: 8443 } }),
          tls: {
            ok: true,
            ms: 12,
            protocol: 'TLSv1.3',
            issuer: 'CN=test Root CA, O=runner-doctor tests',
            trust: 'extra',
          },
        }),
      ),
      codes: ['intercepted'],
      expect: (rs) => {
        message(
          /^api\.matillion\.com \(via 127\.0\.0\.1:8443\) answers, but its certificate is issued by CN=test Root CA, O=runner-doctor tests, not a public CA: something intercepts TLS \(DNS .* TLS TLSv1\.3 12 ms, HTTP 401 31 ms\)$/,
        )(rs);
        remedy(/CUSTOM_CERT_LOCATION/)(rs);
      },
    },
    {
      name: 'several endpoints: one finding each, in order',
      facts: from(
        'doctor',
        reached('keycloak.core.matillion.com'),
        failedAt('warehouse', 'tcp', 'refused', {
          target: egressTarget('warehouse', { port: 5432, publicCA: false, name: 'warehouse' }),
        }),
      ),
      codes: ['reachable', 'tcp-refused'],
    },
    ...failureCases,
  ],
});

// --- network.egress-paths -------------------------------------------------------------------------

const POD_A = `${NS}/matillion-runner-app-7d9f-aaaaa`;
const POD_B = `${NS}/matillion-runner-app-7d9f-bbbbb`;
const paths = (...views: EgressView[]): Partial<FactMap> => ({ egressViews: views });

const egressPathsTable = table(egressPaths, {
  valid: [
    {
      name: 'reachable everywhere',
      facts: paths(view('doctor', [reached(HOST)]), view(POD_A, [reached(HOST)]), view(POD_B, [reached(HOST)])),
      codes: ['reachable'],
      expect: message(/^api\.matillion\.com: reachable from the doctor and from 2 runner pod\(s\)$/),
    },
    {
      name: "blocked only from the doctor: the doctor's own network",
      facts: paths(view('doctor', [failedAt(HOST, 'dns', 'timeout')]), view(POD_A, [reached(HOST)])),
      codes: ['doctor-only'],
      expect: message(/^api\.matillion\.com: blocked from the doctor \(dns\) but reachable from every runner pod/),
    },
    { name: 'only the doctor tested', facts: paths(view('doctor', [reached(HOST)])), codes: ['no-pod-views'] },
    { name: 'nothing tested anywhere', facts: paths(view('doctor', []), view(POD_A, [])), codes: ['no-targets'] },
  ],
  invalid: [
    {
      name: 'one pod blocked by its proxy, the other fine: that pod',
      facts: paths(
        view('doctor', [reached(HOST), reached('keycloak.core.matillion.com')]),
        view(POD_A, [failedAt(HOST, 'proxy', 'denied'), reached('keycloak.core.matillion.com')]),
        view(POD_B, [reached(HOST), reached('keycloak.core.matillion.com')]),
      ),
      codes: ['some-pods', 'reachable'],
      expect: (rs) => {
        message(
          new RegExp(
            `^api\\.matillion\\.com: reachable from the doctor and 1 pod\\(s\\), blocked from ${POD_A} \\(proxy: denied\\) → those pods' node egress`,
          ),
        )(rs);
        const views = rs[0]?.details?.views;
        if (JSON.stringify(views) !== JSON.stringify({ doctor: 'ok', [POD_A]: 'proxy: denied', [POD_B]: 'ok' }))
          throw new Error(JSON.stringify(views));
      },
    },
    {
      name: 'reachable from the doctor, blocked from every pod: the NetworkPolicy or node egress',
      facts: paths(
        view('doctor', [reached(HOST)]),
        view(POD_A, [failedAt(HOST, 'tcp', 'timeout')]),
        view(POD_B, [failedAt(HOST, 'tcp', 'timeout')]),
      ),
      codes: ['all-pods'],
      expect: remedy(/^check network\.policy/),
    },
    {
      name: 'blocked from the doctor and the pods: upstream',
      facts: paths(
        view('doctor', [failedAt('warehouse', 'tcp', 'refused')]),
        view(POD_A, [failedAt('warehouse', 'tcp', 'refused')]),
        view(POD_B, []),
      ),
      codes: ['everywhere'],
      expect: (rs) => {
        message(
          /^warehouse: blocked from the doctor and from matillion\/matillion-runner-app-7d9f-aaaaa \(tcp: refused\) → upstream of both/,
        )(rs);
        const views = JSON.stringify(rs[0]?.details?.views);
        if (views !== JSON.stringify({ doctor: 'tcp: refused', [POD_A]: 'tcp: refused', [POD_B]: 'not tested' }))
          throw new Error(views);
      },
    },
    {
      name: 'the doctor did not test it, a pod is blocked',
      facts: paths(view(POD_A, [failedAt(HOST, 'dns', 'nxdomain')])),
      codes: ['pods-only'],
      expect: message(
        /^api\.matillion\.com: blocked from matillion\/matillion-runner-app-7d9f-aaaaa \(dns: nxdomain\)$/,
      ),
    },
  ],
});

export const tables = [policyTable, egressTable, egressPathsTable];
