// Cluster checks whose faults the local control plane cannot produce: an API server older than 1.29
// (only v1.36 is built here), and the container-state branches in full (the integration tests also
// patch restarts, OOMKilled and ImagePullBackOff into real pod status). The snapshot is a stub returning
// API-shaped objects: the one place the cluster side is not the real API server, because no real
// counterpart can run here.
import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { runChecks } from '../../src/engine/run.ts';
import { factSource } from '../../src/facts/fact-map.ts';
import type { KubeSnapshot } from '../../src/facts/kube/snapshot.ts';
import type { CheckDef } from '../../src/engine/types.ts';
import version from '../../checks/cluster/version.ts';
import podHealth from '../../checks/workload/pod-health.ts';
import { parseWarnings } from '../../src/facts/kube/client.ts';
import { egressVerdict, ingressVerdict } from '../../src/facts/kube/netpol.ts';
import { parseQuantity } from '../../src/facts/kube/quantity.ts';

const run = async (check: CheckDef, snap: Partial<KubeSnapshot>) =>
  (await runChecks({ checks: [check], targets: [{ target: { kind: 'cluster', name: 'cluster' }, scopes: ['cluster'], source: factSource({ kube: () => snap as KubeSnapshot }, 'cluster') }] })).results;

const pod = (name: string, status: V1Pod['status']): V1Pod => ({ metadata: { name, namespace: 'matillion' }, spec: { containers: [{ name: 'matillion-runner-pods', image: 'public.ecr.aws/matillion/etl-agent:stable' }] }, status });

describe('cluster.version', () => {
  it('warns below 1.29 about support and the tcp_keepalive_time sysctl', async () => {
    const [r] = await run(version as CheckDef, { version: async () => ({ major: 1, minor: 28, gitVersion: 'v1.28.9-eks-1' }) });
    expect(r).toMatchObject({ status: 'warn', message: expect.stringMatching(/older than 1\.29.*SysctlForbidden/) });
  });
  it('passes from 1.29', async () => {
    const [r] = await run(version as CheckDef, { version: async () => ({ major: 1, minor: 29, gitVersion: 'v1.29.0' }) });
    expect(r!.status).toBe('pass');
  });
});

describe('workload.pod-health', () => {
  it('tells apart crash loops, OOM kills, image pulls, restarts and healthy pods', async () => {
    const pods = [
      pod('crash', { phase: 'Running', containerStatuses: [{ name: 'c', image: '', imageID: '', ready: false, restartCount: 9, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }] }),
      pod('oom', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', image: '', imageID: '', ready: true, restartCount: 1, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }] }),
      pod('pull', { phase: 'Pending', containerStatuses: [{ name: 'c', image: '', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }] }),
      pod('restarts', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', image: '', imageID: '', ready: true, restartCount: 7 }] }),
      pod('fine', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', image: '', imageID: '', ready: true, restartCount: 0 }] }),
    ];
    const rs = await run(podHealth as CheckDef, { runnerPods: async () => pods, events: async () => [], deployments: async () => [] });
    const by = Object.fromEntries(rs.map((r) => [r.target.split('/')[1], r]));
    expect(by.crash).toMatchObject({ status: 'fail', message: 'CrashLoopBackOff after 9 restarts (last exit: OOMKilled)' });
    expect(by.oom).toMatchObject({ status: 'warn', message: expect.stringMatching(/OOMKilled/) });
    expect(by.pull).toMatchObject({ status: 'fail', message: expect.stringMatching(/ImagePullBackOff/) });
    expect(by.pull!.remediation!.text).toMatch(/public\.ecr\.aws, api\.ecr-public\.us-east-1\.amazonaws\.com/);
    expect(by.restarts).toMatchObject({ status: 'warn', message: '7 restarts' });
    expect(by.fine!.status).toBe('pass');
  });
});

describe('Kubernetes helpers', () => {
  it('parses Warning headers joined by commas, with escaped quotes', () => {
    expect(parseWarnings('299 - "existing pods in namespace \\"m\\" violate", 299 - "pod-a: runAsNonRoot != true"')).toEqual(['existing pods in namespace "m" violate', 'pod-a: runAsNonRoot != true']);
  });
  it('parses quantities', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('4Gi')).toBe(4 * 1024 ** 3);
    expect(parseQuantity('16')).toBe(16);
    expect(parseQuantity('1e3')).toBe(1000);
  });
  it('NetworkPolicy union: a default deny plus an allowing policy allows; named ports match ingress', () => {
    const deny = { metadata: { name: 'deny' }, spec: { podSelector: {}, policyTypes: ['Egress', 'Ingress'] } };
    const allow = { metadata: { name: 'allow' }, spec: { podSelector: {}, policyTypes: ['Egress', 'Ingress'], egress: [{ ports: [{ port: 443, protocol: 'TCP' }] }], ingress: [{ from: [{ namespaceSelector: { matchLabels: { name: 'monitoring' } } }], ports: [{ port: 'metrics' }] }] } };
    expect(egressVerdict([deny] as never, 443, 'TCP').allowed).toBe('none');
    expect(egressVerdict([deny, allow] as never, 443, 'TCP')).toMatchObject({ allowed: 'anywhere', by: ['allow'] });
    expect(egressVerdict([deny, allow] as never, 53, 'UDP').allowed).toBe('none');
    expect(ingressVerdict([deny, allow] as never, 8080, ['metrics']).allowed).toBe('cluster');
    expect(ingressVerdict([deny, allow] as never, 8080, []).allowed).toBe('none');
  });
});
