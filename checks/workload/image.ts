import type { Pod } from '../../src/domain/kube.ts';
import { IMAGE_TRACKS, splitImage, VENDOR_REPOSITORIES } from '../../src/domain/platforms.ts';
import { podName, runnerContainer } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { JudgeContext, MessageDef } from '../../src/engine/types.ts';

const messages = {
  supported: { status: 'pass', text: '{{image}}{{pin}}, pull policy {{policy}}' },
  mirror: { status: 'info', text: "{{image}} is not one of the vendor's repositories (a mirror?)" },
  'digest-mismatch': {
    status: 'warn',
    text: 'spec pins {{pinned}}… but the container runs {{running}}…',
    fix: 'restart the pod so it runs the pinned digest, and check nothing rewrites images (admission webhook, mirror)',
  },
  'unsupported-tag': {
    status: 'warn',
    text: 'image tag "{{tag}}" is not a supported track (stable or current)',
    fix: 'set the image tag Helm value to stable (or current), or pin a digest of one of them',
  },
  'pull-policy': {
    status: 'warn',
    text: 'moving tag {{tag}} with imagePullPolicy {{policy}}: nodes keep running an old image',
    fix: 'set imagePullPolicy: Always for the stable/current tags (the chart does by default)',
  },
  'no-image': { status: 'info', text: 'no runner container image to check' },
} satisfies Record<string, MessageDef>;

const isTrack = (tag: string | undefined): boolean => IMAGE_TRACKS.some((t) => t === tag);

export default defineCheck({
  id: 'workload.image',
  title: 'Runner image is a supported track and matches what runs',
  category: 'workload',
  scope: 'cluster',
  docs: {
    what: 'Reads the runner container image: repository, tag (stable/current or a digest pin are supported), imagePullPolicy, and whether the running image ID matches a digest pin.',
    why: 'Tags other than stable/current are outside the vendor support window; a digest that differs from what runs means the pod runs something else than the spec says.',
    fix: 'Use the `stable` track (monthly, for production) or `current`, or pin a digest of one of them; keep imagePullPolicy Always for moving tags.',
  },
  needs: ['runnerPods'],
  requires: ['workload.runner-pods'],
  messages,
  judge({ runnerPods }, ctx) {
    const out = runnerPods.flatMap((p) => judgePod(p, ctx));
    return out.length ? out : ctx.report('no-image');
  },
});

function judgePod(p: Pod, { report }: JudgeContext<keyof typeof messages>) {
  const c = runnerContainer(p);
  if (!c?.image) return [];
  const target = podName(p);
  const { repo, tag, digest } = splitImage(c.image);
  const imageID = p.status?.containerStatuses?.find((s) => s.name === c.name)?.imageID;
  const policy = c.imagePullPolicy;
  const details = { image: c.image, imageID, imagePullPolicy: policy };
  if (digest && imageID && !imageID.endsWith(digest)) {
    return [
      report(
        'digest-mismatch',
        { pinned: digest.slice(0, 19), running: (imageID.split('@').at(-1) ?? imageID).slice(0, 19) },
        { target, details },
      ),
    ];
  }
  if (!digest && !isTrack(tag))
    return [report('unsupported-tag', { tag: tag ?? '(none: latest)' }, { target, details })];
  if (!digest && policy && policy !== 'Always') return [report('pull-policy', { tag, policy }, { target, details })];
  if (!VENDOR_REPOSITORIES.some((r) => r.test(repo)))
    return [report('mirror', { image: c.image }, { target, details })];
  return [
    report(
      'supported',
      { image: c.image, pin: digest ? ' (digest pin)' : '', policy: policy ?? 'default' },
      { target, details },
    ),
  ];
}
