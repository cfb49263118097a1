import { HELM } from '../../src/domain/chart.ts';
import { listOf } from '../../src/domain/format.ts';
import type { Pod } from '../../src/domain/kube.ts';
import { splitImage } from '../../src/domain/platforms.ts';
import { runnerContainer } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const RESTART = 'kubectl rollout restart deployment -n {{namespace}} -l app.kubernetes.io/name=matillion-runner';

const messages = {
  same: { status: 'pass', text: 'all {{count}} runner pod(s) of {{image}} run the same image ({{digest}})' },
  'same-now': {
    status: 'info',
    text: 'all {{count}} runner pods of {{image}} run the same image now ({{digest}}), but the rolling tag {{tag}} with imagePullPolicy {{policy}} lets them drift apart when the tag moves (see workload.image)',
  },
  drift: {
    status: 'warn',
    text: 'the {{count}} runner pods of {{image}} run {{n}} different images ({{list}}): imagePullPolicy {{policy}} keeps whichever copy of the rolling tag {{tag}} each node pulled first',
    fix: `set ${HELM.pullPolicy}: Always (the chart's default) or pin a digest (${HELM.imageDigest}), then restart the runner pods so they all run one build`,
    command: RESTART,
  },
  'drift-always': {
    status: 'warn',
    text: 'the {{count}} runner pods of {{image}} run {{n}} different images ({{list}}): imagePullPolicy Always pulls on each start, so the tag {{tag}} moved between the pods’ starts',
    fix: `pin a digest (${HELM.imageDigest}) so every replica runs the same build, or restart the older pods`,
    command: RESTART,
  },
  'no-image-ids': { status: 'info', text: 'no runner container has started yet: no image digest to compare' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

export default defineCheck({
  id: 'workload.image-drift',
  title: 'Runner replicas run the same image build',
  category: 'workload',
  scope: 'cluster',
  docs: {
    what: 'Compares the image digest (imageID) each runner pod actually runs across the replicas of the same image reference, and names the pull policy that lets them differ.',
    why: '`current` (and `stable`) are rolling tags: with imagePullPolicy IfNotPresent each node keeps the copy it pulled first, so replicas run different runner versions and tasks behave differently depending on the pod they land on.',
    fix: `Keep ${HELM.pullPolicy}: Always for the rolling tags, or pin a digest with ${HELM.imageDigest}; restart the pods after changing it.`,
  },
  needs: ['runnerPods'],
  requires: ['workload.runner-pods'],
  messages,
  judge({ runnerPods }, ctx) {
    const groups = new Map<string, Pod[]>();
    for (const p of runnerPods) {
      const image = runnerContainer(p)?.image;
      if (!image) continue;
      const key = `${p.metadata?.namespace}\u0000${image}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    const out = [...groups.values()].flatMap((pods) => judgeGroup(pods, ctx));
    return out.length ? out : ctx.report('no-image-ids');
  },
});

const digestOf = (imageID: string) => imageID.split('@').at(-1) ?? imageID;
const short = (digest: string) => (digest.length > 19 ? `${digest.slice(0, 19)}…` : digest);

function judgeGroup(pods: Pod[], { report }: JudgeContext<Id>): Finding<Id>[] {
  const c = runnerContainer(pods[0] ?? {});
  const image = c?.image ?? '';
  const { tag, digest: pinned } = splitImage(image);
  const policy = c?.imagePullPolicy ?? (tag === 'latest' || !tag ? 'Always' : 'IfNotPresent');
  const byDigest = new Map<string, string[]>();
  for (const p of pods) {
    const name = runnerContainer(p)?.name;
    const id = p.status?.containerStatuses?.find((s) => s.name === name)?.imageID;
    if (!id) continue;
    const d = digestOf(id);
    byDigest.set(d, [...(byDigest.get(d) ?? []), p.metadata?.name ?? '?']);
  }
  if (byDigest.size === 0) return [];
  const namespace = pods[0]?.metadata?.namespace ?? 'default';
  const started = [...byDigest.values()].reduce((a, x) => a + x.length, 0);
  const target = `${namespace}: ${image}`;
  const details = { image, imagePullPolicy: policy, digests: Object.fromEntries(byDigest) };
  const [only = ''] = byDigest.keys();
  if (byDigest.size === 1) {
    const rolling = !pinned && policy !== 'Always';
    const vars = { count: started, image, digest: short(only), tag: tag ?? 'latest', policy };
    return [report(rolling && started > 1 ? 'same-now' : 'same', vars, { target, details })];
  }
  const list = listOf(
    [...byDigest].map(([d, names]) => `${short(d)} on ${listOf(names, 3)}`),
    4,
  );
  const vars = { count: started, image, n: byDigest.size, list, policy, tag: tag ?? 'latest', namespace };
  return [report(policy === 'Always' ? 'drift-always' : 'drift', vars, { target, details })];
}
