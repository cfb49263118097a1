// The identity exchange and the script runner TCP test of one runner environment: through exec in a
// runner pod (one `sh -c` script, the pod's own env and token), or with --local in a `/bin/sh` child of
// this process with its environment (the same script, as a runner container would run it).
import { spawn } from 'node:child_process';
import type { IdentityExchange } from '../../domain/identity.ts';
import type { Pod } from '../../domain/kube.ts';
import { podName, runnerContainer } from '../../domain/runner.ts';
import { SCRIPT_RUNNER_HOST_VAR, type ScriptRunnerReach } from '../../domain/script-runner.ts';
import { FactError } from '../../engine/facts.ts';
import { type CollectContext, collector } from '../collector.ts';
import { kube } from '../kube/collectors.ts';
import { CappedBuffer } from '../pod/output.ts';
import { EXEC_RULE, execError, execInPod } from '../kube/pod-exec.ts';
import { requireExec } from '../pod/collectors.ts';
import { newNonce } from '../pod/script.ts';
import { type IdentityOutput, type IdentityTask, identityScript, parseIdentityOutput } from './in-pod.ts';

/** Seconds one request of the exchange may take: the egress stages' TCP and HTTP timeouts. */
const requestTimeoutS = (ctx: CollectContext) =>
  Math.max(2, Math.ceil((ctx.run.egress.timeouts.tcp + ctx.run.egress.timeouts.http) / 1000));

async function runLocal(ctx: CollectContext, task: IdentityTask, nonce: string, budgetMs: number): Promise<string> {
  const env = { ...(ctx.run.local.env ?? ctx.run.env), RD_ROOT: ctx.run.local.root ?? '' };
  const out = new CappedBuffer(256 * 1024);
  const shell = ctx.run.local.shell ?? '/bin/sh';
  await new Promise<void>((resolve, reject) => {
    const child = spawn(shell, ['-c', identityScript(task, nonce, requestTimeoutS(ctx))], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
      signal: ctx.run.signal,
      timeout: budgetMs,
    });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.on('error', (e) =>
      e.name === 'AbortError'
        ? reject(
            new FactError('deadline', "the identity test was stopped: the run's deadline passed", 'raise --timeout'),
          )
        : reject(new FactError('probe', `could not start ${shell}: ${e.message}`, 'runner-doctor needs a POSIX shell')),
    );
    child.on('close', () => resolve());
  });
  return out.text();
}

/** Runs one task in the target (a pod through exec, or this host) and parses what it printed. */
async function run(ctx: CollectContext, task: IdentityTask): Promise<IdentityOutput> {
  const nonce = newNonce();
  // Two requests at most, each bounded by the script itself; the exec's hard timeout adds start-up slack.
  const budgetMs = 2 * requestTimeoutS(ctx) * 1000 + 5000;
  const target = ctx.target;
  let stdout: string;
  if (target.kind === 'local') stdout = await runLocal(ctx, task, nonce, budgetMs);
  else {
    const pod = target.pod;
    if (target.kind !== 'pod' || !pod)
      throw ctx.run.discoveryError ?? new FactError('unavailable', `not collected for ${target.name}`);
    await requireExec(ctx, pod.namespace);
    const { access, client } = kube(ctx);
    const r = await ctx.run.execSlots
      .run(() =>
        execInPod(
          access,
          pod.namespace,
          pod.name,
          pod.container,
          ['sh', '-c', identityScript(task, nonce, requestTimeoutS(ctx))],
          {
            timeoutMs: budgetMs,
            maxBytes: 256 * 1024,
            signal: ctx.run.signal,
            onRequest: () => void client.requests++,
          },
        ),
      )
      .catch((e: unknown) => {
        throw execError(e, pod.namespace, pod.name);
      });
    if (r.aborted)
      throw new FactError(
        'deadline',
        `the identity test in ${target.name} was stopped: the run's deadline passed`,
        'raise --timeout',
      );
    stdout = r.stdout;
  }
  const parsed = parseIdentityOutput(stdout, nonce, task);
  if (!parsed.exchange && !parsed.reach)
    throw new FactError(
      'probe',
      `the identity test in ${target.name} printed nothing usable`,
      'the container needs a POSIX /bin/sh; run the exchange by hand with kubectl exec to see why',
    );
  return parsed;
}

/**
 * The exec rule holds whether or not there is anything to exec for: the fact declares it, and the access
 * review is shared with the probe (one per namespace), so asking costs nothing.
 */
async function execAllowed(ctx: CollectContext): Promise<void> {
  const pod = ctx.target.pod;
  if (ctx.target.kind !== 'pod') return;
  if (!pod) throw ctx.run.discoveryError ?? new FactError('unavailable', `not collected for ${ctx.target.name}`);
  await requireExec(ctx, pod.namespace);
}

/** The runner pod's spec, for deciding whether there is anything to test before any exec. */
async function specOf(ctx: CollectContext): Promise<Pod | undefined> {
  if (ctx.target.kind !== 'pod') return undefined;
  return (await ctx.get('runnerPods')).find((p) => podName(p) === ctx.target.name);
}

export const identityExchange = collector({
  name: 'identityExchange',
  scope: 'target',
  describe:
    "the pod's own projected token exchanged as its SDK would, from inside the pod (STS AssumeRoleWithWebIdentity, the Azure AD token endpoint, the GKE metadata server, the EKS Pod Identity agent): outcome, identity obtained, the token's claims; no token or credential leaves the pod",
  rbac: [EXEC_RULE],
  uses: ['runnerPods'],
  async collect(ctx): Promise<IdentityExchange> {
    await execAllowed(ctx);
    if (!ctx.run.identityExchange) return { tool: 'none', outcome: 'skipped', skipped: 'disabled' };
    const r = await run(ctx, 'exchange');
    if (!r.exchange) throw new FactError('probe', `the identity exchange in ${ctx.target.name} printed no result`);
    return r.exchange;
  },
});

export const scriptRunnerReach = collector({
  name: 'scriptRunnerReach',
  scope: 'target',
  describe: `a TCP connection from this runner environment to the script runner's sshd (${SCRIPT_RUNNER_HOST_VAR}, port 2222), when it is configured`,
  rbac: [EXEC_RULE],
  uses: ['runnerPods'],
  async collect(ctx): Promise<ScriptRunnerReach> {
    await execAllowed(ctx);
    // Only where the runner is configured for one: no exec into pods that have none.
    if (ctx.target.kind === 'pod') {
      const spec = await specOf(ctx);
      const named = (runnerContainer(spec ?? {})?.env ?? []).some((e) => e.name === SCRIPT_RUNNER_HOST_VAR);
      if (!named) return { enabled: false, tool: 'none' };
    } else if (!(ctx.run.local.env ?? ctx.run.env)[SCRIPT_RUNNER_HOST_VAR]) return { enabled: false, tool: 'none' };
    const r = await run(ctx, 'tcp');
    if (!r.reach) throw new FactError('probe', `the script runner test in ${ctx.target.name} printed no result`);
    return r.reach;
  },
});

export const IDENTITY_COLLECTORS = [identityExchange, scriptRunnerReach] as const;
