// Egress as seen from each vantage point: this process (the doctor, or the local host inside a runner)
// tests every endpoint stage by stage; each runner pod runs the same test through exec with its own
// network, DNS and proxy settings. `egressViews` gathers them for the side-by-side conclusion.
import { type EgressView, type RunnerSettings, settingsFromEnv } from '../../domain/egress.ts';
import { isRunning, literalEnv, podName, runnerContainer } from '../../domain/runner.ts';
import { FactError } from '../../engine/facts.ts';
import type { Pod } from '../../domain/kube.ts';
import { type CollectContext, collector } from '../collector.ts';
import { kube } from '../kube/collectors.ts';
import { EXEC_RULE, execError, execInPod } from '../kube/pod-exec.ts';
import { requireExec } from '../pod/collectors.ts';
import { newNonce } from '../pod/script.ts';
import { inPodEgressScript, parseInPodEgress } from './in-pod.ts';

/** The runner's settings as its pod spec states them (literal env and image). */
function podSettings(p: Pod | undefined) {
  return p ? settingsFromEnv(Object.fromEntries(literalEnv(p)), runnerContainer(p)?.image) : undefined;
}

/** With the region of the runner's nodes, which only an ACR pull needs (its data endpoint is regional). */
async function withClusterRegion(ctx: CollectContext, p: Pod | undefined): Promise<RunnerSettings | undefined> {
  const s = podSettings(p);
  if (!s || !/\.azurecr\.io\//.test(s.image ?? '')) return s;
  const { region } = await ctx.get('clusterRegion').catch(() => ({ region: undefined }));
  return region ? { ...s, clusterRegion: region } : s;
}

async function doctorView(ctx: CollectContext): Promise<EgressView> {
  const { run } = ctx;
  if (ctx.target.kind === 'local')
    return run.egress.doctorView('local', settingsFromEnv(run.env), run.env, true, run.signal);
  // The endpoints the runner's own settings need; without its pods, the vendor's control plane only.
  const pods = await ctx.get('runnerPods').catch(() => [] as Pod[]);
  const settings = await withClusterRegion(ctx, pods.find(isRunning) ?? pods[0]);
  return run.egress.doctorView('doctor', settings, run.env, false, run.signal);
}

async function podView(ctx: CollectContext): Promise<EgressView> {
  const pod = ctx.target.pod;
  if (!pod) throw ctx.run.discoveryError ?? new FactError('unavailable', `no egress view for ${ctx.target.name}`);
  const { access, client } = kube(ctx);
  const spec = (await ctx.get('runnerPods')).find((p) => podName(p) === ctx.target.name);
  const targets = ctx.run.egress.targetsFor(await withClusterRegion(ctx, spec));
  if (!targets.length) return { from: ctx.target.name, tool: 'none', results: [] };
  await requireExec(ctx, pod.namespace);
  const nonce = newNonce();
  const t = ctx.run.egress.timeouts;
  // The stages' timeouts bound the script; the exec's own hard timeout adds slack for start-up.
  const budget = t.dns + t.tcp + t.tls + t.http + 5000;
  const r = await ctx.run.execSlots
    .run(() =>
      execInPod(access, pod.namespace, pod.name, pod.container, ['sh', '-c', inPodEgressScript(targets, nonce, t)], {
        timeoutMs: budget,
        maxBytes: 512 * 1024,
        signal: ctx.run.signal,
        onRequest: () => void client.requests++,
      }),
    )
    .catch((e: unknown) => {
      throw execError(e, pod.namespace, pod.name);
    });
  if (r.aborted)
    throw new FactError(
      'deadline',
      `the egress test in ${ctx.target.name} was stopped: the run's deadline passed`,
      'raise --timeout',
    );
  const parsed = parseInPodEgress(r.stdout, nonce, targets);
  if (!parsed.results.length)
    throw new FactError(
      'probe',
      `the egress test in ${ctx.target.name} printed nothing usable${r.timedOut ? ' (timed out)' : ''}${r.stderr ? ` (stderr: ${(r.stderr.split('\n')[0] ?? '').slice(0, 120)})` : ''}`,
      'run it by hand with kubectl exec to see why',
    );
  return { from: ctx.target.name, tool: parsed.tool, results: parsed.results };
}

export const egress = collector({
  name: 'egress',
  scope: 'target',
  describe: 'DNS → TCP → proxy CONNECT → TLS → HTTP to every endpoint the runner needs, from this vantage point',
  rbac: [EXEC_RULE],
  // clusterRegion: only for an ACR image, whose data endpoint is in the nodes' region.
  uses: ['runnerPods', 'clusterRegion'],
  async collect(ctx) {
    const view = ctx.target.kind === 'pod' ? await podView(ctx) : await doctorView(ctx);
    if (ctx.run.signal.aborted)
      throw new FactError(
        'deadline',
        `the egress test from ${ctx.target.name} was stopped: the run's deadline passed`,
        'raise --timeout',
      );
    return view;
  },
});

export const egressViews = collector({
  name: 'egressViews',
  scope: 'run',
  describe: "every vantage point's egress view, side by side",
  rbac: [],
  uses: ['egress'],
  // A view that cannot be had (exec forbidden, a pod gone) is left out: the comparison says what it has.
  partial: true,
  afterDiscovery: true,
  async collect(ctx) {
    const doctor = { kind: 'doctor' as const, name: 'doctor' };
    const views = await Promise.allSettled([doctor, ...ctx.run.podTargets].map((t) => ctx.getFor(t, 'egress')));
    return views.flatMap((v) => (v.status === 'fulfilled' ? [v.value] : []));
  },
});

export const EGRESS_COLLECTORS = [egress, egressViews] as const;
