import { defineCheck, fail, fmtBytes, GiB, info, pass, warn } from '../../src/engine/define.ts';
import type { Outcome } from '../../src/engine/types.ts';
import { parseQuantity } from '../../src/facts/kube/quantity.ts';
import { runnerContainer } from '../../src/facts/kube/runner.ts';

/** The chart's runnerSize table (domain.md §1): CPU cores and memory bytes, requests and limits. */
export const RUNNER_SIZES = [
  { name: 'small', req: { cpu: 1, memory: 4 * GiB }, lim: { cpu: 2, memory: 4 * GiB }, ephemeralAws: 50 * GiB },
  { name: 'medium', req: { cpu: 2, memory: 8 * GiB }, lim: { cpu: 4, memory: 8 * GiB }, ephemeralAws: 75 * GiB },
  { name: 'large', req: { cpu: 4, memory: 16 * GiB }, lim: { cpu: 8, memory: 16 * GiB }, ephemeralAws: 100 * GiB },
  { name: 'xlarge', req: { cpu: 8, memory: 32 * GiB }, lim: { cpu: 16, memory: 32 * GiB }, ephemeralAws: 150 * GiB },
] as const;

const JAVA_OPT_VARS = ['JAVA_TOOL_OPTIONS', 'JAVA_OPTS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS'];

/** -Xmx / -XX:MaxHeapSize as bytes, or -XX:MaxRAMPercentage as a share, from literal JVM option env values. */
export function jvmHeapSetting(opts: string): { xmx?: number; ramPercent?: number } {
  const out: { xmx?: number; ramPercent?: number } = {};
  const x = opts.match(/(?:^|\s)-(?:Xmx|XX:MaxHeapSize=)(\d+)([kKmMgGtT]?)(?=\s|$)/);
  if (x) out.xmx = Number(x[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[x[2]!.toLowerCase()] ?? 1);
  const p = opts.match(/-XX:MaxRAMPercentage=(\d+(?:\.\d+)?)/);
  if (p) out.ramPercent = Number(p[1]);
  return out;
}

export default defineCheck({
  id: 'workload.resources',
  title: 'Runner requests and limits match a runner size; JVM heap fits the memory limit',
  category: 'resources',
  scope: 'cluster',
  severity: 'warn',
  docs: {
    what: 'The runner container of each runner Deployment: CPU and memory requests and limits present, compared with the chart\'s runnerSize table (small 1/4Gi → 2/4Gi, medium 2/8Gi → 4/8Gi, large 4/16Gi → 8/16Gi, xlarge 8/32Gi → 16/32Gi), memory limit equal to the request, and a literal -Xmx or MaxRAMPercentage in the JVM options vs the memory limit. On AWS, the ephemeral-storage request.',
    why: 'Without a memory limit the JVM sizes its heap from the node; a heap at or above the limit is OOM-killed under load; a memory request below the limit lets the node evict the runner under pressure; below 4Gi the runner is smaller than the smallest supported size.',
    fix: 'Set the chart\'s runnerSize (or resources) to one of the supported sizes and leave the heap to -XX:MaxRAMPercentage ≤ 75.',
  },
  needs: ['kube'],
  requires: ['workload.runner-pods'],
  async run({ fact }) {
    const snap = await fact('kube');
    const deployments = await snap.deployments();
    const out: Outcome[] = [];
    for (const d of deployments) {
      const target = `${d.metadata?.namespace}/${d.metadata?.name}`;
      const c = runnerContainer({ spec: d.spec?.template?.spec });
      if (!c) continue;
      const r = c.resources ?? {};
      const req = { cpu: parseQuantity(r.requests?.cpu), memory: parseQuantity(r.requests?.memory) };
      const lim = { cpu: parseQuantity(r.limits?.cpu), memory: parseQuantity(r.limits?.memory) };
      const size = RUNNER_SIZES.find((s) => s.req.cpu === req.cpu && s.req.memory === req.memory);
      const exact = size && size.lim.cpu === lim.cpu && size.lim.memory === lim.memory;
      const shown = `requests ${r.requests?.cpu ?? '-'} CPU/${r.requests?.memory ?? '-'}, limits ${r.limits?.cpu ?? '-'} CPU/${r.limits?.memory ?? '-'}`;
      const details = { container: c.name, requests: r.requests ?? {}, limits: r.limits ?? {}, runnerSize: size?.name ?? null };
      const fix = 'set the chart\'s runnerSize (small, medium, large, xlarge) or resources to one of its rows';
      const problems: Outcome[] = [];
      if (!r.limits?.memory) problems.push(fail(`no memory limit (${shown}): the JVM sizes its heap from the node's memory and the runner can take the node down or be OOM-killed`, { target, details, remediation: fix }));
      if (!r.requests?.memory || !r.requests?.cpu) problems.push(warn(`no ${!r.requests?.memory ? 'memory' : 'CPU'} request (${shown}): the scheduler cannot reserve room for the runner`, { target, details, remediation: fix }));
      if (!r.limits?.cpu) problems.push(info(`no CPU limit (${shown}): the chart sets one (twice the request)`, { target, details }));
      if (req.memory && lim.memory && req.memory < lim.memory) problems.push(warn(`memory request ${fmtBytes(req.memory)} < limit ${fmtBytes(lim.memory)}: under node memory pressure the runner is evicted first`, { target, details, remediation: 'set the memory request equal to the limit (the chart does)' }));
      if (req.memory && req.memory < 4 * GiB) problems.push(warn(`memory request ${fmtBytes(req.memory)} is below the smallest runner size (small: 4 GiB)`, { target, details, remediation: fix }));
      // JVM heap vs the limit, from literal option env values (the in-pod resources.jvm-heap reads the live process).
      const opts = (c.env ?? []).filter((e) => JAVA_OPT_VARS.includes(e.name) && e.value).map((e) => e.value!).join(' ');
      const heap = jvmHeapSetting(opts);
      if (lim.memory && heap.xmx !== undefined) {
        if (heap.xmx >= lim.memory) problems.push(fail(`JVM -Xmx ${fmtBytes(heap.xmx)} ≥ memory limit ${fmtBytes(lim.memory)}: the runner is OOM-killed before the heap is full`, { target, details: { ...details, xmxBytes: heap.xmx }, remediation: 'remove -Xmx and use -XX:MaxRAMPercentage=75, or raise the memory limit' }));
        else if (heap.xmx > 0.85 * lim.memory) problems.push(warn(`JVM -Xmx ${fmtBytes(heap.xmx)} is ${Math.round((heap.xmx / lim.memory) * 100)} % of the memory limit: too little left for metaspace, threads and Python`, { target, details: { ...details, xmxBytes: heap.xmx }, remediation: 'keep the heap ≤ 75 % of the limit (-XX:MaxRAMPercentage=75)' }));
      }
      if (heap.ramPercent !== undefined && heap.ramPercent > 85) problems.push(warn(`-XX:MaxRAMPercentage=${heap.ramPercent}: too little memory left outside the heap`, { target, details, remediation: 'use -XX:MaxRAMPercentage=75 or less' }));
      const cloud = (c.env ?? []).find((e) => e.name === 'CLOUD_PROVIDER')?.value?.toUpperCase();
      if (cloud === 'AWS' && !r.requests?.['ephemeral-storage'] && size) problems.push(info(`no ephemeral-storage request: the chart's AWS values ask ${fmtBytes(size.ephemeralAws)} for ${size.name}; EKS Fargate gives 20 GiB by default`, { target, details }));
      if (problems.length) {
        out.push(...problems);
        continue;
      }
      if (exact) out.push(pass(`runnerSize ${size.name}: ${shown}`, { target, details }));
      else if (size) out.push(info(`requests match runnerSize ${size.name} but limits differ (${shown}; the chart sets ${size.lim.cpu} CPU/${fmtBytes(size.lim.memory)})`, { target, details }));
      else out.push(info(`custom size, not one of the chart's runner sizes: ${shown}`, { target, details }));
    }
    return out.length ? out : [info('no runner Deployment found')];
  },
});
