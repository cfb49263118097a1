import type { Deployment, EventInfo, Pod } from '../../src/domain/kube.ts';
import { REGISTRY_EGRESS } from '../../src/domain/platforms.ts';
import { lastPodEvent, objName, podName, runnerContainer } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { JudgeContext, MessageDef } from '../../src/engine/types.ts';

const PULL_ERROR = /ImagePullBackOff|ErrImagePull|InvalidImageName/;
/** More restarts than this warn. */
const MAX_RESTARTS = 5;
const LOGS_PREVIOUS = 'kubectl logs -n {{namespace}} {{pod}} --previous';

const messages = {
  healthy: { status: 'pass', text: 'Running and Ready, {{restarts}} restarts' },
  'image-pull': {
    status: 'fail',
    text: '{{reason}} for {{image}}{{detail}}',
    fix: 'check the image reference and that the node can reach the registry: {{hint}}',
  },
  'crash-loop': {
    status: 'fail',
    text: 'CrashLoopBackOff after {{restarts}} restarts',
    fix: 'read the crash output of the previous container',
    command: LOGS_PREVIOUS,
  },
  'crash-loop-oom': {
    status: 'fail',
    text: 'CrashLoopBackOff after {{restarts}} restarts (last exit: OOMKilled)',
    fix: 'raise resources.limits.memory (a larger runnerSize)',
    command: LOGS_PREVIOUS,
  },
  pending: {
    status: 'fail',
    text: 'Pending: {{event}}',
    fix: 'make room for the pod: nodes with enough allocatable CPU/memory, matching nodeSelector and tolerations (see scaling checks), or a cluster autoscaler',
  },
  'pending-no-event': {
    status: 'fail',
    text: 'Pending (no scheduling event yet)',
    fix: 'make room for the pod: nodes with enough allocatable CPU/memory, matching nodeSelector and tolerations (see scaling checks), or a cluster autoscaler',
  },
  'oom-killed': {
    status: 'warn',
    text: 'last container exit was OOMKilled ({{restarts}} restarts)',
    fix: 'raise resources.limits.memory (a larger runnerSize) or lower the JVM heap share',
  },
  restarts: {
    status: 'warn',
    text: '{{restarts}} restarts',
    fix: 'read why the container restarts',
    command: LOGS_PREVIOUS,
  },
  'not-ready': { status: 'warn', text: 'Running but not Ready' },
  'not-running': { status: 'fail', text: 'phase {{phase}}' },
  'replicas-unavailable': { status: 'warn', text: 'Deployment has {{available}} of {{desired}} replicas available' },
  'no-pods': { status: 'info', text: 'no runner pods to examine' },
} satisfies Record<string, MessageDef>;

export default defineCheck({
  id: 'workload.pod-health',
  title: 'Runner pods are healthy (ready, not restarting, not OOM-killed)',
  category: 'workload',
  scope: 'cluster',
  docs: {
    what: "Per runner pod: readiness, restarts (> 5 warns), CrashLoopBackOff, last termination OOMKilled, image pull errors (with the registry to allow), Pending with the scheduler's reason; and the Deployment's available vs desired replicas.",
    why: 'A restarting or OOM-killed runner loses the tasks it was running; an image pull error means the registry is unreachable or the tag does not exist.',
    fix: 'Act on the reason given per pod: raise memory for OOMKilled, allow the registry for image pulls, read the logs (`kubectl logs --previous`) for crashes.',
  },
  needs: ['runnerPods', 'runnerEvents', 'runnerDeployments'],
  requires: ['workload.runner-pods'],
  messages,
  judge({ runnerPods, runnerEvents, runnerDeployments }, ctx) {
    const out = [
      ...runnerPods.map((p) => judgePod(p, runnerEvents, ctx)),
      ...runnerDeployments.flatMap((d) => judgeReplicas(d, ctx)),
    ];
    // Nothing to say only without pods: when run without workload.runner-pods, which fails on none.
    return out.length ? out : ctx.report('no-pods');
  },
});

type Ctx = JudgeContext<keyof typeof messages>;

function judgePod(p: Pod, events: readonly EventInfo[], { report }: Ctx) {
  const target = podName(p);
  const where = { namespace: p.metadata?.namespace ?? 'default', pod: p.metadata?.name ?? '' };
  const statuses = p.status?.containerStatuses ?? [];
  const restarts = statuses.reduce((a, c) => a + (c.restartCount ?? 0), 0);
  const waiting = statuses.flatMap((c) => (c.state?.waiting?.reason ? [c.state.waiting] : []));
  const oom = statuses.some((c) => c.lastState?.terminated?.reason === 'OOMKilled');
  const details = { restarts };

  const pull = waiting.find((w) => PULL_ERROR.test(w.reason ?? ''));
  if (pull) {
    const image = runnerContainer(p)?.image ?? '';
    const hint =
      REGISTRY_EGRESS.find(([re]) => re.test(image))?.[1] ??
      'egress to the image registry must be allowed and the tag must exist';
    return report(
      'image-pull',
      { reason: pull.reason, image, detail: pull.message ? `: ${pull.message}` : '', hint },
      { target, details: { image, reason: pull.reason } },
    );
  }
  if (waiting.some((w) => w.reason === 'CrashLoopBackOff'))
    return report(oom ? 'crash-loop-oom' : 'crash-loop', { restarts, ...where }, { target, details });
  if (p.status?.phase === 'Pending') {
    const ev = lastPodEvent(events, p, (e) => e.reason === 'FailedScheduling');
    return ev ? report('pending', { event: ev.message }, { target }) : report('pending-no-event', {}, { target });
  }
  if (oom) return report('oom-killed', { restarts }, { target, details });
  if (restarts > MAX_RESTARTS) return report('restarts', { restarts, ...where }, { target, details });
  if (p.status?.phase === 'Running') {
    const ready = p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    return ready ? report('healthy', { restarts }, { target, details }) : report('not-ready', {}, { target });
  }
  return report('not-running', { phase: p.status?.phase ?? 'unknown' }, { target });
}

function judgeReplicas(d: Deployment, { report }: Ctx) {
  const desired = d.spec?.replicas ?? 1;
  const available = d.status?.availableReplicas ?? 0;
  if (available >= desired) return [];
  return [
    report('replicas-unavailable', { available, desired }, { target: objName(d), details: { desired, available } }),
  ];
}
