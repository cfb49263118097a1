// Extra builders for the cluster check tables: pod status faults as a kubelet reports them, runner
// container edits, events, and egress results stage by stage. They start from fixtures.ts's healthy
// objects and change one thing.
import type { EgressTarget, EgressView, EndpointResult, StageName } from '../../../src/domain/egress.ts';
import type { EventInfo, Pod } from '../../../src/domain/kube.ts';
import type { FactMap } from '../../../src/engine/facts.ts';
import { edit, healthyCluster, NOW, NS } from './fixtures.ts';

type Facts = Partial<FactMap>;
type Container = NonNullable<Pod['spec']>['containers'][number];
type ContainerStatus = NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number];

/** The healthy cluster with the first runner pod changed (its Deployment's template is left alone). */
export function firstPod(f: (p: Pod) => void, facts: Facts = healthyCluster()): Facts {
  return edit(facts, (x) => {
    const p = x.runnerPods?.[0];
    if (p) f(p);
  });
}

/** The runner container's status of a pod, to edit in place. */
export function runnerStatus(p: Pod): ContainerStatus {
  const s = p.status?.containerStatuses?.[0];
  if (!s) throw new Error('fixture pod without a container status');
  return s;
}

/** The runner container of every runner pod and of the Deployment's template, changed the same way. */
export function everyRunnerContainer(f: (c: Container) => void, facts: Facts = healthyCluster()): Facts {
  return edit(facts, (x) => {
    for (const p of x.runnerPods ?? []) for (const c of p.spec?.containers ?? []) f(c);
    for (const d of x.runnerDeployments ?? []) for (const c of d.spec?.template?.spec?.containers ?? []) f(c);
  });
}

/** The healthy cluster with every runner pod (and template) changed the same way. */
export function everyRunnerPod(
  f: (spec: NonNullable<Pod['spec']>, meta: NonNullable<Pod['metadata']>) => void,
  facts: Facts = healthyCluster(),
): Facts {
  return edit(facts, (x) => {
    for (const p of x.runnerPods ?? []) if (p.spec && p.metadata) f(p.spec, p.metadata);
    for (const d of x.runnerDeployments ?? []) {
      const t = d.spec?.template;
      if (t?.spec) f(t.spec, (t.metadata ??= {}));
    }
  });
}

export const event = (name: string, over: Partial<EventInfo> = {}): EventInfo => ({
  namespace: NS,
  kind: 'Pod',
  name,
  type: 'Warning',
  reason: 'FailedScheduling',
  message: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.",
  count: 3,
  last: new Date(NOW - 60_000).toISOString(),
  ...over,
});

// --- egress ---------------------------------------------------------------------------------------

export const egressTarget = (host: string, over: Partial<EgressTarget> = {}): EgressTarget => ({
  name: host,
  host,
  port: 443,
  tls: true,
  publicCA: true,
  purpose: 'vendor control plane API',
  ...over,
});

/** A result that passed every stage, as the doctor's node probe reports it. */
export const reached = (host: string, over: Partial<EndpointResult> = {}): EndpointResult => ({
  target: egressTarget(host),
  tool: 'node',
  dns: { ok: true, ms: 2, addresses: ['203.0.113.10'] },
  tcp: { ok: true, ms: 5.4, address: '203.0.113.10' },
  tls: {
    ok: true,
    ms: 20,
    protocol: 'TLSv1.3',
    subject: `CN=${host}`,
    issuer: 'CN=Amazon RSA 2048 M02, O=Amazon',
    trust: 'system',
  },
  http: { ok: true, ms: 31, status: 401 },
  totalMs: 58,
  ...over,
});

/** A result that failed at `stage` with a failure class; the stages before it passed. */
export function failedAt(
  host: string,
  stage: StageName,
  error: string | undefined,
  over: Partial<EndpointResult> = {},
): EndpointResult {
  const ok = reached(host);
  const order: StageName[] = ['dns', 'tcp', 'proxy', 'tls', 'http'];
  const r: EndpointResult = { target: ok.target, tool: 'node', totalMs: 3000, failedStage: stage };
  for (const s of order.slice(0, order.indexOf(stage))) {
    if (s === 'dns') r.dns = ok.dns;
    if (s === 'tcp') r.tcp = ok.tcp;
    if (s === 'tls') r.tls = ok.tls;
  }
  const failed = {
    ok: false,
    ms: 3000,
    ...(error ? { error } : {}),
    ...(error ? { detail: `${error} (${host})` } : {}),
  };
  if (stage === 'dns') r.dns = failed;
  else if (stage === 'tcp') r.tcp = failed;
  else if (stage === 'proxy') r.proxy = { ...failed, status: 403 };
  else if (stage === 'tls') r.tls = { ...failed, issuer: 'CN=Corp Inspection CA' };
  else r.http = failed;
  return { ...r, ...over };
}

export const view = (
  from: string,
  results: EndpointResult[],
  tool = from === 'doctor' ? 'node' : 'python3',
): EgressView => ({ from, tool, results });
