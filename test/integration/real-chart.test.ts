// The doctor against real containers: the chart's runner pods run on the real node (kubelet + containerd
// + runc) as the runner-like image, so the in-pod checks report what such a pod really gives, the pod
// status is what a 1.36 kubelet really publishes (OOM kills, crash loops), and the metrics come from a
// real JVM through the API server's pod proxy. Variants on the real node request no CPU (the node has two
// cores, which the two healthy runner pods' requests already take) and select it by the chart's
// `nodeSelector` value.
import { spawnSync } from 'node:child_process';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { Cluster } from '../cluster/cluster.ts';
import { NS, runnerObjects } from '../cluster/fixture.ts';
import { runnerImageOnNode } from '../cluster/runner-cluster.ts';

const skip = inject('clusterSkip') || (inject('realNode') ? '' : 'no real node on this machine');
const c = skip ? (undefined as unknown as Cluster) : Cluster.attach(inject('clusterDir'));
const REAL = inject('realNode');

interface Result {
  checkId: string;
  code: string;
  status: string;
  message: string;
  target: string;
  details?: Record<string, any>;
  remediation?: { text: string; command?: string };
}
interface Report {
  results: Result[];
}

function doctor(args: string[]): Report {
  const r = spawnSync(
    process.execPath,
    ['bin/runner-doctor', 'check', ...args, '--no-derived-targets', '--output', 'json=-'],
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: c.kubeconfig },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  try {
    return JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`not JSON (exit ${r.status}): ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 300)}`);
  }
}
const byId = (r: Report, id: string) => r.results.filter((x) => x.checkId === id);
const codes = (r: Report, id: string) => byId(r, id).map((x) => x.code.replace(`${id}/`, ''));

/** The chart's objects in their own namespace, on the real node, mutated; deleted when the test ends. */
async function onRealNode(
  ns: string,
  mutate: (deployment: Record<string, any>, objs: Record<string, any>[]) => void = () => {},
  o: { wait?: 'running' | 'exists' | 'none' } = {},
) {
  const image = await runnerImageOnNode(inject('realNodeSocket'));
  const objs = runnerObjects({
    replicas: 1,
    image,
    imagePullPolicy: 'IfNotPresent',
    nodeSelector: { 'kubernetes.io/hostname': REAL },
    resources: { requests: { memory: '512Mi' }, limits: { memory: '512Mi' } },
  }).filter((x: any) => x.kind !== 'APIService') as Record<string, any>[];
  for (const x of objs) {
    if (x.kind === 'Namespace') x.metadata.name = ns;
    else x.metadata.namespace = ns;
  }
  const dep = objs.find((x) => x.kind === 'Deployment');
  if (!dep) throw new Error('no Deployment');
  mutate(dep, objs);
  onTestFinished(() => c.deleteNamespaces([ns], 120_000));
  await c.apply(objs.slice(0, 1));
  await c.waitFor(async () => (await c.kubectl(['get', 'sa', 'default', '-n', ns])).code === 0, 60_000, 'default SA');
  await c.apply(objs.slice(1));
  if (o.wait === 'running' || o.wait === undefined) await c.waitForPods(ns, 1, { timeoutMs: 180_000 });
  if (o.wait === 'exists') await c.waitForPods(ns, 1, { running: false, timeoutMs: 180_000 });
}
const container = (dep: Record<string, any>) => dep.spec.template.spec.containers[0];

describe.skipIf(Boolean(skip))('the chart on a real node', () => {
  it("the healthy runner pods are real containers, and the in-pod checks report what the chart's empty securityContext really gives", async () => {
    const pods = JSON.parse(
      await c.k(['get', 'pods', '-n', NS, '-l', 'app.kubernetes.io/name=matillion-runner', '-o', 'json']),
    ).items as { spec: { nodeName: string } }[];
    expect(pods.map((p) => p.spec.nodeName)).toEqual([REAL, REAL]);
    const r = doctor(['--namespace', NS]);
    expect(
      r.results.filter((x) => x.status === 'fail' || x.status === 'error').map((x) => `${x.code}: ${x.message}`),
    ).toEqual([]);
    // What a real install gets: escalation allowed, no seccomp profile from the runtime, the runtime's
    // default capabilities, a writable root — and the image's own non-root user.
    expect(codes(r, 'security.no-new-privileges')).toEqual(['escalation-allowed', 'escalation-allowed']);
    expect(codes(r, 'security.seccomp')).toEqual(['disabled', 'disabled']);
    expect(codes(r, 'security.capabilities')).toEqual(['not-dropped', 'not-dropped']);
    expect(codes(r, 'filesystem.rootfs.readonly')).toEqual(['writable', 'writable']);
    expect(byId(r, 'security.non-root').map((x) => x.details?.uid)).toEqual([65534, 65534]);
    // The limits the container's cgroup (v1 here) shows are the pod spec's: 4Gi memory, 2 CPUs.
    for (const x of byId(r, 'resources.memory'))
      expect(x.details).toMatchObject({ cgroupVersion: 1, limitBytes: 4 * 1024 ** 3 });
    for (const x of byId(r, 'resources.cpu')) expect(x.message).toBe('CPU quota 2.00 cores');
    // The heap check read a real java process's flags (the agent stand-in runs -XX:MaxRAMPercentage=75).
    for (const x of byId(r, 'resources.jvm-heap'))
      expect(x).toMatchObject({
        status: 'pass',
        details: { heapPercentOfLimit: 75, sources: [expect.stringMatching(/^pid \d+$/)] },
      });
    // The runner's metrics come from the real JVM through the API server's pod proxy.
    expect(byId(r, 'workload.metrics').map((x) => x.message)).toEqual([
      'agent running, 3/20 active tasks, version 2026.11.3',
      'agent running, 3/20 active tasks, version 2026.11.3',
    ]);
    expect(codes(r, 'workload.image')).toEqual(['supported', 'supported']);
  });

  it("the in-pod verdicts agree with the API server's own reading of the same pod spec (Pod Security restricted)", () => {
    const r = doctor(['--namespace', NS, '--only', 'security']);
    const psa = byId(r, 'security.pod-security')[0]?.details?.restricted as string[];
    const text = psa.join(' ');
    const inPod = (id: string) => new Set(byId(r, id).map((x) => x.code.split('/')[1]));
    expect(/allowPrivilegeEscalation != false/.test(text)).toBe(
      inPod('security.no-new-privileges').has('escalation-allowed'),
    );
    expect(/seccompProfile/.test(text)).toBe(inPod('security.seccomp').has('disabled'));
    expect(/unrestricted capabilities/.test(text)).toBe(!inPod('security.capabilities').has('none'));
  });

  it('a hardened securityContext: the probe still runs (read-only root, uid 65534) and the in-pod security checks pass', async () => {
    await onRealNode('v-real-hardened', (dep) => {
      container(dep).securityContext = {
        runAsUser: 65534,
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      };
      // A read-only root needs the working directory on a volume too (the chart gives /tmp one).
      dep.spec.template.spec.volumes.push({ name: 'workdir', emptyDir: {} });
      container(dep).volumeMounts.push({ name: 'workdir', mountPath: '/home/agentuser' });
    });
    const r = doctor(['--namespace', 'v-real-hardened', '--only', 'security,filesystem,runtime']);
    expect(codes(r, 'security.no-new-privileges')).toEqual(['set']);
    expect(codes(r, 'security.seccomp')).toEqual(['applied']);
    expect(codes(r, 'security.capabilities')).toEqual(['none']);
    expect(codes(r, 'filesystem.rootfs.readonly')).toEqual(['read-only']);
    expect(codes(r, 'runtime.python.file')).toEqual(['ran']);
    expect(codes(r, 'security.pod-security')).toEqual(['satisfied']);
  });

  it('a container killed by its memory limit is OOMKilled, with the limit and the fix', async () => {
    await onRealNode(
      'v-real-oom',
      (dep) => {
        container(dep).command = ['python3', '-c', 'import time; b = bytearray(400 * 1024 * 1024); time.sleep(3600)'];
        container(dep).resources = { requests: { memory: '128Mi' }, limits: { memory: '128Mi' } };
      },
      { wait: 'exists' },
    );
    await c.waitFor(
      async () => /OOMKilled/.test(await c.k(['get', 'pods', '-n', 'v-real-oom', '-o', 'json'])),
      120_000,
      'an OOMKilled container',
    );
    const r = doctor(['--namespace', 'v-real-oom', '--only', 'workload.pod-health']);
    const [x] = byId(r, 'workload.pod-health').filter((y) => y.target.startsWith('v-real-oom/matillion-runner-app-'));
    expect(x?.code).toMatch(/\/(crash-loop-oom|oom-killed)$/);
    expect(x?.message).toMatch(/OOMKilled at its 128Mi (memory )?limit/);
    expect(x?.remediation?.text).toMatch(/larger runnerSize/);
  });

  it('a crash-looping container is found from what a 1.36 kubelet really publishes, with the exit code and logs --previous', async () => {
    await onRealNode(
      'v-real-crash',
      (dep) => {
        container(dep).command = ['sh', '-c', 'echo "cannot reach the control plane" >&2; exit 3'];
      },
      { wait: 'exists' },
    );
    // The pod that has restarted twice (its sibling may still be starting on a loaded node: that one is
    // judged on its own, as ContainerCreating).
    let looping = '';
    await c.waitFor(
      async () => {
        const items = JSON.parse(await c.k(['get', 'pods', '-n', 'v-real-crash', '-o', 'json'])).items as {
          metadata: { name: string };
          status?: { containerStatuses?: { restartCount?: number }[] };
        }[];
        looping = items.find((p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2)?.metadata.name ?? '';
        return looping !== '';
      },
      180_000,
      'two restarts',
    );
    const r = doctor(['--namespace', 'v-real-crash', '--only', 'workload.pod-health']);
    const [x] = byId(r, 'workload.pod-health').filter((y) => y.target === `v-real-crash/${looping}`);
    expect(x).toMatchObject({
      status: 'fail',
      code: 'workload.pod-health/crash-loop',
      message: expect.stringMatching(/exited with code 3 \(Error\) and has been restarted \d+ times/),
    });
    expect(x?.remediation?.command).toMatch(/^kubectl logs -n v-real-crash matillion-runner-app-\S+ --previous$/);
  });

  it('a python3 that is killed with 137 when it runs a file (a wrapper on PATH) is the security-agent signature', async () => {
    await onRealNode('v-real-py137', (dep, objs) => {
      objs.push({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'agent-sim', namespace: 'v-real-py137' },
        data: { python3: '#!/bin/sh\nif [ "$1" = "-c" ]; then exec /usr/bin/python3 "$@"; fi\nkill -9 $$\n' },
      });
      const spec = dep.spec.template.spec;
      spec.volumes.push({ name: 'agent-sim', configMap: { name: 'agent-sim', defaultMode: 0o755 } });
      container(dep).volumeMounts.push({ name: 'agent-sim', mountPath: '/opt/agent-sim' });
      container(dep).env.push({ name: 'PATH', value: '/opt/agent-sim:/usr/local/bin:/usr/bin:/bin' });
    });
    const r = doctor([
      '--namespace',
      'v-real-py137',
      '--only',
      'runtime.python.present,runtime.python.inline,runtime.python.file',
    ]);
    expect(codes(r, 'runtime.python.inline')).toEqual(['ran']);
    expect(codes(r, 'runtime.python.file')).toEqual(['security-agent-kill']);
  });

  it('a namespace enforcing restricted creates no runner pods at all; the doctor says why from the ReplicaSet, naming the fields', async () => {
    const ns = 'v-real-restricted';
    await onRealNode(
      ns,
      (dep, objs) => {
        const nsObj = objs.find((x) => x.kind === 'Namespace');
        if (nsObj) nsObj.metadata.labels = { 'pod-security.kubernetes.io/enforce': 'restricted' };
        // A release of its own, so that a run across all namespaces finds no runner pod of it anywhere.
        for (const labels of [dep.metadata.labels, dep.spec.selector.matchLabels, dep.spec.template.metadata.labels])
          if (labels?.['app.kubernetes.io/instance']) labels['app.kubernetes.io/instance'] = 'rd-restricted';
      },
      { wait: 'none' },
    );
    await c.waitFor(
      async () => (await c.k(['get', 'events', '-n', ns])).includes('FailedCreate'),
      60_000,
      'a FailedCreate event',
    );
    const r = doctor(['--namespace', ns, '--only', 'workload.runner-pods']);
    const [x] = byId(r, 'workload.runner-pods');
    expect(x).toMatchObject({
      status: 'fail',
      code: 'workload.runner-pods/rejected-pod-security',
      message: expect.stringMatching(
        /^no runner pods: Pod Security \(restricted:latest\) rejects them, so ReplicaSet v-real-restricted\/matillion-runner-app-\S+ creates none — allowPrivilegeEscalation != false; unrestricted capabilities; runAsNonRoot != true; seccompProfile/,
      ),
    });
    expect(x?.remediation?.text).toMatch(
      /allowPrivilegeEscalation=false; capabilities\.drop=\["ALL"\]; runAsNonRoot=true; seccompProfile\.type to "RuntimeDefault"/,
    );
    // Without --namespace there is no runner namespace to look in: the ReplicaSet is found cluster-wide.
    const [all] = byId(
      doctor(['--release', 'rd-restricted', '--only', 'workload.runner-pods']),
      'workload.runner-pods',
    );
    expect(all).toMatchObject({ status: 'fail', code: 'workload.runner-pods/rejected-pod-security' });
  });
});
