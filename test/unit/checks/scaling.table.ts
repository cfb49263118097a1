import headroom from '../../../checks/scaling/headroom.ts';
import hpa from '../../../checks/scaling/hpa.ts';
import type { Hpa } from '../../../src/domain/kube.ts';
import type { FactMap } from '../../../src/engine/facts.ts';
import type { CheckResult } from '../../../src/engine/types.ts';
import { table } from '../../helpers/check-table.ts';
import { everyRunnerContainer, everyRunnerPod } from './fixtures-cluster.ts';
import { edit, healthyCluster, node, runnerHpa } from './fixtures.ts';

const message = (re: RegExp) => (rs: CheckResult[]) => {
  if (!re.test(rs[0]?.message ?? '')) throw new Error(rs[0]?.message);
};
const remedy = (re: RegExp) => (rs: CheckResult[]) => {
  const r = rs[0]?.remediation;
  if (!re.test(`${r?.text ?? ''} | ${r?.command ?? ''}`)) throw new Error(JSON.stringify(r));
};
const all =
  (...fs: ((rs: CheckResult[]) => void)[]) =>
  (rs: CheckResult[]) => {
    for (const f of fs) f(rs);
  };

// --- scaling.hpa ----------------------------------------------------------------------------------

const withHpa = (h: Hpa, f: (x: Partial<FactMap>) => void = () => {}) =>
  edit(healthyCluster(), (x) => {
    x.runnerHpas = [h];
    f(x);
  });
const conditionFalse = (type: string, reason: string, message: string) =>
  edit(runnerHpa(), (h) => {
    if (h.status) h.status.conditions = [{ type, status: 'False', reason, message, lastTransitionTime: new Date(0) }];
  });

const hpaTable = table(hpa, {
  valid: [
    {
      name: "the chart's HPA with a working custom metrics API",
      facts: healthyCluster(),
      codes: ['scales'],
      expect: message(/^HPA matillion\/matillion-runner-hpa scales 2–10 pods \(40–200 concurrent tasks\)$/),
    },
    {
      name: 'a target outside 15–17 is a note',
      facts: withHpa(runnerHpa({ target: '10' })),
      codes: ['target-off'],
      expect: message(
        /\(40–200 tasks\); app_active_task_count target 10 \(15–17 recommended\); app_active_request_count target 10/,
      ),
    },
    {
      name: 'an HPA on CPU needs no custom metrics API',
      facts: withHpa(
        edit(runnerHpa(), (h) => {
          if (h.spec)
            h.spec.metrics = [
              { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } },
            ];
        }),
        (x) => {
          x.customMetricsApi = { name: 'v1beta1.custom.metrics.k8s.io', registered: false, available: false };
        },
      ),
      codes: ['scales'],
    },
    {
      name: 'no runner Deployment',
      facts: edit(healthyCluster(), (f) => {
        f.runnerDeployments = [];
      }),
      codes: ['no-deployment'],
    },
  ],
  invalid: [
    {
      name: 'target 25: pods are full before the HPA scales',
      facts: withHpa(
        edit(runnerHpa(), (h) => {
          const t = h.spec?.metrics?.[0]?.pods?.target;
          if (t) t.averageValue = '25';
        }),
      ),
      codes: ['target-too-high'],
      expect: all(
        message(
          /^HPA matillion\/matillion-runner-hpa: app_active_task_count target 25 > 20: pods are full before the HPA scales$/,
        ),
        remedy(/targets to 15–17/),
      ),
    },
    {
      name: 'the custom metrics API is not registered',
      facts: edit(healthyCluster(), (f) => {
        f.customMetricsApi = { name: 'v1beta1.custom.metrics.k8s.io', registered: false, available: false };
      }),
      codes: ['custom-metrics-missing'],
      expect: (rs) => {
        if (
          rs[0]?.message !==
          'HPA matillion/matillion-runner-hpa cannot scale: the custom metrics API v1beta1.custom.metrics.k8s.io is not registered'
        )
          throw new Error(rs[0]?.message);
        remedy(/prometheus-adapter.* \| kubectl get apiservice v1beta1\.custom\.metrics\.k8s\.io$/)(rs);
      },
    },
    {
      name: 'the custom metrics API is registered but not Available',
      facts: edit(healthyCluster(), (f) => {
        f.customMetricsApi = {
          name: 'v1beta1.custom.metrics.k8s.io',
          registered: true,
          available: false,
          reason: 'FailedDiscoveryCheck',
          message: 'failing or missing response from https://10.96.0.5:443',
        };
      }),
      codes: ['custom-metrics-unavailable'],
      expect: message(
        /is not Available \(FailedDiscoveryCheck: failing or missing response from https:\/\/10\.96\.0\.5:443\)$/,
      ),
    },
    {
      name: 'not Available without a condition',
      facts: edit(healthyCluster(), (f) => {
        f.customMetricsApi = { name: 'v1beta1.custom.metrics.k8s.io', registered: true, available: false };
      }),
      codes: ['custom-metrics-unavailable'],
      expect: message(/is not Available \(no reason given\)$/),
    },
    {
      name: 'no HPA: a fixed number of pods',
      facts: edit(healthyCluster(), (f) => {
        f.runnerHpas = [];
      }),
      codes: ['no-hpa'],
      expect: message(
        /^no HPA scales matillion\/matillion-runner-app: it stays at 2 replicas \(40 concurrent tasks\) whatever the load$/,
      ),
    },
    {
      name: 'minReplicas 1 and maxReplicas below it',
      facts: withHpa(
        edit(runnerHpa({ min: 1 }), (h) => {
          if (h.spec) h.spec.maxReplicas = 0;
        }),
      ),
      codes: ['misconfigured'],
      expect: message(/: minReplicas 1 < 2 \(no redundancy\); maxReplicas 0 < minReplicas 1$/),
    },
    {
      name: 'the HPA cannot read the runner metrics',
      facts: withHpa(
        conditionFalse(
          'ScalingActive',
          'FailedGetPodsMetric',
          'the HPA was unable to compute the replica count: unable to get metric app_active_task_count',
        ),
      ),
      codes: ['metrics-unreadable'],
      expect: all(
        message(/ScalingActive is False \(FailedGetPodsMetric: the HPA was unable/),
        remedy(/metrics adapter's rules/),
      ),
    },
    {
      name: 'AbleToScale False for another reason',
      facts: withHpa(conditionFalse('AbleToScale', 'FailedGetScale', 'deployments/scale forbidden')),
      codes: ['misconfigured'],
    },
  ],
});

// --- scaling.headroom -----------------------------------------------------------------------------

/** The integration fault: 4 CPU / 16 GiB pods pinned to zone-a, maxReplicas 200. */
const pinnedLarge = (f: (x: Partial<FactMap>) => void = () => {}) =>
  edit(
    everyRunnerPod((spec) => {
      spec.nodeSelector = { 'topology.kubernetes.io/zone': 'zone-a' };
      for (const c of spec.containers)
        c.resources = { requests: { cpu: '4', memory: '16Gi' }, limits: { cpu: '8', memory: '16Gi' } };
    }),
    (x) => {
      x.runnerHpas = [runnerHpa({ max: 200 })];
      f(x);
    },
  );
const SHORTFALL =
  /^only 1 more runner pods \(4 CPU \/ 16\.0 GiB each\) fit on the current nodes but maxReplicas 200 needs 198 more: capacity stops at 60 of 4000 tasks \(node-b: nodeSelector topology\.kubernetes\.io\/zone=zone-a does not match\)/;
const relabel = (labels: Record<string, string>) => (x: Partial<FactMap>) => {
  x.nodes = (x.nodes ?? []).map((n) => ({ ...n, labels: { ...n.labels, ...labels } }));
};

const headroomTable = table(headroom, {
  valid: [
    {
      name: 'room for maxReplicas on the two nodes',
      facts: healthyCluster(),
      codes: ['fits'],
      expect: message(
        /^14 more runner pods \(1 CPU \/ 4\.0 GiB \/ 50\.0 GiB disk each\) fit on the nodes; maxReplicas 10 needs 8 more — task capacity 40 now, 200 at maxReplicas 10$/,
      ),
    },
    {
      name: 'a shortfall Karpenter can fill',
      facts: pinnedLarge((x) => {
        x.clusterPods = [
          ...(x.clusterPods ?? []),
          {
            namespace: 'kube-system',
            name: 'karpenter-7d9f',
            nodeName: 'node-b',
            phase: 'Running',
            requests: { cpu: 0.5, memory: 1024 ** 3, ephemeral: 0 },
            app: 'karpenter',
          },
        ];
      }),
      codes: ['no-room-autoscaler'],
      expect: all(
        message(/karpenter \(pod kube-system\/karpenter-7d9f\) can add nodes$/),
        remedy(/the karpenter node groups\/pools allow 197 more nodes .* ≥ 4 CPU \/ 16\.0 GiB allocatable/),
      ),
    },
    {
      name: 'no runner Deployment',
      facts: edit(healthyCluster(), (f) => {
        f.runnerDeployments = [];
      }),
      codes: ['no-deployment'],
    },
  ],
  invalid: [
    {
      name: 'maxReplicas that do not fit, nodeSelector on one zone, no autoscaler',
      facts: pinnedLarge(),
      codes: ['no-room'],
      expect: (rs) => {
        message(SHORTFALL)(rs);
        message(/, and no cluster autoscaler or Karpenter was found$/)(rs);
        remedy(/lower the HPA's maxReplicas to 3/)(rs);
        const nodes = rs[0]?.details?.nodes;
        if (
          !JSON.stringify(nodes).includes(
            '"node":"node-b","fits":0,"reason":"nodeSelector topology.kubernetes.io/zone=zone-a does not match"',
          )
        )
          throw new Error(JSON.stringify(nodes));
      },
    },
    {
      name: 'AKS: the autoscaler is outside the cluster',
      facts: pinnedLarge(relabel({ 'kubernetes.azure.com/agentpool': 'runners' })),
      codes: ['no-room-aks'],
      expect: all(message(SHORTFALL), remedy(/room for 197 more nodes \| az aks nodepool list/)),
    },
    {
      name: 'GKE: the autoscaler is outside the cluster',
      facts: pinnedLarge(relabel({ 'cloud.google.com/gke-nodepool': 'default-pool' })),
      codes: ['no-room-gke'],
      expect: remedy(/gcloud container node-pools list/),
    },
    {
      name: 'many full nodes: the reasons are cut after four',
      facts: pinnedLarge((x) => {
        x.nodes = [
          ...(x.nodes ?? []),
          ...['c', 'd', 'e', 'f', 'g'].map((n) => node(`node-${n}`, { unschedulable: true })),
        ];
      }),
      codes: ['no-room'],
      expect: message(
        /\(node-b: nodeSelector .*; node-c: cordoned \(unschedulable\); node-d: cordoned \(unschedulable\); node-e: cordoned \(unschedulable\); …\), and no/,
      ),
    },
    {
      name: 'no requests: headroom cannot be judged',
      facts: everyRunnerContainer((c) => {
        c.resources = {};
      }),
      codes: ['no-requests'],
      expect: message(/\(task capacity 40 now, 200 at maxReplicas 10\)$/),
    },
  ],
});

export const tables = [hpaTable, headroomTable];
