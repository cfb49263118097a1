// scaling.hpa's new cases (min = max, placeholders, at maxReplicas, conditions by reason) and
// scaling.custom-metrics: which runner pods the custom metrics API has no value for, and why.
import customMetrics from '../../../checks/scaling/custom-metrics.ts';
import hpa from '../../../checks/scaling/hpa.ts';
import type { Hpa } from '../../../src/domain/kube.ts';
import type { FactMap } from '../../../src/engine/facts.ts';
import type { CheckResult } from '../../../src/engine/types.ts';
import { table } from '../../helpers/check-table.ts';
import { diagnosedCluster, metricValues, startedAgo } from './fixtures-diagnosis.ts';
import { edit, healthyCluster, runnerHpa } from './fixtures.ts';

const message = (re: RegExp) => (rs: CheckResult[]) => {
  if (!re.test(rs[0]?.message ?? '')) throw new Error(rs[0]?.message);
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
const without = (re: RegExp) => (rs: CheckResult[]) => {
  if (re.test(`${rs[0]?.message} ${rs[0]?.remediation?.text}`))
    throw new Error(`${rs[0]?.message} | ${rs[0]?.remediation?.text}`);
};

// --- scaling.hpa ----------------------------------------------------------------------------------

const withHpa = (h: Hpa) =>
  edit(healthyCluster(), (x) => {
    x.runnerHpas = [h];
  });
/** The HPA as the API would hold it had a placeholder got through (the spec as JSON, a field replaced). */
const hpaJson = (find: string, replace: string): Hpa => JSON.parse(JSON.stringify(runnerHpa()).replace(find, replace));
const atMax = edit(runnerHpa({ max: 4 }), (h) => {
  h.status = {
    currentReplicas: 4,
    desiredReplicas: 4,
    currentMetrics: [
      { type: 'Pods', pods: { metric: { name: 'app_active_task_count' }, current: { averageValue: '19500m' } } },
    ],
    conditions: [
      { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' },
      { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound' },
      {
        type: 'ScalingLimited',
        status: 'True',
        reason: 'TooManyReplicas',
        message: 'the desired replica count is more than the maximum replica count',
      },
    ],
  };
});

const hpaTable = table(hpa, {
  valid: [
    {
      name: 'ScalingLimited with TooFewReplicas at minReplicas is an idle runner, not an alarm',
      facts: healthyCluster(),
      codes: ['scales'],
      expect: (rs) => {
        const conds = healthyCluster().runnerHpas?.[0]?.status?.conditions ?? [];
        if (!conds.some((c) => c.type === 'ScalingLimited' && c.reason === 'TooFewReplicas'))
          throw new Error('fixture');
        message(/scales 2–10 pods/)(rs);
      },
    },
    {
      name: 'a target outside 15–17 names the Helm value to change',
      facts: withHpa(runnerHpa({ target: '12' })),
      codes: ['target-off'],
      expect: remedy(/^set hpa\.metrics\.target\.averageValue to 15–17/),
    },
  ],
  invalid: [
    {
      name: 'min = max: it never scales',
      facts: withHpa(runnerHpa({ min: 2, max: 2 })),
      codes: ['fixed-size'],
      expect: both(
        message(
          /^HPA matillion\/matillion-runner-hpa has minReplicas = maxReplicas = 2: it never scales — 40 concurrent tasks at most/,
        ),
        remedy(/^set hpa\.maxReplicas above hpa\.minReplicas/),
      ),
    },
    {
      name: 'maxReplicas left as the <MaxReplicas> placeholder',
      facts: withHpa(hpaJson('"maxReplicas":10', '"maxReplicas":"<MaxReplicas>"')),
      codes: ['placeholder'],
      expect: both(
        message(/: maxReplicas is still the unfilled chart placeholder \(<MaxReplicas>\)/),
        remedy(/^set hpa\.maxReplicas to a number/),
      ),
    },
    {
      name: 'the target left as a placeholder',
      facts: withHpa(hpaJson('"averageValue":"16"', '"averageValue":"<TargetValue>"')),
      codes: ['placeholder'],
      expect: both(
        message(/the app_active_task_count target is still/),
        remedy(/^set hpa\.metrics\.target\.averageValue/),
      ),
    },
    {
      name: 'at maxReplicas now, TooManyReplicas: tasks queue',
      facts: withHpa(atMax),
      codes: ['at-max'],
      expect: both(
        message(
          /^HPA matillion\/matillion-runner-hpa is at maxReplicas 4 now \(app_active_task_count averages 19\.5 per pod against a target of 16\): the runner holds at most 80 concurrent tasks and further tasks queue/,
        ),
        remedy(/^raise hpa\.maxReplicas/),
      ),
    },
    {
      name: 'ScalingActive False for ScalingDisabled: the Deployment is at 0',
      facts: withHpa(
        edit(runnerHpa(), (h) => {
          if (h.status)
            h.status.conditions = [
              {
                type: 'ScalingActive',
                status: 'False',
                reason: 'ScalingDisabled',
                message: 'scaling is disabled since the replica count of the target is zero',
              },
            ];
        }),
      ),
      codes: ['scaling-disabled'],
      expect: both(
        message(/does not scale: ScalingActive is False \(ScalingDisabled/),
        remedy(/kubectl describe hpa -n matillion matillion-runner-hpa/),
      ),
    },
    {
      name: 'minReplicas 1: the fix names hpa.minReplicas only',
      facts: withHpa(runnerHpa({ min: 1 })),
      codes: ['misconfigured'],
      expect: both(remedy(/^set hpa\.minReplicas to 2 or more/), without(/averageValue|maxReplicas/)),
    },
  ],
});

// --- scaling.custom-metrics -----------------------------------------------------------------------

const API = 'v1beta1.custom.metrics.k8s.io';
const noValues = (f: (x: Partial<FactMap>) => void = () => {}, error?: { status?: number; message: string }) =>
  diagnosedCluster((x) => {
    x.customMetricsValues = [{ ...metricValues({}), ...(error ? { error } : {}) }];
    f(x);
  });

const customMetricsTable = table(customMetrics, {
  valid: [
    {
      name: 'a value for every runner pod',
      facts: diagnosedCluster(),
      codes: ['answers'],
      expect: message(
        /^the custom metrics API returns app_active_task_count for all 2 runner pod\(s\) in matillion \(matillion-runner-app-7d9f-aaaaa 3 and matillion-runner-app-7d9f-bbbbb 4\)$/,
      ),
    },
    {
      name: 'no values yet a minute after install: a note',
      facts: noValues(startedAgo(60_000)),
      codes: ['starting'],
      expect: message(/started 60 s ago: values appear after the first scrape/),
    },
    {
      name: 'no HPA reads the metric',
      facts: diagnosedCluster((x) => {
        x.runnerHpas = [];
      }),
      codes: ['no-hpa'],
    },
    {
      name: 'no Running runner pod',
      facts: diagnosedCluster((x) => {
        for (const p of x.runnerPods ?? []) if (p.status) p.status.phase = 'Pending';
      }),
      codes: ['no-pods'],
    },
  ],
  invalid: [
    {
      name: 'the APIService is served locally: no adapter behind it',
      facts: noValues(
        (x) => {
          x.customMetricsApi = {
            name: API,
            registered: true,
            available: true,
            reason: 'Local',
            message: 'Local APIServices are always available',
          };
        },
        {
          status: 404,
          message:
            'not found: GET /apis/custom.metrics.k8s.io/v1beta1/namespaces/matillion/pods/*/app_active_task_count',
        },
      ),
      codes: ['no-values'],
      expect: both(
        message(
          /^the custom metrics API returns no app_active_task_count for any of the 2 runner pod\(s\) in matillion \(matillion-runner-app-7d9f-aaaaa and matillion-runner-app-7d9f-bbbbb\), so the HPA cannot compute a replica count \(<unknown>\) — likely: the APIService v1beta1\.custom\.metrics\.k8s\.io points at no Service/,
        ),
        remedy(
          /^install a custom metrics adapter .* \| kubectl get --raw "\/apis\/custom\.metrics\.k8s\.io\/v1beta1\/namespaces\/matillion\/pods\/\*\/app_active_task_count"$/,
        ),
      ),
    },
    {
      name: 'no APIService at all',
      facts: noValues((x) => {
        x.customMetricsApi = { name: API, registered: false, available: false };
      }),
      codes: ['no-values'],
      expect: message(
        /likely: the APIService v1beta1\.custom\.metrics\.k8s\.io does not exist: no adapter is installed$/,
      ),
    },
    {
      name: 'the APIService has no endpoints behind it',
      facts: noValues((x) => {
        x.customMetricsApi = {
          name: API,
          registered: true,
          available: false,
          reason: 'MissingEndpoints',
          message: 'endpoints for service/prometheus-adapter in "prometheus" have no addresses',
        };
      }),
      codes: ['no-values'],
      expect: message(
        /likely: no adapter answers behind the APIService .*\(MissingEndpoints: endpoints for service\/prometheus-adapter/,
      ),
    },
    {
      name: 'the aggregation layer cannot reach the adapter (503)',
      facts: noValues(() => {}, { status: 503, message: 'service unavailable' }),
      codes: ['no-values'],
      expect: message(/likely: the aggregation layer reaches no adapter \(service unavailable\)$/),
    },
    {
      name: "another namespace and release: outside the vendor Prometheus's scrape",
      facts: diagnosedCluster((x) => {
        for (const p of x.runnerPods ?? [])
          if (p.metadata) {
            p.metadata.namespace = 'analytics';
            p.metadata.labels = { ...p.metadata.labels, app: 'acme-matillion-runner-pods' };
          }
        x.networkPolicies = [];
        x.customMetricsValues = [{ ...metricValues({}, 'analytics'), error: { status: 404, message: 'not found' } }];
      }),
      codes: ['no-values'],
      expect: both(
        message(
          /likely: the vendor's Prometheus scrapes only namespace matillion, and this runner runs in analytics; the vendor's Prometheus keeps only pods labelled app=matillion-runner-pods, and these are app=acme-matillion-runner-pods/,
        ),
        remedy(/^add namespace analytics to the Prometheus scrape job/),
        (rs) => {
          if (rs[0]?.target !== 'namespace/analytics') throw new Error(rs[0]?.target);
        },
      ),
    },
    {
      name: 'a NetworkPolicy admits no scrape on 8080',
      facts: noValues((x) => {
        const np = x.networkPolicies?.[0];
        if (np?.spec) np.spec.ingress = [];
      }),
      codes: ['no-values'],
      expect: message(
        /likely: the NetworkPolicies matillion-runner-netpol admit no ingress on 8080: where they are enforced, Prometheus cannot scrape/,
      ),
    },
    {
      name: 'one pod of two without a value',
      facts: diagnosedCluster((x) => {
        x.customMetricsValues = [metricValues({ 'matillion-runner-app-7d9f-aaaaa': 3 })];
      }),
      codes: ['some-missing'],
      expect: message(
        /returns app_active_task_count for 1 of 2 runner pods in matillion but not for matillion-runner-app-7d9f-bbbbb: the HPA counts those as idle/,
      ),
    },
  ],
});

export const tables = [hpaTable, customMetricsTable];
