// What NetworkPolicies really do for the runner: HTTPS only to private ranges (network.policy's new verdicts),
// whether anything enforces them (network.policy-enforced), port 80 to anywhere and the metadata endpoint
// (network.metadata-endpoint), the metrics-port rule against the namespaces Prometheus runs in
// (network.metrics-scrape), and selectors that match nothing (network.policy-selectors).
import metadataEndpoint from '../../../checks/network/metadata-endpoint.ts';
import metricsScrape from '../../../checks/network/metrics-scrape.ts';
import policy from '../../../checks/network/policy.ts';
import policyEnforced from '../../../checks/network/policy-enforced.ts';
import policySelectors from '../../../checks/network/policy-selectors.ts';
import type { DaemonSetInfo, NetworkPolicy } from '../../../src/domain/kube.ts';
import { detectPolicyEngines } from '../../../src/domain/policy-engines.ts';
import type { FactMap } from '../../../src/engine/facts.ts';
import type { CheckResult } from '../../../src/engine/types.ts';
import { table } from '../../helpers/check-table.ts';
import { everyRunnerContainer } from './fixtures-cluster.ts';
import { calico, diagnosedCluster, namespaceInfo, policy as np, prometheusPod } from './fixtures-diagnosis.ts';
import { chartNetworkPolicy, edit, NS } from './fixtures.ts';

type Facts = Partial<FactMap>;
const message =
  (re: RegExp, n = 0) =>
  (rs: CheckResult[]) => {
    if (!re.test(rs[n]?.message ?? '')) throw new Error(`message ${n}: ${rs[n]?.message}`);
  };
const remedy =
  (re: RegExp, n = 0) =>
  (rs: CheckResult[]) => {
    const r = rs[n]?.remediation;
    if (!re.test(`${r?.text ?? ''} | ${r?.command ?? ''}`)) throw new Error(JSON.stringify(r));
  };
const both =
  (...fs: ((rs: CheckResult[]) => void)[]) =>
  (rs: CheckResult[]) => {
    for (const f of fs) f(rs);
  };

type Spec = NonNullable<NetworkPolicy['spec']>;
/** The chart's policy with parts of its spec replaced, plus further policies. */
const chart = (over: Partial<Spec> = {}, ...more: NetworkPolicy[]) =>
  diagnosedCluster((f) => {
    const p = chartNetworkPolicy();
    p.spec = { ...p.spec, ...over };
    f.networkPolicies = [p, ...more];
  });
const DNS = {
  ports: [
    { port: 53, protocol: 'UDP' },
    { port: 53, protocol: 'TCP' },
  ],
};

// --- network.policy: HTTPS to private ranges only -------------------------------------------------

const httpsTable = table(policy, {
  valid: [
    {
      name: 'HTTPS only to private ranges, but the runner goes out through its proxy',
      facts: edit(
        chart({
          egress: [DNS, { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 443, protocol: 'TCP' }] }],
        }),
        (x) => {
          const withProxy = everyRunnerContainer((c) => {
            c.env = (c.env ?? []).map((e) =>
              e.name === 'PROXY_HTTPS' ? { name: e.name, value: 'http://proxy.corp.example:3128' } : e,
            );
          }, x);
          x.runnerPods = withProxy.runnerPods;
        },
      ),
      codes: ['https-via-proxy'],
      expect: message(/the runner goes out through its proxy PROXY_HTTPS=http:\/\/proxy\.corp\.example:3128/),
    },
  ],
  invalid: [
    {
      name: 'HTTPS only to 10.0.0.0/8: the public endpoints are blocked, by this rule',
      facts: chart({
        egress: [DNS, { to: [{ ipBlock: { cidr: '10.0.0.0/8' } }], ports: [{ port: 443, protocol: 'TCP' }] }],
      }),
      codes: ['https-public-blocked'],
      expect: both(
        message(
          /^HTTPS 443 egress is allowed only to private or in-cluster destinations \(matillion-runner-netpol egress\[1\] to 10\.0\.0\.0\/8\): the public endpoints the runner needs — the vendor control plane \(keycloak\.core\.matillion\.com, api\.matillion\.com\), the cloud APIs and the image registry — are blocked$/,
        ),
        remedy(
          /^add to matillion-runner-netpol an egress rule for 443 to any destination — `- ports: \[\{protocol: TCP, port: 443\}\]` with no `to`/,
        ),
        (rs) => {
          if (/make sure/.test(rs[0]?.message ?? '')) throw new Error('hedged');
        },
      ),
    },
    {
      name: 'HTTPS only to an in-cluster proxy pod that the runner does not use',
      facts: chart({
        egress: [
          DNS,
          { to: [{ podSelector: { matchLabels: { app: 'squid' } } }], ports: [{ port: 443, protocol: 'TCP' }] },
        ],
      }),
      codes: ['https-public-blocked'],
      expect: message(/\(matillion-runner-netpol egress\[1\] to pods app=squid\)/),
    },
    {
      name: 'HTTPS only to a public range: hedged, because it may or may not hold the endpoints',
      facts: chart({
        egress: [DNS, { to: [{ ipBlock: { cidr: '52.0.0.0/8' } }], ports: [{ port: 443, protocol: 'TCP' }] }],
      }),
      codes: ['https-ranges-only'],
      expect: message(/^HTTPS 443 egress is allowed only to matillion-runner-netpol egress\[1\] to 52\.0\.0\.0\/8: /),
    },
  ],
});

// --- network.policy-enforced ----------------------------------------------------------------------

const engines = (daemonSets: DaemonSetInfo[], f: (x: Facts) => void = () => {}) =>
  diagnosedCluster((x) => {
    f(x);
    x.daemonSets = daemonSets;
    x.policyEngine = detectPolicyEngines(daemonSets, x.nodes ?? []);
  });
const relabel = (labels: Record<string, string>) => (x: Facts) => {
  x.nodes = (x.nodes ?? []).map((n) => ({ ...n, labels: { ...n.labels, ...labels } }));
};
const awsNode = (args: string[]): DaemonSetInfo => ({
  namespace: 'kube-system',
  name: 'aws-node',
  ready: 2,
  containers: ['aws-node', 'aws-eks-nodeagent'],
  policyFlags: args.map((a) => `aws-eks-nodeagent ${a}`),
});

const enforcedTable = table(policyEnforced, {
  valid: [
    {
      name: 'Calico runs: the policies are enforced',
      facts: diagnosedCluster(),
      codes: ['enforced'],
      expect: message(
        /^Calico \(calico-system\/calico-node\) enforces the NetworkPolicies that select the runner pods \(matillion\/matillion-runner-netpol\)$/,
      ),
    },
    {
      name: 'the VPC CNI with its network policy agent enabled',
      facts: engines([awsNode(['--enable-network-policy=true'])], relabel({ 'eks.amazonaws.com/nodegroup': 'ng-1' })),
      codes: ['enforced'],
      expect: message(/^the AWS VPC CNI network policy agent \(kube-system\/aws-node\) enforces/),
    },
    {
      name: 'no NetworkPolicy selects the runner',
      facts: diagnosedCluster((x) => {
        x.networkPolicies = [];
      }),
      codes: ['no-policies'],
    },
    {
      name: 'EKS Auto Mode nodes: support built in, not visible',
      facts: engines([], relabel({ 'eks.amazonaws.com/compute-type': 'auto' })),
      codes: ['auto-mode'],
    },
  ],
  invalid: [
    {
      name: "AKS as the vendor's Terraform builds it: no network policy engine",
      facts: engines([], relabel({ 'kubernetes.azure.com/agentpool': 'runners' })),
      codes: ['not-enforced'],
      expect: both(
        message(
          /^the NetworkPolicies matillion\/matillion-runner-netpol select the runner pods, but no policy engine runs in the cluster .*: they are declared, not enforced/,
        ),
        remedy(/^AKS: enable a network policy engine — `az aks update .* --network-policy azure\|calico\|cilium`/),
      ),
    },
    {
      name: 'EKS: the VPC CNI runs, but its network policy agent is off',
      facts: engines([awsNode(['--enable-network-policy=false'])], relabel({ 'eks.amazonaws.com/nodegroup': 'ng-1' })),
      codes: ['not-enforced'],
      expect: both(
        message(/its aws-eks-nodeagent container runs without --enable-network-policy=true/),
        remedy(
          /^EKS: turn on the VPC CNI network policy agent — the vpc-cni add-on configuration `\{"enableNetworkPolicy": "true"\}`/,
        ),
      ),
    },
    {
      name: 'GKE without Dataplane V2 or Calico',
      facts: engines(
        [{ namespace: 'kube-system', name: 'kube-proxy', ready: 2 }],
        relabel({ 'cloud.google.com/gke-nodepool': 'default-pool' }),
      ),
      codes: ['not-enforced'],
      expect: remedy(/^GKE: `gcloud container clusters update <cluster> --enable-network-policy`/),
    },
    {
      name: 'calico-node without a ready pod',
      facts: engines([{ ...calico, ready: 0 }]),
      codes: ['not-enforced'],
      expect: message(/Calico \(calico-system\/calico-node\) is not enforcing: its DaemonSet has no ready pod/),
    },
    {
      name: 'runner pods on EKS Fargate: never enforced',
      facts: engines([awsNode(['--enable-network-policy=true'])], (x) => {
        x.nodes = (x.nodes ?? []).map((n) => ({
          ...n,
          labels: { ...n.labels, 'eks.amazonaws.com/compute-type': 'fargate' },
        }));
      }),
      codes: ['fargate'],
    },
  ],
});

// --- network.metadata-endpoint --------------------------------------------------------------------

const metadataTable = table(metadataEndpoint, {
  valid: [
    {
      name: 'port 80 with an except for the metadata address in the same rule',
      facts: chart({
        egress: [
          DNS,
          { ports: [{ port: 443, protocol: 'TCP' }] },
          {
            to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }],
            ports: [{ port: 80, protocol: 'TCP' }],
          },
        ],
      }),
      codes: ['closed'],
    },
    {
      name: 'no policy restricts egress',
      facts: diagnosedCluster((x) => {
        x.networkPolicies = [];
      }),
      codes: ['not-restricted'],
    },
    {
      name: 'no runner pods',
      facts: diagnosedCluster((x) => {
        x.runnerPods = [];
      }),
      codes: ['no-pods'],
    },
  ],
  invalid: [
    {
      name: "the chart's allowHttp: true opens 169.254.169.254",
      facts: chart(),
      codes: ['open'],
      expect: both(
        message(
          /^matillion-runner-netpol egress\[2\] \(to anywhere\) allows TCP 80 to addresses that include the cloud metadata endpoint 169\.254\.169\.254: a process in the runner pod can read the node's instance metadata and its credentials$/,
        ),
        remedy(/^if nothing the runner talks to needs plain HTTP, set allowHttp: false/),
      ),
    },
    {
      name: 'an except in another policy does not take it away: policies are a union',
      facts: chart(
        {},
        np('block-metadata', {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }] }],
        }),
      ),
      codes: ['open'],
      expect: message(
        / — the except for 169\.254\.169\.254 in block-metadata egress\[0\] does not close it: policies and their rules are a union/,
      ),
    },
    {
      name: 'a rule without ports to 0.0.0.0/0 opens it too',
      facts: chart({ egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }),
      codes: ['open'],
      expect: message(/^matillion-runner-netpol egress\[0\] \(to 0\.0\.0\.0\/0\) allows TCP 80/),
    },
  ],
});

// --- network.metrics-scrape -----------------------------------------------------------------------

const scrape = (f: (x: Facts) => void) => diagnosedCluster(f);
const metricsTable = table(metricsScrape, {
  valid: [
    {
      name: 'Prometheus in a namespace labelled name=monitoring',
      facts: diagnosedCluster(),
      codes: ['admitted'],
      expect: message(
        /^Prometheus in prometheus may scrape the runner on 8080 \(matillion-runner-netpol ingress\[0\]\)$/,
      ),
    },
    {
      name: 'an ingress rule for 8080 from anywhere',
      facts: chart({ ingress: [{ ports: [{ protocol: 'TCP', port: 8080 }] }] }),
      codes: ['open'],
    },
    {
      name: 'ingress not isolated',
      facts: chart({ policyTypes: ['Egress'], ingress: undefined }),
      codes: ['open'],
    },
    {
      name: 'no rule admits 8080 (network.policy reports it)',
      facts: chart({ ingress: [] }),
      codes: ['no-rule'],
    },
    {
      name: 'no Prometheus pod to compare with',
      facts: scrape((x) => {
        x.clusterPods = (x.clusterPods ?? []).filter((p) => p.app !== 'prometheus');
      }),
      codes: ['no-prometheus'],
    },
    {
      name: 'no runner pods',
      facts: scrape((x) => {
        x.runnerPods = [];
      }),
      codes: ['no-pods'],
    },
  ],
  invalid: [
    {
      name: "the chart's name=monitoring, which no namespace carries",
      facts: scrape((x) => {
        x.clusterNamespaces = [namespaceInfo(NS), namespaceInfo('prometheus')];
      }),
      codes: ['label-missing'],
      expect: both(
        message(
          /^matillion-runner-netpol ingress\[0\] admits scrapes on 8080 only from namespaces labelled name=monitoring, and no namespace carries it: where NetworkPolicies are enforced, Prometheus cannot scrape the runner and the HPA gets no app_active_task_count$/,
        ),
        remedy(/^label the namespace Prometheus runs in: kubectl label namespace prometheus name=monitoring \|/),
      ),
    },
    {
      name: 'name=monitoring exists, but Prometheus runs in prometheus',
      facts: scrape((x) => {
        x.clusterNamespaces = [
          namespaceInfo(NS),
          namespaceInfo('monitoring', { name: 'monitoring' }),
          namespaceInfo('prometheus'),
        ];
      }),
      codes: ['prometheus-not-admitted'],
      expect: both(
        message(
          /^Prometheus runs in prometheus, which matillion-runner-netpol ingress\[0\] does not admit on 8080 \(it admits namespaces name=monitoring\)/,
        ),
        remedy(/kubectl label namespace prometheus name=monitoring/),
      ),
    },
    {
      name: 'no Prometheus found and no namespace labelled: the fix says where the guide installs it',
      facts: scrape((x) => {
        x.clusterNamespaces = [namespaceInfo(NS)];
        x.clusterPods = (x.clusterPods ?? []).filter((p) => p.app !== 'prometheus');
      }),
      codes: ['label-missing'],
      expect: remedy(
        /kubectl label namespace <prometheus-namespace> name=monitoring \(the vendor's guide installs Prometheus in prometheus\)/,
      ),
    },
  ],
});

// --- network.policy-selectors ---------------------------------------------------------------------

const selectorsTable = table(policySelectors, {
  valid: [
    { name: "the chart's policy selects the runner pods", facts: diagnosedCluster(), codes: ['ok'] },
    {
      name: 'no NetworkPolicy',
      facts: diagnosedCluster((x) => {
        x.networkPolicies = [];
      }),
      codes: ['no-policies'],
    },
    {
      name: 'DNS to kube-dns pods in kube-system: the peer matches',
      facts: edit(
        chart(
          {},
          np('dns', {
            podSelector: {},
            policyTypes: ['Egress'],
            egress: [
              {
                to: [
                  {
                    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
                    podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
                  },
                ],
              },
            ],
          }),
        ),
        (x) => {
          const coredns = {
            ...prometheusPod('kube-system'),
            name: 'coredns-1',
            app: 'kube-dns',
            labels: { 'k8s-app': 'kube-dns' },
          };
          x.clusterPods = [...(x.clusterPods ?? []), coredns];
        },
      ),
      codes: ['ok'],
    },
  ],
  invalid: [
    {
      name: 'a typo in the podSelector: the policy protects nothing',
      facts: chart(
        {},
        np('runner-egress', {
          podSelector: { matchLabels: { app: 'matillion-runer-pods' } },
          policyTypes: ['Egress'],
          egress: [{}],
        }),
      ),
      codes: ['selects-nothing'],
      expect: message(
        /^NetworkPolicy runner-egress selects no pod in matillion \(podSelector app=matillion-runer-pods\): it protects nothing — a typo in a selector fails open, silently$/,
      ),
    },
    {
      name: 'peers that match no namespace and no pod',
      facts: chart(
        {},
        np('to-warehouse-proxy', {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [
            {
              to: [
                { namespaceSelector: { matchLabels: { team: 'data' } } },
                { podSelector: { matchLabels: { app: 'proxy' } } },
              ],
            },
          ],
        }),
      ),
      codes: ['peer-selects-nothing', 'peer-selects-nothing'],
      expect: both(
        message(
          /^to-warehouse-proxy egress\[0\] names namespaces team=data, which matches no namespace now: that part of the rule admits nothing$/,
        ),
        message(/^to-warehouse-proxy egress\[0\] names pods app=proxy, which matches no pod now/, 1),
      ),
    },
  ],
});

export const tables = [httpsTable, enforcedTable, metadataTable, metricsTable, selectorsTable];
