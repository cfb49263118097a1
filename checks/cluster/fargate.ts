import {
  FARGATE_DEFAULT_EPHEMERAL,
  FARGATE_LABEL,
  FARGATE_MAX_EPHEMERAL,
  isFargate,
  sidecarAgent,
} from '../../src/domain/fargate.ts';
import { fmtBytes } from '../../src/domain/format.ts';
import type { Pod } from '../../src/domain/kube.ts';
import { parseQuantity } from '../../src/domain/quantity.ts';
import { podName, runnerContainer } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const messages = {
  'no-agent': {
    status: 'pass',
    text: '{{pod}} runs on EKS Fargate (no DaemonSets there): no security agent sidecar in it and no injecting webhook; ephemeral storage {{storage}}',
  },
  'agent-sidecar': {
    status: 'info',
    text: '{{pod}} runs on EKS Fargate with {{vendor}} injected as the sidecar {{container}}: if Python scripts die with exit 137 while python3 -c works, exclude the runner from its drift prevention',
  },
  'agent-webhook': {
    status: 'info',
    text: '{{pod}} runs on EKS Fargate; the mutating webhook {{webhook}} ({{vendor}}) injects agents into Fargate pods, but this pod has no sidecar from it (excluded, or created before the webhook)',
  },
  'ephemeral-default': {
    status: 'warn',
    text: "{{pod}} runs on EKS Fargate without an ephemeral-storage request: Fargate gives it {{default}}, less than the chart's AWS sizes ask (50–150 GiB); /tmp and the working directory share it",
    fix: 'set runnerSize (the AWS values request ephemeral-storage) or add an ephemeral-storage request to dpcAgent.dpcAgent.resources (Fargate provisions up to 175 GiB from it)',
  },
  'ephemeral-over-max': {
    status: 'fail',
    text: '{{pod}} requests {{storage}} of ephemeral storage: EKS Fargate provisions at most {{max}}, so the pod cannot be scheduled there',
    fix: 'lower the ephemeral-storage request in dpcAgent.dpcAgent.resources to 175Gi or less, or run the runner on EC2 nodes',
  },
  'not-fargate': { status: 'skip', text: `no runner pod runs on an EKS Fargate node (${FARGATE_LABEL}=fargate)` },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

export default defineCheck({
  id: 'cluster.fargate',
  title: 'EKS Fargate: security agents as sidecars, ephemeral storage',
  category: 'cluster',
  scope: 'cluster',
  tags: ['aws', 'security-agent'],
  docs: {
    what: `For runner pods on EKS Fargate nodes (${FARGATE_LABEL}=fargate): looks for runtime security agents where Fargate has them — sidecars injected into the pod, and the mutating webhooks that inject them (DaemonSets do not run on Fargate) — and compares the ephemeral-storage request with what Fargate provisions (20 GiB without a request, at most 175 GiB).`,
    why: 'On Fargate a node-level agent check finds nothing, yet an injected sidecar agent kills Python script files with exit 137 just as its DaemonSet would; a pod without an ephemeral-storage request gets 20 GiB, which a runner fills.',
    fix: "Exclude the runner from the sidecar agent's drift prevention; request the ephemeral storage the runnerSize asks (≤ 175 GiB).",
  },
  needs: ['nodes', 'runnerPods', 'mutatingWebhooks'],
  messages,
  judge({ nodes, runnerPods, mutatingWebhooks }, { report }) {
    const fargate = new Set(nodes.filter((n) => isFargate(n.labels)).map((n) => n.name));
    const pods = runnerPods.filter((p) => p.spec?.nodeName && fargate.has(p.spec.nodeName));
    if (pods.length === 0) return report('not-fargate');
    const injector = mutatingWebhooks
      .map((w) => ({ w, vendor: sidecarAgent(w.name, ...w.webhooks) }))
      .find((x) => x.vendor !== undefined);
    return pods.flatMap((p) =>
      judgePod(p, injector && { webhook: injector.w.name, vendor: injector.vendor ?? '' }, report),
    );
  },
});

function judgePod(
  p: Pod,
  injector: { webhook: string; vendor: string } | undefined,
  report: JudgeContext<Id>['report'],
): Finding<Id>[] {
  const pod = podName(p);
  const runner = runnerContainer(p);
  const out: Finding<Id>[] = [];
  const raw = runner?.resources?.requests?.['ephemeral-storage'];
  const bytes = raw === undefined ? undefined : parseQuantity(raw);
  const storage = bytes === undefined ? 'not requested' : `${fmtBytes(bytes)} requested`;
  const extra = { target: pod, details: { ephemeralRequest: raw ?? null } };
  if (bytes === undefined)
    out.push(report('ephemeral-default', { pod, default: fmtBytes(FARGATE_DEFAULT_EPHEMERAL) }, extra));
  else if (bytes > FARGATE_MAX_EPHEMERAL)
    out.push(
      report('ephemeral-over-max', { pod, storage: fmtBytes(bytes), max: fmtBytes(FARGATE_MAX_EPHEMERAL) }, extra),
    );
  const sidecars = [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])]
    .filter((c) => c !== runner)
    .flatMap((c) => {
      const vendor = sidecarAgent(c.name, c.image);
      return vendor ? [{ container: c.name, vendor }] : [];
    });
  for (const s of sidecars) out.push(report('agent-sidecar', { pod, ...s }, { target: pod, details: s }));
  if (sidecars.length === 0 && injector)
    out.push(report('agent-webhook', { pod, ...injector }, { target: pod, details: injector }));
  if (out.length === 0) out.push(report('no-agent', { pod, storage }, extra));
  return out;
}
