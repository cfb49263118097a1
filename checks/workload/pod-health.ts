import type { Deployment, EventInfo, Pod } from '../../src/domain/kube.ts';
import { REGISTRY_EGRESS } from '../../src/domain/platforms.ts';
import { lastPodEvent, objName, podName, runnerContainer } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { JudgeContext, MessageDef } from '../../src/engine/types.ts';

const PULL_ERROR = /ImagePullBackOff|ErrImagePull|InvalidImageName/;
/** More restarts than this warn. */
const MAX_RESTARTS = 5;
/** A container running for less than this after back-off restarts is still in its loop. */
const RECENT_RESTART_MS = 120_000;
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
    text: 'crash loop: container {{container}} exited with code {{exitCode}}{{reason}} and has been restarted {{restarts}} times; the kubelet backs off longer before each restart',
    fix: 'read the crash output of the previous container: a wrong value (credentials, region, proxy), a missing Secret key or a broken image',
    command: LOGS_PREVIOUS,
  },
  'crash-loop-oom': {
    status: 'fail',
    text: 'crash loop: container {{container}} is killed for memory (OOMKilled at its {{limit}} limit) and has been restarted {{restarts}} times',
    fix: 'raise the memory limit with a larger runnerSize (or dpcAgent.dpcAgent.resources), or lower the JVM heap share (-XX:MaxRAMPercentage ≤ 75)',
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
    text: 'last container exit was OOMKilled at its {{limit}} memory limit ({{restarts}} restarts)',
    fix: 'raise the memory limit with a larger runnerSize (or dpcAgent.dpcAgent.resources), or lower the JVM heap share (-XX:MaxRAMPercentage ≤ 75)',
  },
  restarts: {
    status: 'warn',
    text: '{{restarts}} restarts',
    fix: 'read why the container restarts',
    command: LOGS_PREVIOUS,
  },
  'container-waiting': {
    status: 'fail',
    text: 'scheduled on {{node}} but container {{container}} is {{reason}}{{detail}}',
    fix: '{{fix}}',
    command: 'kubectl describe pod -n {{namespace}} {{pod}}',
  },
  'rejected-by-kubelet': {
    status: 'fail',
    text: 'rejected by the kubelet on {{node}} ({{reason}}){{detail}}',
    fix: '{{fix}}',
  },
  'not-ready': { status: 'warn', text: 'Running but not Ready' },
  'not-running': { status: 'fail', text: 'phase {{phase}}{{detail}}' },
  'replicas-unavailable': { status: 'warn', text: 'Deployment has {{available}} of {{desired}} replicas available' },
  'no-pods': { status: 'info', text: 'no runner pods to examine' },
} satisfies Record<string, MessageDef>;

export default defineCheck({
  id: 'workload.pod-health',
  title: 'Runner pods are healthy (ready, not restarting, not OOM-killed)',
  category: 'workload',
  scope: 'cluster',
  docs: {
    what: "Per runner pod: readiness, restarts (> 5 warns), crash loops as a 1.36 kubelet really publishes them (a terminated container with a growing restart count, whatever its exit code, `BackOff` events, and the brief CrashLoopBackOff), a termination OOMKilled whatever its exit code, image pull errors (naming the image and registry of the container that cannot pull), Pending with the scheduler's reason when unscheduled, or the container's waiting reason when on a node (a missing Secret key, a volume that cannot mount), pods the kubelet rejected (SysctlForbidden, OutOf…) or evicted; and the Deployment's available vs desired replicas.",
    why: 'A restarting or OOM-killed runner loses the tasks it was running; an image pull error means the registry is unreachable or the tag does not exist.',
    fix: 'Act on the reason given per pod: raise memory for OOMKilled, allow the registry for image pulls, read the logs (`kubectl logs --previous`) for crashes.',
  },
  needs: ['runnerPods', 'runnerEvents', 'runnerDeployments', 'now'],
  requires: ['workload.runner-pods'],
  messages,
  judge({ runnerPods, runnerEvents, runnerDeployments, now }, ctx) {
    const out = [
      ...runnerPods.map((p) => judgePod(p, runnerEvents, now, ctx)),
      ...runnerDeployments.flatMap((d) => judgeReplicas(d, ctx)),
    ];
    // Nothing to say only without pods: when run without workload.runner-pods, which fails on none.
    return out.length ? out : ctx.report('no-pods');
  },
});

type Ctx = JudgeContext<keyof typeof messages>;

/** Why a container crash-loops, from what the kubelet publishes: it shows `waiting: CrashLoopBackOff` only
 * for moments before each restart; in between the container is `terminated` with a growing restart count
 * (a runner's container always restarts, so a terminated one with restarts behind it is looping, whatever
 * its exit code — 0 included), and the pod gets `BackOff` events. */
function crashLoop(p: Pod, events: readonly EventInfo[], nowMs: number) {
  const backingOff =
    lastPodEvent(events, p, (e) => e.reason === 'BackOff' && /restarting failed container/i.test(e.message)) !==
    undefined;
  for (const c of p.status?.containerStatuses ?? []) {
    const now = c.state?.terminated;
    const term = now ?? c.lastState?.terminated;
    // Just restarted after back-off: running (and Ready, without a readiness probe) for seconds only.
    const startedAt = Date.parse(String(c.state?.running?.startedAt ?? ''));
    const justRestarted = c.restartCount >= 2 && nowMs - startedAt < RECENT_RESTART_MS;
    const looping =
      (c.restartCount > 0 && (c.state?.waiting?.reason === 'CrashLoopBackOff' || now !== undefined)) ||
      (backingOff && (!c.ready || justRestarted) && term !== undefined);
    if (looping)
      return {
        container: c.name,
        exitCode: term?.exitCode ?? 'unknown',
        reason: term?.reason,
        restarts: c.restartCount,
      };
  }
  return undefined;
}

/** What to do about a container that is scheduled but cannot start, by the kubelet's waiting reason. */
function waitingFix(reason: string): string {
  if (reason === 'CreateContainerConfigError')
    return 'a Secret or ConfigMap (or a key of one) the container reads through env/envFrom is missing: create it or fix the reference (see workload.secrets)';
  if (reason === 'ContainerCreating')
    return "the pod's volumes cannot be set up (FailedMount events: a missing Secret/ConfigMap volume, a projected token the node cannot get, a CSI driver)";
  if (reason === 'CreateContainerError' || reason === 'RunContainerError')
    return 'the runtime cannot create the container: read the message (a bad command, a mount over a file, a securityContext the image cannot satisfy)';
  return 'read the events of the pod for the cause';
}

/** What to do about a pod the kubelet rejected at admission. */
function kubeletFix(reason: string): string {
  if (reason === 'SysctlForbidden')
    return "the node's kubelet does not allow the chart's net.ipv4.tcp_keepalive_time sysctl: upgrade the nodes to Kubernetes ≥ 1.29 (where it is safe), or allow it with the kubelet's --allowed-unsafe-sysctls";
  if (reason === 'OutOfcpu' || reason === 'OutOfmemory' || reason === 'OutOfephemeral-storage')
    return 'the node had no room left when the pod arrived: give the nodes more allocatable resources or fewer pods (see scaling.headroom)';
  if (reason === 'NodeAffinity' || reason === 'NodeSelectorMismatching')
    return "the node's labels no longer match the pod's nodeSelector/affinity: fix the nodeSelector value or the node labels";
  return "read the pod status message and the node's kubelet log";
}

/** The container's memory limit as the pod spec states it. */
function memoryLimit(p: Pod, container: string | undefined): string {
  const c = p.spec?.containers?.find((x) => x.name === container) ?? runnerContainer(p);
  return c?.resources?.limits?.memory ?? 'unset';
}

function judgePod(p: Pod, events: readonly EventInfo[], now: number, { report }: Ctx) {
  const target = podName(p);
  const where = { namespace: p.metadata?.namespace ?? 'default', pod: p.metadata?.name ?? '' };
  const statuses = p.status?.containerStatuses ?? [];
  const restarts = statuses.reduce((a, c) => a + (c.restartCount ?? 0), 0);
  // OOMKilled is authoritative whatever the exit code: a killed child with a PID 1 that exits 0 shows it too.
  const oom = statuses.find(
    (c) => c.lastState?.terminated?.reason === 'OOMKilled' || c.state?.terminated?.reason === 'OOMKilled',
  );
  const details = { restarts };

  const pulling = statuses.find((c) => PULL_ERROR.test(c.state?.waiting?.reason ?? ''));
  const pull = pulling?.state?.waiting;
  if (pulling && pull) {
    // The image of the container that cannot pull (an injected sidecar's, maybe), as its spec names it.
    const image =
      p.spec?.containers?.find((x) => x.name === pulling.name)?.image ??
      pulling.image ??
      runnerContainer(p)?.image ??
      '';
    const hint =
      REGISTRY_EGRESS.find(([re]) => re.test(image))?.[1] ??
      'egress to the image registry must be allowed and the tag must exist';
    return report(
      'image-pull',
      { reason: pull.reason, image, detail: pull.message ? `: ${pull.message}` : '', hint },
      { target, details: { image, reason: pull.reason } },
    );
  }
  const loop = crashLoop(p, events, now);
  if (loop) {
    const info = {
      ...where,
      container: loop.container,
      restarts: loop.restarts,
      exitCode: loop.exitCode,
      reason: loop.reason ? ` (${loop.reason})` : '',
      limit: memoryLimit(p, loop.container),
    };
    const loopDetails = { restarts: loop.restarts, exitCode: loop.exitCode, lastReason: loop.reason ?? null };
    return report(loop.reason === 'OOMKilled' ? 'crash-loop-oom' : 'crash-loop', info, {
      target,
      details: loopDetails,
    });
  }
  const scheduled =
    p.spec?.nodeName || p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'True');
  if (p.status?.phase === 'Pending' && !scheduled) {
    const ev = lastPodEvent(events, p, (e) => e.reason === 'FailedScheduling');
    return ev ? report('pending', { event: ev.message }, { target }) : report('pending-no-event', {}, { target });
  }
  if (p.status?.phase === 'Pending') {
    // On a node, but a container cannot start: not a scheduling problem.
    const stuck = statuses.find((c) => c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing');
    if (stuck?.state?.waiting?.reason) {
      const reason = stuck.state.waiting.reason;
      const mount =
        reason === 'ContainerCreating' ? lastPodEvent(events, p, (e) => e.reason === 'FailedMount') : undefined;
      const why = stuck.state.waiting.message ?? mount?.message;
      return report(
        'container-waiting',
        {
          ...where,
          node: p.spec?.nodeName ?? 'a node',
          container: stuck.name,
          reason,
          detail: why ? `: ${why}` : '',
          fix: waitingFix(reason),
        },
        { target, details: { reason, container: stuck.name } },
      );
    }
  }
  if (p.status?.phase === 'Failed' && p.status.reason && p.status.reason !== 'Evicted') {
    const reason = p.status.reason;
    return report(
      'rejected-by-kubelet',
      {
        node: p.spec?.nodeName ?? 'its node',
        reason,
        detail: p.status.message ? `: ${p.status.message}` : '',
        fix: kubeletFix(reason),
      },
      { target, details: { reason } },
    );
  }
  if (oom)
    return report(
      'oom-killed',
      { restarts, limit: memoryLimit(p, oom.name) },
      {
        target,
        details: { ...details, exitCode: oom.lastState?.terminated?.exitCode ?? oom.state?.terminated?.exitCode },
      },
    );
  if (restarts > MAX_RESTARTS) return report('restarts', { restarts, ...where }, { target, details });
  if (p.status?.phase === 'Running') {
    const ready = p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    return ready ? report('healthy', { restarts }, { target, details }) : report('not-ready', {}, { target });
  }
  const why = [p.status?.reason, p.status?.message].filter(Boolean).join(': ');
  return report('not-running', { phase: p.status?.phase ?? 'unknown', detail: why ? ` (${why})` : '' }, { target });
}

function judgeReplicas(d: Deployment, { report }: Ctx) {
  const desired = d.spec?.replicas ?? 1;
  const available = d.status?.availableReplicas ?? 0;
  if (available >= desired) return [];
  return [
    report('replicas-unavailable', { available, desired }, { target: objName(d), details: { desired, available } }),
  ];
}
