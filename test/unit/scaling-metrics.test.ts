// Pure parts of the scaling, resources and metrics checks: the Prometheus text parser (input is
// untrusted pod output), the scheduler arithmetic and the JVM option reader. The checks themselves are
// proven against the real API server in test/integration/check-cluster.test.ts.
import { describe, expect, it } from 'vitest';
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { parseExposition, samplesOf } from '../../src/facts/prometheus.ts';
import { detectAutoscaler, fitPerNode, ineligibleReason, podRequests, tolerates } from '../../src/facts/kube/scheduling.ts';
import { jvmHeapSetting } from '../../checks/workload/resources.ts';

const GiB = 1024 ** 3;

describe('Prometheus text parser', () => {
  it('reads samples, labels with escapes, special values, timestamps and stops at # EOF', () => {
    const e = parseExposition([
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
    ].join('\n'));
    expect(e.errors).toEqual([]);
    expect(e.types.get('app_version_info')).toBe('gauge');
    expect(samplesOf(e, 'app_version_info')[0]).toEqual({ name: 'app_version_info', labels: { application: 'agent', version: '2026.11.3' }, value: 1 });
    expect(samplesOf(e, 'weird')[0]!.labels).toEqual({ path: 'C:\\tmp', quote: 'say "hi"', nl: 'a\nb' });
    expect(Number.isNaN(samplesOf(e, 'up')[0]!.value)).toBe(true);
    expect(samplesOf(e, 'big')[0]!.value).toBe(Number.POSITIVE_INFINITY);
    expect(samplesOf(e, 'small')[0]!.value).toBe(Number.NEGATIVE_INFINITY);
    expect(samplesOf(e, 'sci')[0]!.value).toBeCloseTo(0.0015);
    expect(samplesOf(e, 'after_eof')).toEqual([]);
  });

  it('records malformed lines with their numbers and keeps the good ones', () => {
    const e = parseExposition('ok 1\n{bad} 1\nno_value\nx{a=1} 2\nx{a="1"} one\nx{a="unterminated} 1\n\u001b[31mred 1\nfine{a="b"} 3\n');
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

const node = (name: string, o: { cpu?: string; memory?: string; labels?: Record<string, string>; taints?: V1Node['spec'] extends infer S ? S extends { taints?: infer T } ? T : never : never; ready?: boolean; unschedulable?: boolean } = {}): V1Node => ({
  metadata: { name, labels: o.labels ?? {} },
  spec: { taints: o.taints, unschedulable: o.unschedulable },
  status: { allocatable: { cpu: o.cpu ?? '8', memory: o.memory ?? '32Gi', pods: '110' }, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
});
const runner = { containers: [{ name: 'r', resources: { requests: { cpu: '1', memory: '4Gi' } } }] };
const bound = (nodeName: string, cpu: string, memory: string): V1Pod => ({ spec: { nodeName, containers: [{ name: 'x', resources: { requests: { cpu, memory } } }] }, status: { phase: 'Running' } });

describe('scheduling arithmetic', () => {
  it('counts requests like the scheduler: containers summed, init containers as a max, overhead added', () => {
    expect(podRequests({ containers: [{ name: 'a', resources: { requests: { cpu: '500m', memory: '1Gi' } } }, { name: 'b', resources: { requests: { cpu: '250m' } } }], initContainers: [{ name: 'i', resources: { requests: { memory: '3Gi' } } }], overhead: { cpu: '100m' } })).toEqual({ cpu: 0.85, memory: 3 * GiB, ephemeral: 0 });
  });

  it('fits pods by the scarcest resource after the requests already on the node', () => {
    const fits = fitPerNode([node('a'), node('b', { cpu: '2' })], [bound('a', '1', '10Gi'), bound('a', '100m', '2Gi')], runner);
    // a: 32-12 = 20 GiB free → 5 by memory (CPU would allow 6); b: 2 CPU → 2.
    expect(fits.map((f) => [f.node, f.fits])).toEqual([['a', 5], ['b', 2]]);
  });

  it('excludes cordoned, NotReady, tainted and non-matching nodes with the reason', () => {
    const tainted = node('t', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    expect(ineligibleReason(node('c', { unschedulable: true }), runner)).toBe('cordoned (unschedulable)');
    expect(ineligibleReason(node('n', { ready: false }), runner)).toBe('not Ready');
    expect(ineligibleReason(tainted, runner)).toBe('taint dedicated=gpu:NoSchedule not tolerated');
    expect(ineligibleReason(tainted, { ...runner, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] })).toBeUndefined();
    expect(ineligibleReason(node('p', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }), runner)).toBeUndefined();
    expect(ineligibleReason(node('z', { labels: { zone: 'b' } }), { ...runner, nodeSelector: { zone: 'a' } })).toBe('nodeSelector zone=a does not match');
    const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['runners'] }] }] } } };
    expect(ineligibleReason(node('q', { labels: { pool: 'system' } }), { ...runner, affinity })).toBe('required node affinity does not match');
    expect(ineligibleReason(node('r', { labels: { pool: 'runners' } }), { ...runner, affinity })).toBeUndefined();
    expect(tolerates([{ operator: 'Exists' }], { key: 'any', effect: 'NoExecute' })).toBe(true);
  });

  it('detects autoscalers from pods and node labels, and nothing on a plain cluster', () => {
    expect(detectAutoscaler([node('a')], [{ metadata: { name: 'cluster-autoscaler-6f7d', namespace: 'kube-system' } }])).toMatchObject({ kind: 'cluster-autoscaler' });
    expect(detectAutoscaler([node('a', { labels: { 'karpenter.sh/nodepool': 'default' } })], [])).toMatchObject({ kind: 'karpenter' });
    expect(detectAutoscaler([node('a', { labels: { 'cloud.google.com/gke-nodepool': 'nap-e2-standard-4' } })], [])).toMatchObject({ kind: 'gke-nap' });
    expect(detectAutoscaler([node('a', { labels: { 'eks.amazonaws.com/compute-type': 'auto' } })], [])).toMatchObject({ kind: 'eks-auto-mode' });
    expect(detectAutoscaler([node('a')], [{ metadata: { name: 'coredns-1', namespace: 'kube-system' } }])).toBeUndefined();
  });
});

describe('JVM options', () => {
  it('reads -Xmx, -XX:MaxHeapSize and MaxRAMPercentage', () => {
    expect(jvmHeapSetting('-Xms1g -Xmx3g')).toEqual({ xmx: 3 * GiB });
    expect(jvmHeapSetting('-XX:MaxHeapSize=2048m -XX:MaxRAMPercentage=80.0')).toEqual({ xmx: 2 * GiB, ramPercent: 80 });
    expect(jvmHeapSetting('-Xss512k')).toEqual({});
  });
});
