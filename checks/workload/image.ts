import { defineCheck, info, pass, warn } from '../../src/engine/define.ts';
import type { Outcome } from '../../src/engine/types.ts';
import { podName, runnerContainer } from '../../src/facts/kube/runner.ts';

const KNOWN_REPOS = [/^public\.ecr\.aws\/matillion\/etl-agent$/, /^matillion\.azurecr\.io\/cloud-agent$/, /^(europe|us|australia-southeast1)-docker\.pkg\.dev\/maia-492711\/maia-runners\/maia-runner$/];

export function splitImage(image: string): { repo: string; tag?: string; digest?: string } {
  const [name, digest] = image.split('@');
  const slash = name!.lastIndexOf('/');
  const colon = name!.lastIndexOf(':');
  return colon > slash ? { repo: name!.slice(0, colon), tag: name!.slice(colon + 1), digest } : { repo: name!, digest };
}

export default defineCheck({
  id: 'workload.image',
  title: 'Runner image is a supported track and matches what runs',
  category: 'workload',
  scope: 'cluster',
  severity: 'warn',
  docs: {
    what: 'Reads the runner container image: repository, tag (stable/current or a digest pin are supported), imagePullPolicy, and whether the running image ID matches a digest pin.',
    why: 'Tags other than stable/current are outside the vendor support window; a digest that differs from what runs means the pod runs something else than the spec says.',
    fix: 'Use the `stable` track (monthly, for production) or `current`, or pin a digest of one of them; keep imagePullPolicy Always for moving tags.',
  },
  needs: ['kube'],
  requires: ['workload.runner-pods'],
  async run({ fact }) {
    const pods = await (await fact('kube')).runnerPods();
    const out: Outcome[] = [];
    for (const p of pods) {
      const c = runnerContainer(p);
      if (!c?.image) continue;
      const target = podName(p);
      const { repo, tag, digest } = splitImage(c.image);
      const status = p.status?.containerStatuses?.find((s) => s.name === c.name);
      const details = { image: c.image, imageID: status?.imageID, imagePullPolicy: c.imagePullPolicy };
      if (digest && status?.imageID && !status.imageID.endsWith(digest)) {
        out.push(warn(`spec pins ${digest.slice(0, 19)}… but the container runs ${status.imageID.split('@').at(-1)?.slice(0, 19)}…`, { target, details, remediation: 'restart the pod so it runs the pinned digest, and check nothing rewrites images (admission webhook, mirror)' }));
        continue;
      }
      const known = KNOWN_REPOS.some((r) => r.test(repo));
      if (!digest && tag !== 'stable' && tag !== 'current') {
        out.push(warn(`image tag "${tag ?? '(none: latest)'}" is not a supported track (stable or current)`, { target, details, remediation: 'set the image tag Helm value to stable (or current), or pin a digest of one of them' }));
        continue;
      }
      if (!digest && c.imagePullPolicy && c.imagePullPolicy !== 'Always') {
        out.push(warn(`moving tag ${tag} with imagePullPolicy ${c.imagePullPolicy}: nodes keep running an old image`, { target, details, remediation: 'set imagePullPolicy: Always for the stable/current tags (the chart does by default)' }));
        continue;
      }
      if (!known) out.push(info(`${c.image} is not one of the vendor's repositories (a mirror?)`, { target, details }));
      else out.push(pass(`${c.image}${digest ? ' (digest pin)' : ''}, pull policy ${c.imagePullPolicy ?? 'default'}`, { target, details }));
    }
    return out.length ? out : [info('no runner container image to check')];
  },
});
