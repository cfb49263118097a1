// Registries and platforms: cluster DNS, EKS Fargate (agents as sidecars and webhooks, ephemeral
// storage), the script runner (Deployment, identity, /tmp limit, port 2222 by policy and from inside pods).
import dns from '../../../checks/cluster/dns.ts';
import fargate from '../../../checks/cluster/fargate.ts';
import scriptRunnerReach from '../../../checks/network/script-runner.ts';
import scriptRunner from '../../../checks/workload/script-runner.ts';
import type { Deployment, NetworkPolicy } from '../../../src/domain/kube.ts';
import type { FactMap } from '../../../src/engine/facts.ts';
import { table } from '../../helpers/check-table.ts';
import { everyRunnerContainer, everyRunnerPod } from './fixtures-cluster.ts';
import { message, remediation } from './fixtures-pod.ts';
import { NS, chartNetworkPolicy, edit, healthyCluster, node, runnerServiceAccount } from './fixtures.ts';

const coredns = (ready: number, replicas = 2) => ({
  namespace: 'kube-system',
  name: 'coredns',
  replicas,
  ready,
  available: ready,
});

// --- Fargate ---------------------------------------------------------------------------------------

/** The healthy cluster with both runner pods on Fargate nodes. */
const onFargate = (facts: Partial<FactMap> = healthyCluster(), webhooks: FactMap['mutatingWebhooks'] = []) =>
  edit(facts, (f) => {
    f.nodes = [
      ...(f.nodes ?? []),
      ...['fargate-ip-10-0-1-1', 'fargate-ip-10-0-1-2'].map((n) =>
        node(n, { labels: { 'eks.amazonaws.com/compute-type': 'fargate' } }),
      ),
    ];
    f.runnerPods?.forEach((p, i) => {
      if (p.spec) p.spec.nodeName = i === 0 ? 'fargate-ip-10-0-1-1' : 'fargate-ip-10-0-1-2';
    });
    f.mutatingWebhooks = webhooks;
  });
const ephemeral = (q: string | undefined) =>
  everyRunnerContainer((c) => {
    const req = { ...(c.resources?.requests ?? {}) };
    if (q === undefined) delete req['ephemeral-storage'];
    else req['ephemeral-storage'] = q;
    c.resources = { ...c.resources, requests: req };
  });

// --- the script runner -------------------------------------------------------------------------------

// Not the runner's own selector labels: the runner's NetworkPolicy (ingress 8080 only) must not select it.
const SR_LABELS = {
  app: 'matillion-runner-script-runner',
  'app.kubernetes.io/instance': 'matillion-runner',
  'app.kubernetes.io/component': 'script-runner',
};
const scriptRunnerDeployment = (over: { ready?: number; sizeLimit?: string | null; sa?: string } = {}): Deployment => ({
  metadata: { name: 'matillion-runner-script-runner', namespace: NS, labels: SR_LABELS },
  spec: {
    replicas: 1,
    selector: { matchLabels: SR_LABELS },
    template: {
      metadata: { labels: SR_LABELS },
      spec: {
        serviceAccountName: over.sa ?? 'matillion-runner-script-runner-sa',
        containers: [
          {
            name: 'script-runner',
            image: 'public.ecr.aws/matillion/script-runner:stable',
            ports: [{ containerPort: 2222, name: 'ssh' }],
            volumeMounts: [{ name: 'tmp-volume', mountPath: '/tmp' }],
          },
        ],
        volumes: [
          { name: 'tmp-volume', emptyDir: over.sizeLimit === null ? {} : { sizeLimit: over.sizeLimit ?? '5Gi' } },
        ],
      },
    },
  },
  status: { replicas: 1, readyReplicas: over.ready ?? 1 },
});
/** The chart's NetworkPolicy with the 2222 egress rule it renders when the script runner is on. */
const netpolWith2222 = (): NetworkPolicy =>
  edit(chartNetworkPolicy(), (p) => {
    p.spec?.egress?.push({
      to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/component': 'script-runner' } } }],
      ports: [{ protocol: 'TCP', port: 2222 }],
    });
  });
const srSa = (
  annotations: Record<string, string> = {
    'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/matillion-script-runner',
  },
  name = 'matillion-runner-script-runner-sa',
) =>
  edit(runnerServiceAccount(annotations), (s) => {
    if (s.metadata) s.metadata.name = name;
  });
/** The healthy cluster with the script runner enabled the way the chart renders it. */
const withScriptRunner = (
  o: {
    host?: boolean;
    deployment?: Deployment | null;
    policies?: NetworkPolicy[];
    sas?: FactMap['serviceAccounts'];
  } = {},
) => {
  const base =
    o.host === false
      ? healthyCluster()
      : everyRunnerContainer((c) => {
          c.env = [...(c.env ?? []), { name: 'MTLN_SCRIPT_RUNNER_HOST', value: 'matillion-runner-script-runner' }];
        });
  return edit(base, (f) => {
    f.scriptRunners = o.deployment === null ? [] : [o.deployment ?? scriptRunnerDeployment()];
    f.networkPolicies = o.policies ?? [netpolWith2222()];
    f.serviceAccounts = o.sas ?? [runnerServiceAccount(), srSa()];
  });
};
const reach = (r: FactMap['scriptRunnerReach']): Partial<FactMap> => ({ scriptRunnerReach: r });

export const tables = [
  table(dns, {
    valid: [{ name: 'CoreDNS 2/2 ready', facts: { clusterDns: [coredns(2)] }, codes: ['ready'] }],
    invalid: [
      { name: 'no DNS Deployment under the usual label', facts: { clusterDns: [] }, codes: ['none'] },
      { name: 'one of two replicas ready', facts: { clusterDns: [coredns(1)] }, codes: ['degraded'] },
      {
        name: 'none ready',
        facts: { clusterDns: [coredns(0)] },
        codes: ['not-ready'],
        expect: message(/nothing in the cluster resolves$/),
      },
      { name: 'scaled to zero', facts: { clusterDns: [coredns(0, 0)] }, codes: ['scaled-down'] },
    ],
  }),

  table(fargate, {
    valid: [
      {
        name: 'runner pods on EC2 nodes',
        facts: { ...healthyCluster(), mutatingWebhooks: [] },
        codes: ['not-fargate'],
      },
      {
        name: "on Fargate with the chart's AWS ephemeral-storage request, no agent",
        facts: onFargate(),
        codes: ['no-agent', 'no-agent'],
        expect: message(
          /runs on EKS Fargate \(no DaemonSets there\): no security agent .* ephemeral storage 50\.0 GiB requested$/,
        ),
      },
      {
        name: 'a Falcon sidecar injected into the pods',
        facts: onFargate(
          everyRunnerPod((spec) => {
            spec.containers.push({
              name: 'crowdstrike-falcon-container',
              image: 'registry.crowdstrike.com/falcon-container/us-1/release/falcon-sensor:7.10',
            });
          }),
          [{ name: 'falcon-sidecar-injector', webhooks: ['injector.falcon-system.svc'] }],
        ),
        codes: ['agent-sidecar', 'agent-sidecar'],
        expect: message(/CrowdStrike Falcon \(container sensor\) injected as the sidecar crowdstrike-falcon-container/),
      },
      {
        name: 'an injecting webhook, but no sidecar in the pods',
        facts: onFargate(healthyCluster(), [
          { name: 'twistlock-defender-webhook', webhooks: ['defender.twistlock.com'] },
        ]),
        codes: ['agent-webhook', 'agent-webhook'],
      },
    ],
    invalid: [
      {
        name: 'on Fargate without an ephemeral-storage request: 20 GiB',
        facts: onFargate(ephemeral(undefined)),
        codes: ['ephemeral-default', 'ephemeral-default'],
        expect: message(/Fargate gives it 20\.0 GiB/),
      },
      {
        name: 'more than Fargate can provision',
        facts: onFargate(ephemeral('200Gi')),
        codes: ['ephemeral-over-max', 'ephemeral-over-max'],
      },
    ],
  }),

  table(scriptRunner, {
    valid: [
      { name: 'not enabled', facts: withScriptRunner({ host: false, deployment: null }), codes: ['disabled'] },
      {
        name: 'enabled as the chart renders it',
        facts: withScriptRunner(),
        codes: ['ok'],
        expect: message(
          'matillion/matillion-runner-script-runner: 1/1 ready, ServiceAccount matillion/matillion-runner-script-runner-sa, /tmp limited to 5Gi, port 2222 allowed between the runner and it',
        ),
      },
    ],
    invalid: [
      {
        name: 'MTLN_SCRIPT_RUNNER_HOST set, no script runner Deployment',
        facts: withScriptRunner({ deployment: null }),
        codes: ['host-no-deployment'],
      },
      {
        name: 'a script runner the runner is not told about',
        facts: withScriptRunner({ host: false }),
        codes: ['deployment-no-host'],
      },
      {
        name: 'not ready',
        facts: withScriptRunner({ deployment: scriptRunnerDeployment({ ready: 0 }) }),
        codes: ['not-ready'],
      },
      {
        name: 'its ServiceAccount is missing',
        facts: withScriptRunner({ sas: [runnerServiceAccount()] }),
        codes: ['no-service-account'],
      },
      {
        name: 'its ServiceAccount has no IRSA role',
        facts: withScriptRunner({ sas: [runnerServiceAccount(), srSa({})] }),
        codes: ['no-identity'],
      },
      {
        name: "its ServiceAccount is not the trust policy's *-script-runner-sa",
        facts: withScriptRunner({
          deployment: scriptRunnerDeployment({ sa: 'scripts' }),
          sas: [runnerServiceAccount(), srSa(undefined, 'scripts')],
        }),
        codes: ['subject-mismatch'],
        expect: message(
          /presents system:serviceaccount:matillion:scripts, but the IAM role's trust policy .* accepts system:serviceaccount:\*:\*-script-runner-sa/,
        ),
      },
      {
        name: '/tmp without a sizeLimit',
        facts: withScriptRunner({ deployment: scriptRunnerDeployment({ sizeLimit: null }) }),
        codes: ['tmp-no-limit'],
      },
      {
        name: "the chart's runner NetworkPolicy without the 2222 rule",
        facts: withScriptRunner({ policies: [chartNetworkPolicy()] }),
        codes: ['egress-blocked'],
        expect: remediation(/egress rule to TCP 2222/),
      },
      {
        name: 'a default-deny ingress policy on the script runner',
        facts: withScriptRunner({
          policies: [
            netpolWith2222(),
            {
              metadata: { name: 'scripts-deny', namespace: NS },
              spec: {
                podSelector: { matchLabels: { 'app.kubernetes.io/component': 'script-runner' } },
                policyTypes: ['Ingress'],
              },
            },
          ],
        }),
        codes: ['ingress-blocked'],
      },
    ],
  }),

  table(scriptRunnerReach, {
    valid: [
      { name: 'not configured', facts: reach({ enabled: false, tool: 'none' }), codes: ['disabled'] },
      {
        name: 'sshd answers on 2222',
        facts: reach({
          enabled: true,
          tool: 'python3',
          address: 'matillion-runner-script-runner:2222',
          outcome: 'ok',
          banner: 'SSH-2.0-OpenSSH_9.6',
        }),
        codes: ['reachable'],
      },
      {
        name: 'no python3 or curl',
        facts: reach({ enabled: true, tool: 'none', outcome: 'no-tool' }),
        codes: ['no-tool'],
      },
    ],
    invalid: [
      {
        name: 'something else answers',
        facts: reach({ enabled: true, tool: 'python3', address: 'x:2222', outcome: 'ok' }),
        codes: ['not-ssh'],
      },
      {
        name: 'refused',
        facts: reach({
          enabled: true,
          tool: 'python3',
          address: 'x:2222',
          outcome: 'refused',
          detail: 'connection refused',
        }),
        codes: ['refused'],
      },
      {
        name: 'dropped by a policy',
        facts: reach({ enabled: true, tool: 'curl', address: 'x:2222', outcome: 'timeout', detail: 'curl: (28)' }),
        codes: ['timeout'],
      },
      {
        name: 'the host does not resolve',
        facts: reach({
          enabled: true,
          tool: 'python3',
          address: 'x:2222',
          outcome: 'dns',
          detail: 'Name or service not known',
        }),
        codes: ['dns'],
      },
      {
        name: 'no route',
        facts: reach({
          enabled: true,
          tool: 'python3',
          address: 'x:2222',
          outcome: 'unreachable',
          detail: 'No route to host',
        }),
        codes: ['unreachable'],
      },
      {
        name: 'a malformed host',
        facts: reach({
          enabled: true,
          tool: 'python3',
          outcome: 'error',
          detail: 'MTLN_SCRIPT_RUNNER_HOST is not host[:port]',
        }),
        codes: ['error'],
      },
    ],
  }),
];
