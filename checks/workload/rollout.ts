import type { Deployment, EventInfo, ReplicaSet } from '../../src/domain/kube.ts';
import { objName } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const messages = {
  complete: {
    status: 'pass',
    text: 'Deployment {{deployment}} is rolled out: {{updated}} of {{desired}} pods on the current revision',
  },
  rolling: {
    status: 'info',
    text: 'Deployment {{deployment}} is rolling out: {{updated}} of {{desired}} pods on the new revision, {{available}} available',
  },
  'deadline-exceeded': {
    status: 'fail',
    text: 'the rollout of {{deployment}} has stopped progressing (ProgressDeadlineExceeded after {{deadline}} s): {{message}} — {{updated}} of {{desired}} pods on the new revision, {{available}} available{{why}}',
    fix: 'fix what keeps the new ReplicaSet’s pods from starting (workload.runner-pods and workload.scheduling name it) and the rollout carries on by itself; or roll back (helm rollback / kubectl rollout undo)',
    command:
      'kubectl rollout status deployment -n {{namespace}} {{name}}; kubectl describe replicaset -n {{namespace}} {{replicaSet}}',
  },
  'no-deployment': { status: 'info', text: 'no runner Deployment found' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

export default defineCheck({
  id: 'workload.rollout',
  title: 'The runner Deployment rolls out (no progress deadline exceeded)',
  category: 'workload',
  scope: 'cluster',
  docs: {
    what: "Reads each runner Deployment's Progressing condition: ProgressDeadlineExceeded means its newest ReplicaSet has not brought pods up within progressDeadlineSeconds; the ReplicaSet's own FailedCreate event or ReplicaFailure condition says why.",
    why: 'A stuck rollout leaves the runner on the old revision or with no pods at all, and `helm upgrade --wait` times out without saying why.',
    fix: 'Fix what the new ReplicaSet reports (admission, quota, scheduling), or roll back with helm rollback.',
  },
  needs: ['runnerDeployments', 'runnerReplicaSets', 'runnerEvents'],
  messages,
  judge({ runnerDeployments, runnerReplicaSets, runnerEvents }, ctx) {
    if (runnerDeployments.length === 0) return ctx.report('no-deployment');
    return runnerDeployments.map((d) => judgeDeployment(d, runnerReplicaSets, runnerEvents, ctx));
  },
});

const revision = (r: ReplicaSet) => Number(r.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0);

/** The Deployment's newest ReplicaSet (highest revision among those it owns). */
function newestReplicaSet(d: Deployment, replicaSets: readonly ReplicaSet[]): ReplicaSet | undefined {
  return replicaSets
    .filter(
      (r) =>
        r.metadata?.namespace === d.metadata?.namespace &&
        r.metadata?.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === d.metadata?.name),
    )
    .sort((a, b) => revision(a) - revision(b))
    .at(-1);
}

/** Why a ReplicaSet creates no pods: its newest FailedCreate event, else its ReplicaFailure condition. */
function whyNoPods(r: ReplicaSet | undefined, events: readonly EventInfo[]): string {
  if (!r) return '';
  const ev = events
    .filter(
      (e) =>
        e.kind === 'ReplicaSet' &&
        e.reason === 'FailedCreate' &&
        e.name === r.metadata?.name &&
        e.namespace === r.metadata?.namespace,
    )
    .at(-1);
  const c = r.status?.conditions?.find((x) => x.type === 'ReplicaFailure' && x.status === 'True');
  const said = ev?.message ?? c?.message;
  return said ? `; ReplicaSet ${r.metadata?.name}: ${said}` : '';
}

function judgeDeployment(
  d: Deployment,
  replicaSets: readonly ReplicaSet[],
  events: readonly EventInfo[],
  { report }: JudgeContext<Id>,
): Finding<Id> {
  const deployment = objName(d);
  const desired = d.spec?.replicas ?? 1;
  const updated = d.status?.updatedReplicas ?? 0;
  const available = d.status?.availableReplicas ?? 0;
  const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
  const counts = { deployment, desired, updated, available };
  const target = deployment;
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    const rs = newestReplicaSet(d, replicaSets);
    return report(
      'deadline-exceeded',
      {
        ...counts,
        deadline: d.spec?.progressDeadlineSeconds ?? 600,
        message: progressing.message ?? 'no message',
        why: whyNoPods(rs, events),
        namespace: d.metadata?.namespace ?? 'default',
        name: d.metadata?.name ?? '',
        replicaSet: rs?.metadata?.name ?? '',
      },
      { target, details: { condition: progressing, replicaSet: rs?.metadata?.name ?? null } },
    );
  }
  if (updated < desired) return report('rolling', counts, { target });
  return report('complete', counts, { target });
}
