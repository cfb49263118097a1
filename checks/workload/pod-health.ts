import { defineCheck, fail, pass, warn } from '../../src/engine/define.ts';
import type { Outcome } from '../../src/engine/types.ts';
import { podName } from '../../src/facts/kube/runner.ts';

const REGISTRY_HINT: [RegExp, string][] = [
  [/public\.ecr\.aws/, 'egress to public.ecr.aws, api.ecr-public.us-east-1.amazonaws.com and the prod-<region>-starport-layer-bucket S3 endpoint must be allowed'],
  [/azurecr\.io/, 'egress to matillion.azurecr.io and matillion.<region>.data.azurecr.io must be allowed'],
  [/docker\.pkg\.dev/, 'egress to <region>-docker.pkg.dev must be allowed'],
];

export default defineCheck({
  id: 'workload.pod-health',
  title: 'Runner pods are healthy (ready, not restarting, not OOM-killed)',
  category: 'workload',
  scope: 'cluster',
  severity: 'fail',
  docs: {
    what: 'Per runner pod: readiness, restarts (> 5 warns), CrashLoopBackOff, last termination OOMKilled, image pull errors (with the registry to allow), Pending with the scheduler\'s reason; and the Deployment\'s available vs desired replicas.',
    why: 'A restarting or OOM-killed runner loses the tasks it was running; an image pull error means the registry is unreachable or the tag does not exist.',
    fix: 'Act on the reason given per pod: raise memory for OOMKilled, allow the registry for image pulls, read the logs (`kubectl logs --previous`) for crashes.',
  },
  needs: ['kube'],
  requires: ['workload.runner-pods'],
  async run({ fact }) {
    const snap = await fact('kube');
    const [pods, events, deployments] = await Promise.all([snap.runnerPods(), snap.events().catch(() => []), snap.deployments().catch(() => [])]);
    const out: Outcome[] = [];
    for (const p of pods) {
      const target = podName(p);
      const statuses = p.status?.containerStatuses ?? [];
      const restarts = statuses.reduce((a, c) => a + (c.restartCount ?? 0), 0);
      const waiting = statuses.map((c) => c.state?.waiting).filter((w) => w?.reason);
      const oom = statuses.find((c) => c.lastState?.terminated?.reason === 'OOMKilled');
      const image = p.spec?.containers?.[0]?.image ?? '';
      const pull = waiting.find((w) => /ImagePullBackOff|ErrImagePull|InvalidImageName/.test(w?.reason ?? ''));
      if (pull) {
        const hint = REGISTRY_HINT.find(([re]) => re.test(image))?.[1] ?? 'egress to the image registry must be allowed and the tag must exist';
        out.push(fail(`${pull.reason} for ${image}: ${pull.message ?? ''}`.trim(), { target, details: { image, reason: pull.reason }, remediation: `check the image reference and that the node can reach the registry: ${hint}` }));
        continue;
      }
      if (waiting.some((w) => w?.reason === 'CrashLoopBackOff')) {
        out.push(fail(`CrashLoopBackOff after ${restarts} restarts${oom ? ' (last exit: OOMKilled)' : ''}`, { target, details: { restarts }, remediation: { text: oom ? 'raise resources.limits.memory (a larger runnerSize)' : 'read the crash output of the previous container', command: `kubectl logs -n ${p.metadata?.namespace} ${p.metadata?.name} --previous` } }));
        continue;
      }
      if (p.status?.phase === 'Pending') {
        const ev = events.filter((e) => e.involvedObject?.name === p.metadata?.name && e.reason === 'FailedScheduling').at(-1);
        out.push(fail(`Pending${ev ? `: ${ev.message}` : ' (no scheduling event yet)'}`, { target, remediation: 'make room for the pod: nodes with enough allocatable CPU/memory, matching nodeSelector and tolerations (see scaling checks), or a cluster autoscaler' }));
        continue;
      }
      if (oom) out.push(warn(`last container exit was OOMKilled (${restarts} restarts)`, { target, details: { restarts }, remediation: 'raise resources.limits.memory (a larger runnerSize) or lower the JVM heap share' }));
      else if (restarts > 5) out.push(warn(`${restarts} restarts`, { target, details: { restarts }, remediation: { text: 'read why the container restarts', command: `kubectl logs -n ${p.metadata?.namespace} ${p.metadata?.name} --previous` } }));
      else if (p.status?.phase === 'Running' && !p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) out.push(warn('Running but not Ready', { target }));
      else if (p.status?.phase === 'Running') out.push(pass(`Running and Ready, ${restarts} restarts`, { target, details: { restarts } }));
      else out.push(fail(`phase ${p.status?.phase ?? 'unknown'}`, { target }));
    }
    for (const d of deployments) {
      const want = d.spec?.replicas ?? 1;
      const have = d.status?.availableReplicas ?? 0;
      const target = `${d.metadata?.namespace}/${d.metadata?.name}`;
      if (have < want) out.push(warn(`Deployment has ${have} of ${want} replicas available`, { target, details: { desired: want, available: have } }));
    }
    return out;
  },
});
