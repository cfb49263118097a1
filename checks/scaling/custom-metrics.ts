import { CUSTOM_METRICS_API, METRICS_PORT } from '../../src/domain/chart.ts';
import {
  type CustomMetricValues,
  METRICS_STARTUP_MS,
  TASK_METRIC,
  VENDOR_SCRAPE,
} from '../../src/domain/custom-metrics.ts';
import { listOf } from '../../src/domain/format.ts';
import type { NetworkPolicy, Pod } from '../../src/domain/kube.ts';
import { ingressVerdict, policiesFor } from '../../src/domain/netpol.ts';
import { isRunning, runnerContainer } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { ApiServiceFact } from '../../src/engine/facts.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const ADAPTER = 'a custom metrics adapter (prometheus-adapter, from the vendor’s prometheus chart)';

const messages = {
  answers: {
    status: 'pass',
    text: `the custom metrics API returns ${TASK_METRIC} for all {{total}} runner pod(s) in {{namespace}} ({{values}})`,
  },
  starting: {
    status: 'info',
    text: `no ${TASK_METRIC} yet for {{pods}} in {{namespace}}, started {{age}} ago: values appear after the first scrape and adapter refresh (1–2 minutes), the HPA shows <unknown> until then`,
  },
  'no-values': {
    status: 'warn',
    text: `the custom metrics API returns no ${TASK_METRIC} for any of the {{total}} runner pod(s) in {{namespace}} ({{pods}}), so the HPA cannot compute a replica count (<unknown>) — likely: {{causes}}`,
    fix: '{{fixes}}',
    command: `kubectl get --raw "/apis/custom.metrics.k8s.io/v1beta1/namespaces/{{namespace}}/pods/*/${TASK_METRIC}"`,
  },
  'some-missing': {
    status: 'warn',
    text: `the custom metrics API returns ${TASK_METRIC} for {{have}} of {{total}} runner pods in {{namespace}} but not for {{pods}}: the HPA counts those as idle when it scales up — likely: {{causes}}`,
    fix: '{{fixes}}',
    command: `kubectl get --raw "/apis/custom.metrics.k8s.io/v1beta1/namespaces/{{namespace}}/pods/*/${TASK_METRIC}"`,
  },
  'no-hpa': {
    status: 'info',
    text: `no HPA in the runner namespaces reads ${TASK_METRIC}: nothing here depends on the custom metrics API`,
  },
  'no-pods': { status: 'info', text: 'no Running runner pod to ask the custom metrics API about' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

export default defineCheck({
  id: 'scaling.custom-metrics',
  title: 'The custom metrics API answers for every runner pod',
  category: 'scaling',
  scope: 'cluster',
  docs: {
    what: `Asks the custom metrics API (${CUSTOM_METRICS_API}) for ${TASK_METRIC} of the runner pods exactly as the HPA controller does — through the API server's aggregation layer — and names the Running pods it has no value for, with the likely reason: no adapter behind the APIService, the vendor's Prometheus scraping only namespace ${VENDOR_SCRAPE.namespace} and pods labelled app=${VENDOR_SCRAPE.app}, or a NetworkPolicy blocking the scrape on ${METRICS_PORT}. Pods started less than ${METRICS_STARTUP_MS / 60_000} minutes ago are a note.`,
    why: 'An APIService can report Available while nothing answers for the runner: the HPA then shows <unknown> and never scales, or counts the pods it cannot see as idle.',
    fix: `Install a custom metrics adapter that serves ${TASK_METRIC} from the runner's /actuator/prometheus, make Prometheus scrape the runner's namespace and label, and allow the scrape on ${METRICS_PORT}.`,
  },
  needs: ['runnerPods', 'runnerHpas', 'customMetricsApi', 'customMetricsValues', 'networkPolicies', 'now'],
  requires: ['workload.runner-pods'],
  messages,
  judge({ runnerPods, runnerHpas, customMetricsApi, customMetricsValues, networkPolicies, now }, ctx) {
    const reads = runnerHpas.some((h) => (h.spec?.metrics ?? []).some((m) => m.pods?.metric.name === TASK_METRIC));
    if (!reads) return ctx.report('no-hpa');
    const running = runnerPods.filter(isRunning);
    if (running.length === 0) return ctx.report('no-pods');
    const namespaces = [...new Set(running.map((p) => p.metadata?.namespace ?? 'default'))].sort();
    const seen = { api: customMetricsApi, policies: networkPolicies, now };
    return namespaces.map((ns) =>
      judgeNamespace(
        ns,
        running.filter((p) => (p.metadata?.namespace ?? 'default') === ns),
        customMetricsValues.find((v) => v.namespace === ns),
        seen,
        ctx,
      ),
    );
  },
});

interface Seen {
  api: ApiServiceFact;
  policies: readonly NetworkPolicy[];
  now: number;
}
interface Cause {
  text: string;
  fix: string;
}

const ageMs = (p: Pod, now: number): number => {
  const t = Date.parse(String(p.status?.startTime ?? p.metadata?.creationTimestamp ?? ''));
  return Number.isFinite(t) ? now - t : Number.POSITIVE_INFINITY;
};
const fmtAge = (ms: number) =>
  ms < 90_000 ? `${Math.max(0, Math.round(ms / 1000))} s` : `${Math.round(ms / 60_000)} min`;

function judgeNamespace(
  namespace: string,
  pods: Pod[],
  answer: CustomMetricValues | undefined,
  seen: Seen,
  { report }: JudgeContext<Id>,
): Finding<Id> {
  const values = answer?.values ?? {};
  const name = (p: Pod) => p.metadata?.name ?? '?';
  const missing = pods.filter((p) => values[name(p)] === undefined);
  const target = `namespace/${namespace}`;
  const details = { values, missing: missing.map(name), error: answer?.error ?? null };
  if (missing.length === 0)
    return report(
      'answers',
      {
        namespace,
        total: pods.length,
        values: listOf(
          pods.map((p) => `${name(p)} ${values[name(p)]}`),
          5,
        ),
      },
      { target, details },
    );
  const oldest = Math.max(...missing.map((p) => ageMs(p, seen.now)));
  if (oldest < METRICS_STARTUP_MS)
    return report(
      'starting',
      { namespace, pods: listOf(missing.map(name), 5), age: fmtAge(oldest) },
      { target, details },
    );
  const causes =
    missing.length === pods.length ? wholeNamespace(namespace, pods, answer, seen) : somePods(missing, seen);
  const vars = {
    namespace,
    total: pods.length,
    have: pods.length - missing.length,
    pods: listOf(missing.map(name), 5),
    causes: causes.map((c) => c.text).join('; '),
    fixes: [...new Set(causes.map((c) => c.fix))].join('; '),
  };
  return report(missing.length === pods.length ? 'no-values' : 'some-missing', vars, {
    target,
    details: { ...details, causes },
  });
}

/** Why the API has nothing for any runner pod of a namespace, most likely first. */
function wholeNamespace(namespace: string, pods: Pod[], answer: CustomMetricValues | undefined, seen: Seen): Cause[] {
  const { api } = seen;
  if (!api.registered)
    return [
      {
        text: `the APIService ${CUSTOM_METRICS_API} does not exist: no adapter is installed`,
        fix: `install ${ADAPTER}`,
      },
    ];
  if (!api.available)
    return [
      {
        text: `no adapter answers behind the APIService ${CUSTOM_METRICS_API} (${[api.reason, api.message].filter(Boolean).join(': ') || 'not Available'})`,
        fix: `start the adapter the APIService points at, or reinstall ${ADAPTER}: \`kubectl get apiservice ${CUSTOM_METRICS_API} -o yaml\` names its Service`,
      },
    ];
  if (api.reason === 'Local')
    return [
      {
        text: `the APIService ${CUSTOM_METRICS_API} points at no Service (the API server serves it "locally" and has no custom metrics): no adapter behind it`,
        fix: `install ${ADAPTER}, which registers the APIService with its own Service`,
      },
    ];
  const out: Cause[] = [];
  const status = answer?.error?.status;
  if (status !== undefined && status >= 500)
    return [
      {
        text: `the aggregation layer reaches no adapter (${answer?.error?.message ?? status})`,
        fix: `check the adapter's pods and its Service's endpoints (kubectl get apiservice ${CUSTOM_METRICS_API})`,
      },
    ];
  const p = pods[0];
  const app = p?.metadata?.labels?.app;
  if (namespace !== VENDOR_SCRAPE.namespace)
    out.push({
      text: `the vendor's Prometheus scrapes only namespace ${VENDOR_SCRAPE.namespace}, and this runner runs in ${namespace}`,
      fix: `add namespace ${namespace} to the Prometheus scrape job of the runner pods (or install the runner in ${VENDOR_SCRAPE.namespace})`,
    });
  if (app !== VENDOR_SCRAPE.app)
    out.push({
      text: `the vendor's Prometheus keeps only pods labelled app=${VENDOR_SCRAPE.app}, and these are app=${app ?? '(none)'} (another release name)`,
      fix: `widen the scrape job's relabelling to app=${app ?? '<label>'}, or install the release as matillion-runner (the chart derives the label from it)`,
    });
  const scrape = p ? scrapeVerdict(p, seen.policies) : undefined;
  if (scrape) out.push(scrape);
  if (out.length === 0)
    out.push({
      text: `the adapter has no ${TASK_METRIC} series for these pods (${answer?.error?.message ?? 'an empty list'})`,
      fix: `check the adapter's rules (a seriesQuery for ${TASK_METRIC}) and that Prometheus scrapes the pods' /actuator/prometheus on ${METRICS_PORT} (see workload.metrics)`,
    });
  return out;
}

/** Why some pods of a namespace have values and others not: the adapter and Prometheus work for the rest. */
function somePods(missing: Pod[], seen: Seen): Cause[] {
  const scrape = missing[0] ? scrapeVerdict(missing[0], seen.policies) : undefined;
  return [
    ...(scrape ? [scrape] : []),
    {
      text: 'Prometheus has not scraped them (not Ready, their /actuator/prometheus failing, or a scrape target list that misses them)',
      fix: `check those pods' readiness and metrics endpoint (workload.metrics, workload.pod-health) and the Prometheus targets page for them`,
    },
  ];
}

/** A NetworkPolicy that keeps Prometheus from the metrics port, when one does. */
function scrapeVerdict(p: Pod, policies: readonly NetworkPolicy[]): Cause | undefined {
  const selecting = policiesFor(p, policies);
  const names = (runnerContainer(p)?.ports ?? []).flatMap((x) =>
    x.containerPort === METRICS_PORT && x.name ? [x.name] : [],
  );
  const v = ingressVerdict(selecting, METRICS_PORT, names);
  const list = selecting.map((x) => x.metadata?.name ?? '?').join(', ');
  if (v.allowed === 'none')
    return {
      text: `the NetworkPolicies ${list} admit no ingress on ${METRICS_PORT}: where they are enforced, Prometheus cannot scrape the pods`,
      fix: `allow ingress on ${METRICS_PORT} from the namespace Prometheus runs in (see network.metrics-scrape)`,
    };
  if (v.allowed === 'cluster')
    return {
      text: `${listOf(v.by)} admit${v.by.length === 1 ? 's' : ''} ${METRICS_PORT} only from selected namespaces or pods, which may not include Prometheus (where policies are enforced)`,
      fix: `make sure the namespace Prometheus runs in matches that rule (see network.metrics-scrape)`,
    };
  return undefined;
}
