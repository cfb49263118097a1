// Pure knowledge under src/domain/ and the collectors' reducers: the Prometheus text parser, the scheduler's
// arithmetic, JVM options, NetworkPolicy semantics, quantities, Warning headers.
import { describe, expect, it } from 'vitest';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { parseExposition, samplesOf } from '../../src/domain/prometheus.ts';
import { detectAutoscaler, fitPerNode, ineligibleReason, podRequests, tolerates } from '../../src/domain/scheduling.ts';
import { effectiveHeap, heapSetting, parseJvmSize } from '../../src/domain/jvm.ts';
import { egressVerdict, ingressVerdict } from '../../src/domain/netpol.ts';
import { parseQuantity } from '../../src/domain/quantity.ts';
import { parseWarnings } from '../../src/facts/kube/client.ts';
import * as reduce from '../../src/facts/kube/reduce.ts';

const GiB = 1024 ** 3;

describe('Prometheus text parser', () => {
  it('reads samples, labels with escapes, special values, timestamps and stops at # EOF', () => {
    const e = parseExposition(
      [
        '# HELP app_version_info Runner version',
        '# TYPE app_version_info gauge',
        'app_version_info{application="agent",version="2026.11.3"} 1.0',
        'weird{path="C:\\\\tmp",quote="say \\"hi\\"",nl="a\\nb",} 2 1700000000000',
        'up NaN',
        'big +Inf',
        'small -Inf',
        'sci 1.5E-3',
        '# EOF',
        'after_eof 1',
      ].join('\n'),
    );
    expect(e.errors).toEqual([]);
    expect(e.types.get('app_version_info')).toBe('gauge');
    expect(samplesOf(e.samples, 'app_version_info')[0]).toEqual({
      name: 'app_version_info',
      labels: { application: 'agent', version: '2026.11.3' },
      value: 1,
    });
    expect(samplesOf(e.samples, 'weird')[0]!.labels).toEqual({ path: 'C:\\tmp', quote: 'say "hi"', nl: 'a\nb' });
    expect(Number.isNaN(samplesOf(e.samples, 'up')[0]!.value)).toBe(true);
    expect(samplesOf(e.samples, 'big')[0]!.value).toBe(Number.POSITIVE_INFINITY);
    expect(samplesOf(e.samples, 'small')[0]!.value).toBe(Number.NEGATIVE_INFINITY);
    expect(samplesOf(e.samples, 'sci')[0]!.value).toBeCloseTo(0.0015);
    expect(samplesOf(e.samples, 'after_eof')).toEqual([]);
  });

  it('records malformed lines with their numbers and keeps the good ones', () => {
    const e = parseExposition(
      'ok 1\n{bad} 1\nno_value\nx{a=1} 2\nx{a="1"} one\nx{a="unterminated} 1\n\u001b[31mred 1\nfine{a="b"} 3\n',
    );
    expect(e.samples.map((s) => s.name)).toEqual(['ok', 'fine']);
    expect(e.errors).toEqual([
      'line 2: no metric name',
      'line 3: expected a value (and an optional timestamp)',
      'line 4: label a has no quoted value',
      'line 5: bad value "one"',
      'line 6: unterminated label value',
      'line 7: no metric name',
    ]);
  });

  it('keeps at most 20 error lines for a huge garbage answer', () => {
    expect(parseExposition('garbage line here\n'.repeat(10_000).replace(/^/gm, '!')).errors).toHaveLength(20);
  });
});

// Nodes and pods as the API returns them, reduced by the collector's own reducers as they would be on arrival.
const node = (
  name: string,
  o: {
    cpu?: string;
    memory?: string;
    labels?: Record<string, string>;
    taints?: NonNullable<V1Node['spec']>['taints'];
    ready?: boolean;
    unschedulable?: boolean;
  } = {},
) =>
  reduce.node({
    metadata: { name, labels: o.labels ?? {} },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: {
      allocatable: { cpu: o.cpu ?? '8', memory: o.memory ?? '32Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  });
const runner = { containers: [{ name: 'r', resources: { requests: { cpu: '1', memory: '4Gi' } } }] };
const bound = (nodeName: string, cpu: string, memory: string) =>
  reduce.clusterPod({
    metadata: { name: `p-${nodeName}-${cpu}`, namespace: 'x' },
    spec: { nodeName, containers: [{ name: 'x', resources: { requests: { cpu, memory } } }] },
    status: { phase: 'Running' },
  } satisfies V1Pod);
const podNamed = (name: string) =>
  reduce.clusterPod({ metadata: { name, namespace: 'kube-system' }, spec: { containers: [] } });

describe('scheduling arithmetic', () => {
  it('counts requests like the scheduler: containers summed, init containers as a max, overhead added', () => {
    expect(
      podRequests({
        containers: [
          { name: 'a', resources: { requests: { cpu: '500m', memory: '1Gi' } } },
          { name: 'b', resources: { requests: { cpu: '250m' } } },
        ],
        initContainers: [{ name: 'i', resources: { requests: { memory: '3Gi' } } }],
        overhead: { cpu: '100m' },
      }),
    ).toEqual({ cpu: 0.85, memory: 3 * GiB, ephemeral: 0 });
  });

  it('fits pods by the scarcest resource after the requests already on the node', () => {
    const fits = fitPerNode(
      [node('a'), node('b', { cpu: '2' })],
      [bound('a', '1', '10Gi'), bound('a', '100m', '2Gi')],
      runner,
    );
    // a: 32-12 = 20 GiB free → 5 by memory (CPU would allow 6); b: 2 CPU → 2.
    expect(fits.map((f) => [f.node, f.fits])).toEqual([
      ['a', 5],
      ['b', 2],
    ]);
  });

  it('excludes cordoned, NotReady, tainted and non-matching nodes with the reason', () => {
    const tainted = node('t', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    expect(ineligibleReason(node('c', { unschedulable: true }), runner)).toBe('cordoned (unschedulable)');
    expect(ineligibleReason(node('n', { ready: false }), runner)).toBe('not Ready');
    expect(ineligibleReason(tainted, runner)).toBe('taint dedicated=gpu:NoSchedule not tolerated');
    expect(
      ineligibleReason(tainted, {
        ...runner,
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      }),
    ).toBeUndefined();
    expect(ineligibleReason(node('p', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }), runner)).toBeUndefined();
    expect(ineligibleReason(node('z', { labels: { zone: 'b' } }), { ...runner, nodeSelector: { zone: 'a' } })).toBe(
      'nodeSelector zone=a does not match',
    );
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['runners'] }] }],
        },
      },
    };
    expect(ineligibleReason(node('q', { labels: { pool: 'system' } }), { ...runner, affinity })).toBe(
      'required node affinity does not match',
    );
    expect(ineligibleReason(node('r', { labels: { pool: 'runners' } }), { ...runner, affinity })).toBeUndefined();
    expect(tolerates([{ operator: 'Exists' }], { key: 'any', effect: 'NoExecute' })).toBe(true);
  });

  it('detects autoscalers from pods and node labels, and nothing on a plain cluster', () => {
    expect(detectAutoscaler([node('a')], [podNamed('cluster-autoscaler-6f7d')])).toMatchObject({
      kind: 'cluster-autoscaler',
    });
    expect(detectAutoscaler([node('a', { labels: { 'karpenter.sh/nodepool': 'default' } })], [])).toMatchObject({
      kind: 'karpenter',
    });
    expect(
      detectAutoscaler([node('a', { labels: { 'cloud.google.com/gke-nodepool': 'nap-e2-standard-4' } })], []),
    ).toMatchObject({ kind: 'gke-nap' });
    expect(detectAutoscaler([node('a', { labels: { 'eks.amazonaws.com/compute-type': 'auto' } })], [])).toMatchObject({
      kind: 'eks-auto-mode',
    });
    expect(detectAutoscaler([node('a')], [podNamed('coredns-1')])).toBeUndefined();
  });
});

describe('JVM options: one parser for the in-pod flags and the pod spec variables', () => {
  it('reads -Xmx, -XX:MaxHeapSize and MaxRAMPercentage; the last occurrence wins', () => {
    expect(heapSetting(['-Xms1g -Xmx3g'])).toEqual({ xmx: 3 * GiB });
    expect(heapSetting(['-XX:MaxHeapSize=2048m', '-XX:MaxRAMPercentage=80.0'])).toEqual({
      xmx: 2 * GiB,
      ramPercent: 80,
    });
    expect(heapSetting(['-Xmx1g', '-Xmx2g'])).toEqual({ xmx: 2 * GiB });
    expect(heapSetting(['-Xss512k'])).toEqual({});
    expect(parseJvmSize('4096m')).toBe(4 * GiB);
    expect(parseJvmSize('4x')).toBeNull();
  });
  it('the heap under a limit: -Xmx, else the percentage, else the JVM default of 25 %', () => {
    expect(effectiveHeap({ xmx: GiB }, 4 * GiB)).toEqual({ bytes: GiB, how: 'xmx' });
    expect(effectiveHeap({ ramPercent: 75 }, 4 * GiB)).toEqual({ bytes: 3 * GiB, how: 'percent' });
    expect(effectiveHeap({}, 4 * GiB)).toEqual({ bytes: GiB, how: 'default' });
  });
});

describe('Kubernetes helpers', () => {
  it('parses Warning headers joined by commas, with escaped quotes', () => {
    expect(
      parseWarnings('299 - "existing pods in namespace \\"m\\" violate", 299 - "pod-a: runAsNonRoot != true"'),
    ).toEqual(['existing pods in namespace "m" violate', 'pod-a: runAsNonRoot != true']);
  });
  it('parses quantities', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('4Gi')).toBe(4 * 1024 ** 3);
    expect(parseQuantity('16')).toBe(16);
    expect(parseQuantity('1e3')).toBe(1000);
  });
  it('NetworkPolicy union: a default deny plus an allowing policy allows; named ports match ingress', () => {
    const deny = { metadata: { name: 'deny' }, spec: { podSelector: {}, policyTypes: ['Egress', 'Ingress'] } };
    const allow = {
      metadata: { name: 'allow' },
      spec: {
        podSelector: {},
        policyTypes: ['Egress', 'Ingress'],
        egress: [{ ports: [{ port: 443, protocol: 'TCP' }] }],
        ingress: [
          { from: [{ namespaceSelector: { matchLabels: { name: 'monitoring' } } }], ports: [{ port: 'metrics' }] },
        ],
      },
    };
    expect(egressVerdict([deny] as never, 443, 'TCP').allowed).toBe('none');
    expect(egressVerdict([deny, allow] as never, 443, 'TCP')).toMatchObject({ allowed: 'anywhere', by: ['allow'] });
    expect(egressVerdict([deny, allow] as never, 53, 'UDP').allowed).toBe('none');
    expect(ingressVerdict([deny, allow] as never, 8080, ['metrics']).allowed).toBe('cluster');
    expect(ingressVerdict([deny, allow] as never, 8080, []).allowed).toBe('none');
  });
});
