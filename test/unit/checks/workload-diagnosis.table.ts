// Why runner pods do not run or differ: Pending pods explained node by node (workload.scheduling), a
// rollout past its progress deadline (workload.rollout), replicas on different image builds
// (workload.image-drift) and the 12-hour termination grace period (workload.grace-period).
import gracePeriod from '../../../checks/workload/grace-period.ts';
import imageDrift from '../../../checks/workload/image-drift.ts';
import rollout from '../../../checks/workload/rollout.ts';
import scheduling from '../../../checks/workload/scheduling.ts';
import type { ClusterPod, NodeInfo, Pod } from '../../../src/domain/kube.ts';
import type { FactMap } from '../../../src/engine/facts.ts';
import type { CheckResult } from '../../../src/engine/types.ts';
import { table } from '../../helpers/check-table.ts';
import { event, everyRunnerContainer, runnerStatus } from './fixtures-cluster.ts';
import { GiB, pendingFirst } from './fixtures-diagnosis.ts';
import { edit, healthyCluster, NS } from './fixtures.ts';

type Facts = Partial<FactMap>;
const message =
  (re: RegExp, n = 0) =>
  (rs: CheckResult[]) => {
    if (!re.test(rs[n]?.message ?? '')) throw new Error(`message ${n}: ${rs[n]?.message}`);
  };
const remedy = (re: RegExp) => (rs: CheckResult[]) => {
  const r = rs[0]?.remediation;
  if (!re.test(`${r?.text ?? ''} | ${r?.command ?? ''}`)) throw new Error(JSON.stringify(r));
};
const both =
  (...fs: ((rs: CheckResult[]) => void)[]) =>
  (rs: CheckResult[]) => {
    for (const f of fs) f(rs);
  };

// --- workload.scheduling --------------------------------------------------------------------------

const POD_A = 'matillion-runner-app-7d9f-aaaaa';
const scheduler = (message: string) => event(POD_A, { message });
/** The first runner pod Pending with the scheduler's event, the nodes and the pod changed. */
const pending = (
  message: string,
  o: { pod?: (p: Pod) => void; nodes?: (n: NodeInfo[]) => NodeInfo[]; more?: (x: Facts) => void } = {},
) =>
  edit(healthyCluster(), (x) => {
    pendingFirst(o.pod)(x);
    x.runnerEvents = [scheduler(message)];
    if (o.nodes) x.nodes = o.nodes(x.nodes ?? []);
    o.more?.(x);
  });
const requests = (r: Record<string, string>) => (p: Pod) => {
  for (const c of p.spec?.containers ?? []) c.resources = { requests: r, limits: r };
};
const busy = (name: string, cpu: number): ClusterPod => ({
  namespace: 'batch',
  name: `busy-${name}`,
  nodeName: name,
  phase: 'Running',
  requests: { cpu, memory: GiB, ephemeral: 0 },
});
const taint = (key: string, value: string) => (ns: NodeInfo[]) =>
  ns.map((n) => ({ ...n, taints: [{ key, value, effect: 'NoSchedule' }] }));

const schedulingTable = table(scheduling, {
  valid: [
    { name: 'every runner pod is on a node', facts: healthyCluster(), codes: ['scheduled'] },
    {
      name: 'no runner pods',
      facts: edit(healthyCluster(), (x) => {
        x.runnerPods = [];
      }),
      codes: ['no-pods'],
    },
    {
      name: 'just created: Pending without a scheduling event yet, and room on the nodes',
      facts: edit(healthyCluster(), pendingFirst()),
      codes: ['waiting'],
    },
  ],
  invalid: [
    {
      name: '48 GiB asked on 32 GiB nodes: no node is that large',
      facts: pending(
        '0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
        {
          pod: requests({ cpu: '1', memory: '48Gi' }),
        },
      ),
      codes: ['too-small'],
      expect: both(
        message(
          /^pod matillion\/matillion-runner-app-7d9f-aaaaa cannot be scheduled: each asks for 48\.0 GiB memory and no node is that large \(the largest has 32\.0 GiB allocatable\)$/,
        ),
        remedy(/^choose a smaller runnerSize, or add a node pool whose nodes have ≥ 48\.0 GiB allocatable memory/),
      ),
    },
    {
      name: 'the nodes are full of CPU: which node has how much',
      facts: pending('0/2 nodes are available: 2 Insufficient cpu.', {
        more: (x) => {
          x.clusterPods = [...(x.clusterPods ?? []), busy('node-a', 7.5), busy('node-b', 6.5)];
        },
      }),
      codes: ['insufficient'],
      expect: message(
        /not enough free cpu — each asks for 1 CPU, the nodes have node-a 0\.5 CPU free of 8 CPU and node-b 0\.5 CPU free of 8 CPU$/,
      ),
    },
    {
      name: "the AWS values' 50 GiB ephemeral-storage request on nodes with 40 GiB disks",
      facts: pending('0/2 nodes are available: 2 Insufficient ephemeral-storage.', {
        nodes: (ns) => ns.map((n) => ({ ...n, allocatable: { ...n.allocatable, ephemeral: 40 * GiB } })),
      }),
      codes: ['ephemeral-aws'],
      expect: both(
        message(
          /the chart's AWS values request 50\.0 GiB of ephemeral storage per runner, and the nodes have node-a 40\.0 GiB free of 40\.0 GiB/,
        ),
        remedy(
          /larger root volumes .* or override dpcAgent\.dpcAgent\.resources with a smaller ephemeral-storage request/,
        ),
      ),
    },
    {
      name: 'a taint the runner does not tolerate (1.36 no longer names it)',
      facts: pending('0/2 nodes are available: 2 node(s) had untolerated taint(s).', {
        nodes: taint('dedicated', 'gpu'),
      }),
      codes: ['taint'],
      expect: both(
        message(
          /nodes node-a and node-b carry the taint dedicated=gpu:NoSchedule, which the runner pods do not tolerate$/,
        ),
        remedy(/kubectl taint nodes <node> dedicated-/),
      ),
    },
    {
      name: 'EKS Fargate nodes and no Fargate profile for the namespace',
      facts: pending('0/2 nodes are available: 2 node(s) had untolerated taint(s).', {
        nodes: (ns) =>
          taint(
            'eks.amazonaws.com/compute-type',
            'fargate',
          )(ns).map((n) => ({
            ...n,
            labels: { ...n.labels, 'eks.amazonaws.com/compute-type': 'fargate' },
          })),
      }),
      codes: ['fargate-profile'],
      expect: both(
        message(/nodes node-a and node-b are EKS Fargate nodes, and no Fargate profile covers namespace matillion/),
        remedy(/create a Fargate profile selecting namespace matillion .* \| aws eks list-fargate-profiles/),
      ),
    },
    {
      name: 'a nodeSelector no node matches',
      facts: pending("0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.", {
        pod: (p) => {
          if (p.spec) p.spec.nodeSelector = { pool: 'gpu' };
        },
      }),
      codes: ['selector'],
      expect: message(/cannot be scheduled: nodeSelector pool=gpu does not match on node-a and node-b$/),
    },
    {
      name: 'every node cordoned',
      facts: pending('0/2 nodes are available: 2 node(s) were unschedulable.', {
        nodes: (ns) => ns.map((n) => ({ ...n, unschedulable: true })),
      }),
      codes: ['no-node'],
      expect: message(/cannot be scheduled: node-a and node-b cordoned$/),
    },
    {
      name: 'the nodes have room: the scheduler names something else (anti-affinity)',
      facts: pending("0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules."),
      codes: ['other'],
      expect: message(/Pending: 0\/2 nodes are available: 2 node\(s\) didn't match pod anti-affinity rules\.$/),
    },
    {
      name: 'one node tainted, the other full of memory: the resource first, the taint after',
      facts: pending('0/2 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint(s).', {
        nodes: (ns) =>
          ns.map((n) =>
            n.name === 'node-a' ? { ...n, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } : n,
          ),
        more: (x) => {
          x.clusterPods = [
            ...(x.clusterPods ?? []),
            { ...busy('node-b', 1), requests: { cpu: 1, memory: 27 * GiB, ephemeral: 0 } },
          ];
        },
      }),
      codes: ['insufficient'],
      expect: message(
        /not enough free memory .* node-b 1\.0 GiB free of 32\.0 GiB; on the other nodes: taint dedicated=gpu:NoSchedule on node-a$/,
      ),
    },
    {
      name: 'pinned by nodeSelector to a tainted node: the taint leads, the selector follows',
      facts: pending(
        "0/2 nodes are available: 1 node(s) had untolerated taint(s), 1 node(s) didn't match Pod's node affinity/selector.",
        {
          pod: (p) => {
            if (p.spec) p.spec.nodeSelector = { 'kubernetes.io/hostname': 'node-a' };
          },
          nodes: (ns) =>
            ns.map((n) =>
              n.name === 'node-a' ? { ...n, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } : n,
            ),
        },
      ),
      codes: ['taint'],
      expect: message(
        /nodes node-a carry the taint dedicated=gpu:NoSchedule, which the runner pods do not tolerate; on the other nodes: nodeSelector kubernetes\.io\/hostname=node-a does not match on node-b$/,
      ),
    },
    {
      name: 'a mixed EKS cluster: Fargate nodes, and the EC2 node full — room on EC2 first',
      facts: pending('0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint(s).', {
        nodes: (ns) =>
          ns.map((n) =>
            n.name === 'node-a'
              ? {
                  ...n,
                  labels: { ...n.labels, 'eks.amazonaws.com/compute-type': 'fargate' },
                  taints: [{ key: 'eks.amazonaws.com/compute-type', value: 'fargate', effect: 'NoSchedule' }],
                }
              : n,
          ),
        more: (x) => {
          x.clusterPods = [...(x.clusterPods ?? []), busy('node-b', 6.5)];
        },
      }),
      codes: ['insufficient'],
      expect: message(
        /not enough free cpu .*; on the other nodes: EKS Fargate nodes node-a outside any Fargate profile$/,
      ),
    },
    {
      name: 'two Pending replicas for the same reason: one finding',
      facts: edit(healthyCluster(), (x) => {
        for (const p of x.runnerPods ?? []) {
          if (p.spec) {
            delete p.spec.nodeName;
            p.spec.nodeSelector = { pool: 'gpu' };
          }
          p.status = { phase: 'Pending' };
        }
        x.clusterPods = [];
        x.runnerEvents = [scheduler("0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.")];
      }),
      codes: ['selector'],
      expect: message(
        /^2 pods \(matillion\/matillion-runner-app-7d9f-aaaaa and matillion\/matillion-runner-app-7d9f-bbbbb\) cannot be scheduled/,
      ),
    },
  ],
});

// --- workload.rollout -----------------------------------------------------------------------------

const stuck = edit(healthyCluster(), (x) => {
  const d = x.runnerDeployments?.[0];
  if (d?.spec && d.status) {
    d.spec.progressDeadlineSeconds = 600;
    d.status = {
      replicas: 2,
      updatedReplicas: 0,
      availableReplicas: 0,
      conditions: [
        {
          type: 'Available',
          status: 'False',
          reason: 'MinimumReplicasUnavailable',
          message: 'Deployment does not have minimum availability.',
        },
        {
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: 'ReplicaSet "matillion-runner-app-5c65d7545c" has timed out progressing.',
        },
      ],
    };
  }
  x.runnerPods = [];
  x.runnerReplicaSets = [
    {
      metadata: {
        name: 'matillion-runner-app-5c65d7545c',
        namespace: NS,
        annotations: { 'deployment.kubernetes.io/revision': '2' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'matillion-runner-app', uid: 'd1' }],
      },
    },
  ];
  x.runnerEvents = [
    event('matillion-runner-app-5c65d7545c', {
      kind: 'ReplicaSet',
      reason: 'FailedCreate',
      message:
        'pods "matillion-runner-app-5c65d7545c-x" is forbidden: exceeded quota: runner-quota, requested: limits.memory=4Gi, used: limits.memory=8Gi, limited: limits.memory=8Gi',
    }),
  ];
});

const rolloutTable = table(rollout, {
  valid: [
    {
      name: 'rolled out',
      facts: healthyCluster(),
      codes: ['complete'],
      expect: message(
        /^Deployment matillion\/matillion-runner-app is rolled out: 2 of 2 pods on the current revision$/,
      ),
    },
    {
      name: 'a rollout in progress',
      facts: edit(healthyCluster(), (x) => {
        const s = x.runnerDeployments?.[0]?.status;
        if (s) s.updatedReplicas = 1;
      }),
      codes: ['rolling'],
    },
    {
      name: 'no Deployment',
      facts: edit(healthyCluster(), (x) => {
        x.runnerDeployments = [];
      }),
      codes: ['no-deployment'],
    },
  ],
  invalid: [
    {
      name: 'ProgressDeadlineExceeded, with the new ReplicaSet saying why',
      facts: stuck,
      codes: ['deadline-exceeded'],
      expect: both(
        message(
          /^the rollout of matillion\/matillion-runner-app has stopped progressing \(ProgressDeadlineExceeded after 600 s\): ReplicaSet "matillion-runner-app-5c65d7545c" has timed out progressing\. — 0 of 2 pods on the new revision, 0 available; ReplicaSet matillion-runner-app-5c65d7545c: pods .* exceeded quota: runner-quota/,
        ),
        remedy(/kubectl describe replicaset -n matillion matillion-runner-app-5c65d7545c$/),
      ),
    },
  ],
});

// --- workload.image-drift -------------------------------------------------------------------------

const images = (image: string, policy: string, ids: string[]) =>
  edit(
    everyRunnerContainer((c) => {
      c.image = image;
      c.imagePullPolicy = policy;
    }),
    (x) => {
      (x.runnerPods ?? []).forEach((p, i) => {
        runnerStatus(p).imageID = ids[i] ?? '';
      });
    },
  );
const CURRENT = 'public.ecr.aws/matillion/etl-agent:current';
const ID = (d: string) => `public.ecr.aws/matillion/etl-agent@sha256:${d.repeat(64 / d.length)}`;

const imageDriftTable = table(imageDrift, {
  valid: [
    {
      name: 'both replicas on the same digest, pull policy Always',
      facts: healthyCluster(),
      codes: ['same'],
    },
    {
      name: 'the same digest now, but current with IfNotPresent will drift',
      facts: images(CURRENT, 'IfNotPresent', [ID('a'), ID('a')]),
      codes: ['same-now'],
      expect: message(
        /run the same image now \(sha256:aaaaaaaaaaaa…\), but the rolling tag current with imagePullPolicy IfNotPresent/,
      ),
    },
    {
      name: 'no container started yet',
      facts: images(CURRENT, 'IfNotPresent', ['', '']),
      codes: ['no-image-ids'],
    },
  ],
  invalid: [
    {
      name: 'current with IfNotPresent: two replicas, two builds',
      facts: images(CURRENT, 'IfNotPresent', [ID('a'), ID('b')]),
      codes: ['drift'],
      expect: both(
        message(
          /^the 2 runner pods of public\.ecr\.aws\/matillion\/etl-agent:current run 2 different images \(sha256:aaaaaaaaaaaa… on matillion-runner-app-7d9f-aaaaa and sha256:bbbbbbbbbbbb… on matillion-runner-app-7d9f-bbbbb\): imagePullPolicy IfNotPresent keeps/,
        ),
        remedy(
          /^set dpcAgent\.dpcAgent\.imagePullPolicy: Always .* \| kubectl rollout restart deployment -n matillion/,
        ),
      ),
    },
    {
      name: 'Always, yet two builds: the tag moved between starts',
      facts: images(CURRENT, 'Always', [ID('a'), ID('c')]),
      codes: ['drift-always'],
      expect: remedy(/^pin a digest \(dpcAgent\.dpcAgent\.image\.digest\)/),
    },
  ],
});

// --- workload.grace-period ------------------------------------------------------------------------

const grace = (seconds: number) =>
  edit(healthyCluster(), (x) => {
    const s = x.runnerDeployments?.[0]?.spec?.template?.spec;
    if (s) s.terminationGracePeriodSeconds = seconds;
  });

const gracePeriodTable = table(gracePeriod, {
  valid: [
    {
      name: "the chart's 43200 s: said once, as info, with what it blocks and the value to lower",
      facts: healthyCluster(),
      codes: ['long'],
      expect: both(
        message(
          /^Deployment matillion\/matillion-runner-app: terminationGracePeriodSeconds 43200 \(12 h\) — a node drain, a rollout \(helm upgrade\) and every HPA scale-down wait up to 12 h/,
        ),
        remedy(/^lower dpcAgent\.dpcAgent\.gracePeriodSeconds/),
      ),
    },
    { name: '30 minutes', facts: grace(1800), codes: ['short'] },
    {
      name: 'no Deployment',
      facts: edit(healthyCluster(), (x) => {
        x.runnerDeployments = [];
      }),
      codes: ['no-deployment'],
    },
  ],
  invalid: [
    {
      name: 'the Kubernetes default 30 s kills running tasks',
      facts: grace(30),
      codes: ['too-short'],
      expect: message(/kills the tasks a runner pod is running after 30 s$/),
    },
  ],
});

export const tables = [schedulingTable, rolloutTable, imageDriftTable, gracePeriodTable];
