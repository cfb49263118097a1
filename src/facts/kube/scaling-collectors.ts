// What the runner's HPA actually gets from the custom metrics API: app_active_task_count for the runner
// pods of each runner namespace, read the way the HPA controller reads it — through the API server's
// aggregation layer (`/apis/custom.metrics.k8s.io/v1beta1/namespaces/<ns>/pods/*/<metric>` with the
// runner's selector), so an APIService that reports Available while no adapter answers is caught too.
// An API that answers "no such metric" or "service unavailable" is data; denied or unreachable is not.
import { CUSTOM_METRICS_API } from '../../domain/chart.ts';
import {
  CUSTOM_METRICS_GROUP,
  type CustomMetricValues,
  type MetricValueList,
  podsMetricPath,
  TASK_METRIC,
  valuesByPod,
} from '../../domain/custom-metrics.ts';
import { FactError } from '../../engine/facts.ts';
import { collector, nsRule } from '../collector.ts';
import { isConnectionFailure } from './client.ts';
import { kube, runnerNamespaces, withRule } from './collectors.ts';

/** RBAC names a custom metric as a subresource of the object kind: `pods/<metric>`, verb get (also for `*`). */
const TASK_METRIC_RULE = nsRule(CUSTOM_METRICS_GROUP, `pods/${TASK_METRIC}`, ['get']);

export const customMetricsValues = collector({
  name: 'customMetricsValues',
  scope: 'run',
  describe: `${TASK_METRIC} of the runner pods from the custom metrics API (${CUSTOM_METRICS_API}), read through the aggregation layer as the HPA reads it`,
  rbac: [TASK_METRIC_RULE],
  // Asked after the APIService itself (one request fewer when the API server is unreachable); asked even
  // when the APIService is missing or local: what the HPA gets then is data too.
  uses: ['customMetricsApi'],
  usesWithoutNamespace: ['runnerPods'],
  async collect(ctx) {
    const { client, scope } = kube(ctx);
    await ctx.get('customMetricsApi');
    return Promise.all(
      (await runnerNamespaces(ctx)).map(async (namespace): Promise<CustomMetricValues> => {
        const base = { namespace, metric: TASK_METRIC };
        try {
          const list = await withRule(TASK_METRIC_RULE, namespace, () =>
            client.request<MetricValueList>(podsMetricPath(namespace, TASK_METRIC), {
              query: { labelSelector: scope.selector },
              timeoutMs: 10_000,
            }),
          );
          return { ...base, values: valuesByPod(list, namespace, TASK_METRIC) };
        } catch (e) {
          // Denied, past the deadline or no API server at all: the fact itself cannot be had.
          const fatal =
            e instanceof FactError && (e.kind === 'forbidden' || e.kind === 'deadline' || isConnectionFailure(e));
          if (fatal || !(e instanceof FactError)) throw e;
          const message = e.message.replace(/^API server answered \d+ to GET \S+: /, '');
          return { ...base, values: {}, error: { ...(e.status ? { status: e.status } : {}), message } };
        }
      }),
    );
  },
});

export const SCALING_COLLECTORS = [customMetricsValues] as const;
