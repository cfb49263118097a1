// The control-plane harness itself, on the real API server: nodes, the fixture, PodSecurity
// admission, RBAC with the audit log, and exec into a fake runner pod.
import { describe, expect, inject, it } from 'vitest';
import { Cluster } from '../cluster/cluster.ts';
import { NS, runnerPods } from '../cluster/fixture.ts';

const skip = inject('clusterSkip');
const c = skip ? (undefined as unknown as Cluster) : Cluster.attach(inject('clusterDir'));

describe.skipIf(Boolean(skip))('control-plane harness', () => {
  it('shows the kwok nodes Ready through our built kubectl, and the runner pods Running', async () => {
    const nodes = await c.k(['get', 'nodes', '--no-headers']);
    expect(nodes).toMatch(/kwok-node-a\s+Ready/);
    expect(nodes).toMatch(/kwok-node-b\s+Ready/);
    const pods = await runnerPods(c);
    expect(pods.map((p) => p.phase)).toEqual(['Running', 'Running']);
    const version = JSON.parse(await c.k(['version', '-o', 'json']));
    expect(version.serverVersion.gitVersion).toBe('v1.36.3');
  });

  it('PodSecurity admission rejects a privileged pod in a namespace enforcing restricted', async () => {
    await c.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'psa-restricted', labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    });
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'privileged', namespace: 'psa-restricted' },
      spec: { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] },
    };
    const r = await c.kubectl(['create', '-f', '-'], { input: JSON.stringify(pod) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/violates PodSecurity "restricted:latest": privileged/);
  });

  it('a restricted user gets 403 where RBAC says so, and the audit log records that user', async () => {
    await c.apply([
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'pod-reader', namespace: NS },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'alice-pod-reader', namespace: NS },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
        subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
      },
    ]);
    const alice = c.userKubeconfig('alice', ['platform-team']);
    expect((await c.kubectl(['get', 'pods', '-n', NS], { kubeconfig: alice })).code).toBe(0);
    const denied = await c.kubectl(['get', 'secrets', '-n', NS], { kubeconfig: alice });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(
      /User "alice" cannot list resource "secrets" in API group "" in the namespace "matillion"/,
    );
    const events = (await c.auditEvents()).filter((e) => e.user.username === 'alice' && e.stage === 'ResponseComplete');
    expect(
      events.some((e) => e.verb === 'list' && e.objectRef?.resource === 'pods' && e.responseStatus?.code === 200),
    ).toBe(true);
    expect(
      events.some((e) => e.verb === 'list' && e.objectRef?.resource === 'secrets' && e.responseStatus?.code === 403),
    ).toBe(true);
  });

  it('a ServiceAccount kubeconfig authenticates with a TokenRequest token', async () => {
    const kc = await c.serviceAccountKubeconfig(NS, 'matillion-runner-sa');
    const r = await c.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { kubeconfig: kc });
    expect(r.stdout).toBe(`system:serviceaccount:${NS}:matillion-runner-sa`);
  });

  it('an expired client certificate is refused as unauthorized', async () => {
    const r = await c.kubectl(['get', 'pods', '-n', NS], {
      kubeconfig: c.userKubeconfig('bob', [], { expired: true }),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Unauthorized|must be logged in/);
  });

  it('exec into a fake runner pod runs a local command with the pod env, returning stdout and the exit status', async () => {
    const [pod] = await runnerPods(c);
    const ok = await c.kubectl([
      'exec',
      '-n',
      NS,
      pod!.name,
      '--',
      'sh',
      '-c',
      'echo "region=$MATILLION_REGION pid=$$"',
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^region=eu1 pid=\d+\n$/);
    const bad = await c.kubectl(['exec', '-n', NS, pod!.name, '--', 'sh', '-c', 'echo partial; exit 3']);
    expect(bad.stdout).toBe('partial\n');
    expect(bad.code).not.toBe(0);
    // kwok reports the exit status in the exec status message rather than a NonZeroExitCode cause.
    expect(bad.stderr).toMatch(/exit status 3|exit code 3/);
  });
});
