import { HELM } from '../../src/domain/chart.ts';
import {
  type CloudLogsResult,
  configuredStores,
  ENABLE_LOGS,
  fmtSince,
  type PodRestartHistory,
  storeLabel,
  storeTarget,
} from '../../src/domain/log-signatures.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const messages = {
  none: {
    status: 'pass',
    text: 'no runner pod restarted in the last {{since}} ({{pods}} pods in {{store}})',
  },
  restarted: {
    status: 'warn',
    text: '{{pod}} restarted {{restarts}} times in the last {{since}}{{reason}}',
    fix: 'logs.signatures says why when the runner logged it; workload.pod-health judges the pod if it still exists, and kubectl describe pod shows its last state',
  },
  'oom-killed': {
    status: 'fail',
    text: '{{pod}} restarted {{restarts}} times in the last {{since}}, last killed for memory (OOMKilled)',
    fix: `the JVM heap and the tasks do not fit the memory limit: choose a larger ${HELM.runnerSize} (or ${HELM.resources}) or lower the heap share (-XX:MaxRAMPercentage ≤ 75); resources.jvm-heap compares them`,
  },
  'no-history': {
    status: 'skip',
    text: '{{store}} keeps no restart history of pods (only Azure Log Analytics has it, in KubePodInventory)',
  },
  'not-configured': { status: 'skip', text: `no log store to read: ${ENABLE_LOGS}` },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

function judgePod(p: PodRestartHistory, since: string, target: string, { report }: JudgeContext<Id>): Finding<Id> {
  const details = { pod: p.pod, restarts: p.restarts, total: p.total, lastReason: p.lastReason ?? null, store: target };
  if (p.lastReason === 'OOMKilled')
    return report('oom-killed', { pod: p.pod, restarts: p.restarts, since }, { target: p.pod, details });
  const reason = p.lastReason ? `, last reason ${p.lastReason}` : '';
  return report('restarted', { pod: p.pod, restarts: p.restarts, since, reason }, { target: p.pod, details });
}

function judgeStore(f: CloudLogsResult, ctx: JudgeContext<Id>): Finding<Id>[] {
  const target = storeTarget(f);
  const store = storeLabel(f);
  const since = fmtSince(f.sinceMs);
  if (!f.restarts) return [ctx.report('no-history', { store }, { target })];
  const restarted = f.restarts.filter((p) => p.restarts > 0);
  if (restarted.length === 0) return [ctx.report('none', { since, store, pods: f.restarts.length }, { target })];
  return restarted.map((p) => judgePod(p, since, target, ctx));
}

export default defineCheck({
  id: 'logs.restarts',
  title: 'Runner pods did not restart recently (restart history)',
  category: 'logs',
  scope: 'cluster',
  tags: ['azure'],
  docs: {
    what: "Each runner pod's restarts over the last --since and its last termination reason, from Azure Log Analytics' KubePodInventory (Container Insights): pods that were replaced since are included.",
    why: 'The live pod list only shows the pods of now: a runner that was OOMKilled overnight and replaced looks healthy in the morning. The inventory remembers.',
    fix: "For OOMKilled, give the runner more memory or a smaller heap share; for other restarts, logs.signatures and the pod's previous logs say why.",
  },
  needs: ['azureLogs', 'cloudwatchLogs'],
  messages,
  judge({ azureLogs, cloudwatchLogs }, ctx) {
    const stores = configuredStores(azureLogs, cloudwatchLogs);
    if (stores.length === 0) return ctx.report('not-configured');
    return stores.flatMap((f) => judgeStore(f, ctx));
  },
});
