// The in-pod facts of one runner environment. The probe runs once per target — on this host with
// --local, through exec in each runner pod otherwise — and its output feeds seven named facts, so a
// check's `needs` says what it reads and the snapshot holds each by name.
import { FactError, type FactMap, type FactName } from '../../engine/facts.ts';
import type { Target } from '../../engine/types.ts';
import { type CollectContext, type Collector, collector } from '../collector.ts';
import { kube } from '../kube/collectors.ts';
import { EXEC_RULE, probePod } from '../kube/pod-exec.ts';
import { forbiddenFor } from '../kube/client.ts';
import { runLocalProbe } from '../local/probe.ts';
import type { ProbeFacts } from './parse.ts';

/** One SelfSubjectAccessReview per namespace before any exec there: a refused WebSocket upgrade says nothing useful. */
export async function requireExec(ctx: Pick<CollectContext, 'run' | 'shared'>, namespace: string): Promise<void> {
  const { client } = kube(ctx);
  const allowed = await ctx.shared(`can-exec:${namespace}`, async () => {
    const r = await client.request<{ status?: { allowed?: boolean } }>(
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      {
        method: 'POST',
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: { resourceAttributes: { verb: 'create', group: '', resource: 'pods', subresource: 'exec', namespace } },
        },
      },
    );
    return r.status?.allowed === true;
  });
  if (!allowed) throw forbiddenFor(EXEC_RULE, namespace);
}

function probe(ctx: CollectContext, target: Target): Promise<ProbeFacts> {
  return ctx.shared(`probe:${target.name}`, async () => {
    if (target.kind === 'local')
      return runLocalProbe({ ...ctx.run.local, timeoutMs: ctx.run.probeTimeoutMs }, ctx.run.signal);
    const pod = target.pod;
    if (target.kind !== 'pod' || !pod)
      throw ctx.run.discoveryError ?? new FactError('unavailable', `in-pod facts are not collected for ${target.name}`);
    await requireExec(ctx, pod.namespace);
    const { access, client } = kube(ctx);
    return ctx.run.execSlots.run(() =>
      probePod(access, pod.namespace, pod.name, pod.container, {
        timeoutMs: ctx.run.probeTimeoutMs,
        signal: ctx.run.signal,
        onRequest: () => {
          client.requests++;
        },
      }),
    );
  });
}

type ProbeFact = keyof ProbeFacts & FactName;

const fromProbe = <N extends ProbeFact>(name: N, describe: string): Collector<N> =>
  collector({
    name,
    scope: 'target',
    describe,
    rbac: [EXEC_RULE],
    // The pods to exec into are found through the runner pods.
    uses: ['runnerPods'],
    // ProbeFacts is Pick<FactMap, …>: the same type, which TypeScript cannot see through a generic N.
    collect: async (ctx) => (await probe(ctx, ctx.target))[name] as FactMap[N],
  });

export const POD_COLLECTORS = [
  fromProbe(
    'runtimes',
    'python3, java and the JVM flags, RESTRICTED script mode prerequisites, preloaded libraries (the probe, through exec)',
  ),
  fromProbe('filesystem', '/tmp, /dev/shm, the working directory and / (writable, noexec, free space)'),
  fromProbe('cgroup', "the container's cgroup v1/v2 memory, CPU and pids limits, usage and OOM kills"),
  fromProbe('identity', "the runner process's uid/gid, capabilities, no_new_privs and seccomp mode"),
  fromProbe('env', "the runner's variables: names, lengths and placeholder flags; values only for non-secret names"),
  fromProbe(
    'credentials',
    'projected identity token files: present, readable, and their exp claim (read inside the pod)',
  ),
  fromProbe('kernel', "vm.overcommit_memory and the process's ulimits"),
] as const;
