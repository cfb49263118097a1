import { RUNNER_SIZES } from '../../src/domain/chart.ts';
import { fmtBytes, GiB } from '../../src/domain/format.ts';
import { heapSetting, JAVA_OPTION_VARS } from '../../src/domain/jvm.ts';
import type { Container, Deployment } from '../../src/domain/kube.ts';
import { parseQuantity } from '../../src/domain/quantity.ts';
import { cloudProviderOf, objName, runnerContainer } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const SIZE_FIX = "set the chart's runnerSize (small, medium, large, xlarge) or resources to one of its rows";
/** The smallest runner size (its memory request is the floor). */
const SMALLEST = RUNNER_SIZES[0];
/** A heap above this share of the limit leaves too little for metaspace, threads and Python. */
const HEAP_SHARE_MAX = 0.85;
const RAM_PERCENT_MAX = 85;

const messages = {
  'runner-size': { status: 'pass', text: 'runnerSize {{size}}: {{shown}}' },
  'limits-differ': {
    status: 'info',
    text: 'requests match runnerSize {{size}} but limits differ ({{shown}}; the chart sets {{cpu}} CPU/{{memory}})',
  },
  'custom-size': { status: 'info', text: "custom size, not one of the chart's runner sizes: {{shown}}" },
  'no-memory-limit': {
    status: 'fail',
    text: "no memory limit ({{shown}}): the JVM sizes its heap from the node's memory and the runner can take the node down or be OOM-killed",
    fix: SIZE_FIX,
  },
  'no-request': {
    status: 'warn',
    text: 'no {{resource}} request ({{shown}}): the scheduler cannot reserve room for the runner',
    fix: SIZE_FIX,
  },
  'no-cpu-limit': { status: 'info', text: 'no CPU limit ({{shown}}): the chart sets one (twice the request)' },
  'request-below-limit': {
    status: 'warn',
    text: 'memory request {{request}} < limit {{limit}}: under node memory pressure the runner is evicted first',
    fix: 'set the memory request equal to the limit (the chart does)',
  },
  'below-smallest': {
    status: 'warn',
    text: `memory request {{request}} is below the smallest runner size (${SMALLEST.name}: ${SMALLEST.req.memory / GiB} GiB)`,
    fix: SIZE_FIX,
  },
  'xmx-over-limit': {
    status: 'fail',
    text: 'JVM -Xmx {{xmx}} ≥ memory limit {{limit}}: the runner is OOM-killed before the heap is full',
    fix: 'remove -Xmx and use -XX:MaxRAMPercentage=75, or raise the memory limit',
  },
  'xmx-high': {
    status: 'warn',
    text: 'JVM -Xmx {{xmx}} is {{percent}} % of the memory limit: too little left for metaspace, threads and Python',
    fix: 'keep the heap ≤ 75 % of the limit (-XX:MaxRAMPercentage=75)',
  },
  'ram-percent-high': {
    status: 'warn',
    text: '-XX:MaxRAMPercentage={{percent}}: too little memory left outside the heap',
    fix: 'use -XX:MaxRAMPercentage=75 or less',
  },
  'no-ephemeral-request': {
    status: 'info',
    text: "no ephemeral-storage request: the chart's AWS values ask {{ephemeral}} for {{size}}; EKS Fargate gives 20 GiB by default",
  },
  'no-deployment': { status: 'info', text: 'no runner Deployment found' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

export default defineCheck({
  id: 'workload.resources',
  title: 'Runner requests and limits match a runner size; JVM heap fits the memory limit',
  category: 'workload',
  scope: 'cluster',
  docs: {
    what: "The runner container of each runner Deployment: CPU and memory requests and limits present, compared with the chart's runnerSize table (small 1/4Gi → 2/4Gi, medium 2/8Gi → 4/8Gi, large 4/16Gi → 8/16Gi, xlarge 8/32Gi → 16/32Gi), memory limit equal to the request, and a literal -Xmx or MaxRAMPercentage in the JVM options vs the memory limit. On AWS, the ephemeral-storage request.",
    why: 'Without a memory limit the JVM sizes its heap from the node; a heap at or above the limit is OOM-killed under load; a memory request below the limit lets the node evict the runner under pressure; below 4Gi the runner is smaller than the smallest supported size.',
    fix: "Set the chart's runnerSize (or resources) to one of the supported sizes and leave the heap to -XX:MaxRAMPercentage ≤ 75.",
  },
  needs: ['runnerDeployments'],
  requires: ['workload.runner-pods'],
  messages,
  judge({ runnerDeployments }, ctx) {
    const out = runnerDeployments.flatMap((d) => judgeDeployment(d, ctx));
    return out.length ? out : ctx.report('no-deployment');
  },
});

/** The heap settings in the container's literal JVM option variables, in env order (the last one wins). */
function jvmOptions(c: Container): string[] {
  return (c.env ?? []).flatMap((e) => (e.value && JAVA_OPTION_VARS.some((v) => v === e.name) ? [e.value] : []));
}

function judgeDeployment(d: Deployment, { report }: JudgeContext<Id>): Finding<Id>[] {
  const c = runnerContainer({ spec: d.spec?.template?.spec });
  if (!c) return [];
  const target = objName(d);
  const r = c.resources ?? {};
  const req = { cpu: parseQuantity(r.requests?.cpu), memory: parseQuantity(r.requests?.memory) };
  const lim = { cpu: parseQuantity(r.limits?.cpu), memory: parseQuantity(r.limits?.memory) };
  const size = RUNNER_SIZES.find((s) => s.req.cpu === req.cpu && s.req.memory === req.memory);
  const shown = `requests ${r.requests?.cpu ?? '-'} CPU/${r.requests?.memory ?? '-'}, limits ${r.limits?.cpu ?? '-'} CPU/${r.limits?.memory ?? '-'}`;
  const details = {
    container: c.name,
    requests: r.requests ?? {},
    limits: r.limits ?? {},
    runnerSize: size?.name ?? null,
  };
  const extra = { target, details };

  const problems: Finding<Id>[] = [];
  if (!r.limits?.memory) problems.push(report('no-memory-limit', { shown }, extra));
  if (!r.requests?.memory || !r.requests?.cpu)
    problems.push(report('no-request', { resource: r.requests?.memory ? 'CPU' : 'memory', shown }, extra));
  if (!r.limits?.cpu) problems.push(report('no-cpu-limit', { shown }, extra));
  if (req.memory && lim.memory && req.memory < lim.memory)
    problems.push(report('request-below-limit', { request: fmtBytes(req.memory), limit: fmtBytes(lim.memory) }, extra));
  if (req.memory && req.memory < SMALLEST.req.memory)
    problems.push(report('below-smallest', { request: fmtBytes(req.memory) }, extra));

  // JVM heap vs the limit, from literal option env values (the in-pod resources.jvm-heap reads the live process).
  const heap = heapSetting(jvmOptions(c));
  if (lim.memory && heap.xmx !== undefined) {
    const heapDetails = { target, details: { ...details, xmxBytes: heap.xmx } };
    if (heap.xmx >= lim.memory)
      problems.push(report('xmx-over-limit', { xmx: fmtBytes(heap.xmx), limit: fmtBytes(lim.memory) }, heapDetails));
    else if (heap.xmx > HEAP_SHARE_MAX * lim.memory)
      problems.push(
        report(
          'xmx-high',
          { xmx: fmtBytes(heap.xmx), percent: Math.round((heap.xmx / lim.memory) * 100) },
          heapDetails,
        ),
      );
  }
  if (heap.ramPercent !== undefined && heap.ramPercent > RAM_PERCENT_MAX)
    problems.push(report('ram-percent-high', { percent: heap.ramPercent }, extra));
  if (cloudProviderOf({ spec: d.spec?.template?.spec }) === 'AWS' && !r.requests?.['ephemeral-storage'] && size) {
    problems.push(report('no-ephemeral-request', { ephemeral: fmtBytes(size.ephemeralAws), size: size.name }, extra));
  }
  if (problems.length) return problems;

  if (size && size.lim.cpu === lim.cpu && size.lim.memory === lim.memory)
    return [report('runner-size', { size: size.name, shown }, extra)];
  if (size)
    return [
      report('limits-differ', { size: size.name, shown, cpu: size.lim.cpu, memory: fmtBytes(size.lim.memory) }, extra),
    ];
  return [report('custom-size', { shown }, extra)];
}
