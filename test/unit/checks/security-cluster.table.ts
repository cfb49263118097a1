import agents from '../../../checks/security/agents.ts';
import podSecurity from '../../../checks/security/pod-security.ts';
import type { ClusterPod } from '../../../src/domain/kube.ts';
import type { PodSecurityVerdict } from '../../../src/engine/facts.ts';
import type { CheckResult } from '../../../src/engine/types.ts';
import { table } from '../../helpers/check-table.ts';
import { edit, healthyCluster, NS } from './fixtures.ts';

const message =
  (re: RegExp, n = 0) =>
  (rs: CheckResult[]) => {
    if (!re.test(rs[n]?.message ?? '')) throw new Error(rs[n]?.message);
  };

// --- security.pod-security ------------------------------------------------------------------------

/** What the API server's dry-run says about the chart's pods (empty container securityContext). */
const RESTRICTED_WARNINGS = [
  `existing pods in namespace "${NS}" violate the new PodSecurity enforce level "restricted:v1.36"`,
  'matillion-runner-app-7d9f-aaaaa (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
];
const BASELINE_WARNINGS = [
  `existing pods in namespace "${NS}" violate the new PodSecurity enforce level "baseline:v1.36"`,
  'matillion-runner-app-7d9f-aaaaa: hostPath volumes',
];

const psa = (v: Partial<PodSecurityVerdict>) =>
  edit(healthyCluster(), (f) => {
    f.podSecurity = [{ namespace: NS, labels: {}, baseline: [], restricted: [], ...v }];
  });

const podSecurityTable = table(podSecurity, {
  valid: [
    {
      name: 'nothing enforced, nothing violated',
      facts: healthyCluster(),
      codes: ['satisfied'],
      expect: message(/^namespace matillion enforces nothing; the runner pods satisfy/),
    },
    {
      name: "baseline enforced; restricted would reject the chart's pods",
      facts: psa({ labels: { enforce: 'baseline' }, restricted: RESTRICTED_WARNINGS }),
      codes: ['restricted-would-reject'],
      expect: (rs) => {
        const m = rs[0]?.message ?? '';
        if (
          !m.startsWith(
            'namespace matillion enforces baseline; restricted would reject the runner pods: matillion-runner-app-7d9f-aaaaa (and 1 other pod): allowPrivilegeEscalation',
          ) ||
          m.includes('existing pods')
        )
          throw new Error(m);
        if (rs[0]?.target !== 'namespace/matillion') throw new Error(rs[0]?.target);
      },
    },
    {
      name: 'no runner namespace',
      facts: edit(healthyCluster(), (f) => {
        f.podSecurity = [];
      }),
      codes: ['no-namespace'],
    },
    {
      name: 'restricted enforced on hardened pods',
      facts: psa({ labels: { enforce: 'restricted' } }),
      codes: ['enforces-restricted'],
    },
  ],
  invalid: [
    {
      name: 'restricted enforced after the pods were created: new pods are rejected',
      facts: psa({ labels: { enforce: 'restricted', warn: 'restricted' }, restricted: RESTRICTED_WARNINGS }),
      codes: ['rejected'],
      expect: message(/enforces restricted and the runner pods violate it/),
    },
    {
      name: 'the pods violate even baseline',
      facts: psa({ baseline: BASELINE_WARNINGS, restricted: RESTRICTED_WARNINGS }),
      codes: ['violates-baseline'],
      expect: message(
        /^the runner pods in matillion violate even the baseline level: existing pods .* hostPath volumes$/,
      ),
    },
  ],
});

// --- security.agents ------------------------------------------------------------------------------

/** A DaemonSet and its pods on the given nodes. */
const agent = (namespace: string, name: string, nodes: string[]) =>
  edit(healthyCluster(), (f) => {
    f.daemonSets = [...(f.daemonSets ?? []), { namespace: 'kube-system', name: 'kube-proxy' }, { namespace, name }];
    const pods = nodes.map(
      (n, i): ClusterPod => ({
        namespace,
        name: `${name}-${i}`,
        nodeName: n,
        phase: 'Running',
        requests: { cpu: 0.1, memory: 256 * 1024 ** 2, ephemeral: 0 },
        daemonSet: name,
      }),
    );
    f.clusterPods = [
      ...(f.clusterPods ?? []),
      ...pods,
      {
        namespace: 'kube-system',
        name: 'kube-proxy-0',
        nodeName: 'node-a',
        requests: { cpu: 0, memory: 0, ephemeral: 0 },
        daemonSet: 'kube-proxy',
      },
    ];
  });

const agentsTable = table(agents, {
  valid: [
    {
      name: 'no security agent DaemonSet',
      facts: healthyCluster(),
      codes: ['none'],
      expect: message(/^no known runtime security agent DaemonSet in the cluster$/),
    },
    {
      name: 'Falco on a runner node: a hint only',
      facts: agent('falco', 'falco', ['node-a']),
      codes: ['on-runner-nodes'],
      expect: message(/^Falco \(falco\/falco\) runs on the runner node\(s\) node-a: if scripts die with exit 137/),
    },
    {
      name: 'CrowdStrike only on other nodes',
      facts: agent('falcon-system', 'falcon-node-sensor', ['node-c']),
      codes: ['elsewhere'],
      expect: message(
        /^CrowdStrike Falcon \(node sensor\) DaemonSet falcon-system\/falcon-node-sensor runs on no runner node$/,
      ),
    },
  ],
  invalid: [
    {
      name: "CrowdStrike's node sensor on both runner nodes",
      facts: agent('falcon-system', 'falcon-node-sensor', ['node-a', 'node-b', 'node-c']),
      codes: ['crowdstrike'],
      expect: (rs) => {
        message(
          /^CrowdStrike Falcon \(node sensor\) \(falcon-system\/falcon-node-sensor\) runs on the runner node\(s\) node-a, node-b: .*exit 137/,
        )(rs);
        if (rs[0]?.target !== 'falcon-system/falcon-node-sensor') throw new Error(rs[0]?.target);
      },
    },
  ],
});

export const tables = [podSecurityTable, agentsTable];
