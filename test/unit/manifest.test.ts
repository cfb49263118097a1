// `runner-doctor manifest`: the RBAC is exactly the rules of the facts the selected checks read, the
// Job's pod is Pod Security `restricted`, and deploy/ holds what the command prints (a drift test).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { BIN_DIR } from '../cluster/cluster.ts';

const BIN = join(process.cwd(), 'bin/runner-doctor');
const HELM = join(BIN_DIR, 'helm');
const manifest = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, 'manifest', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`manifest ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
};
const docs = (text: string) =>
  parseAllDocuments(text).map((d) => d.toJS()) as {
    kind: string;
    metadata: { name: string };
    rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
    spec?: any;
  }[];
const rulesOf = (text: string, kind: 'Role' | 'ClusterRole') =>
  (docs(text).find((d) => d.kind === kind)?.rules ?? []).map(
    (r) => `${r.apiGroups[0] ? `${r.apiGroups[0]}/` : ''}${r.resources.join(',')}:${r.verbs.join(',')}`,
  );

describe('runner-doctor manifest', () => {
  it('deploy/ holds exactly what the command prints (run `npm run deploy` after changing a check or a collector)', () => {
    expect(readFileSync('deploy/runner-doctor.yaml', 'utf8')).toBe(manifest(['--namespace', 'matillion']));
    expect(readFileSync('deploy/rbac.yaml', 'utf8')).toBe(manifest(['--namespace', 'matillion', '--rbac-only']));
  });

  it('the rules follow the selection: exec only for in-pod checks, the pod proxy only for the metrics, nothing for the version', () => {
    const all = manifest(['-n', 'matillion']);
    expect(rulesOf(all, 'Role')).toEqual(
      expect.arrayContaining(['pods/exec:create,get', 'pods/proxy:get', 'secrets:list', 'namespaces:patch']),
    );
    // `list pods` is granted once: the ClusterRole's (the nodes' pods) covers the runner namespace too.
    expect(rulesOf(all, 'Role')).not.toContain('pods:list');
    expect(rulesOf(all, 'ClusterRole')).toEqual([
      'namespaces:list',
      'nodes:list',
      'pods:list',
      'admissionregistration.k8s.io/mutatingwebhookconfigurations:list',
      'apiregistration.k8s.io/apiservices:get',
      'apps/daemonsets:list',
      'apps/deployments:get',
      'rbac.authorization.k8s.io/clusterrolebindings:list',
    ]);
    const inPod = manifest(['-n', 'matillion', '--only', 'runtime']);
    expect(rulesOf(inPod, 'Role')).toEqual(['pods:list', 'pods/exec:create,get']);
    expect(docs(inPod).some((d) => d.kind === 'ClusterRole')).toBe(false);
    const metrics = manifest(['-n', 'matillion', '--only', 'workload.metrics']);
    expect(rulesOf(metrics, 'Role')).toEqual(['pods:list', 'pods/proxy:get']);
    expect(rulesOf(manifest(['-n', 'matillion', '--only', 'cluster.version']), 'Role')).toEqual([]);
    // Only read verbs, and the three exceptions the header names.
    const verbs = new Set(
      [...rulesOf(all, 'Role'), ...rulesOf(all, 'ClusterRole')].flatMap((r) => r.split(':')[1]?.split(',') ?? []),
    );
    expect([...verbs].sort()).toEqual(['create', 'get', 'list', 'patch']);
  });

  it('the Job runs once, within a deadline, cleans up after itself, and its pod is Pod Security restricted', () => {
    const job = docs(
      manifest(['-n', 'matillion', '--timeout', '120', '--image', 'registry.example/runner-doctor:1']),
    ).find((d) => d.kind === 'Job');
    expect(job?.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 180, ttlSecondsAfterFinished: 86400 });
    const pod = job?.spec.template.spec;
    expect(pod).toMatchObject({
      serviceAccountName: 'runner-doctor',
      restartPolicy: 'Never',
      securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } },
    });
    const [c] = pod.containers;
    expect(c).toMatchObject({
      image: 'registry.example/runner-doctor:1',
      securityContext: {
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      },
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      terminationMessagePath: '/dev/termination-log',
    });
    expect(c.args).toEqual([
      'check',
      '--namespace',
      'matillion',
      '--fail-on',
      'fail',
      '--timeout',
      '120',
      '--summary-file',
      '/dev/termination-log',
    ]);
    // An eviction is retried, not the verdict; Linux nodes only.
    expect(job?.spec.podFailurePolicy).toEqual({
      rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }],
    });
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    const frac = spawnSync(process.execPath, [BIN, 'manifest', '-n', 'matillion', '--timeout', '12.5'], {
      encoding: 'utf8',
    });
    expect([frac.status, frac.stderr.trim()]).toEqual([
      2,
      'runner-doctor: --timeout must be a whole number of seconds ≥ 1, not 12.5',
    ]);
  });

  it('workload identity for the cloud-logs checks: annotations on the ServiceAccount, labels on the pod', () => {
    const objs = docs(
      manifest([
        '-n',
        'matillion',
        '--sa-annotation',
        'azure.workload.identity/client-id=0000-1111',
        '--pod-label',
        'azure.workload.identity/use=true',
        '--arg=--azure-workspace=ws',
      ]),
    );
    const sa = objs.find((d) => d.kind === 'ServiceAccount') as
      | { metadata: { annotations?: Record<string, string> } }
      | undefined;
    expect(sa?.metadata.annotations).toEqual({ 'azure.workload.identity/client-id': '0000-1111' });
    const job = objs.find((d) => d.kind === 'Job');
    expect(job?.spec.template.metadata.labels).toMatchObject({
      'azure.workload.identity/use': 'true',
      'app.kubernetes.io/name': 'runner-doctor',
    });
    expect(job?.spec.template.spec.containers[0].args.at(-1)).toBe('--azure-workspace=ws');
    const bad = spawnSync(process.execPath, [BIN, 'manifest', '-n', 'matillion', '--pod-label', 'no-value'], {
      encoding: 'utf8',
    });
    expect([bad.status, bad.stderr.trim()]).toEqual([2, 'runner-doctor: --pod-label "no-value" is not KEY=VALUE']);
  });

  it('needs a namespace', () => {
    const r = spawnSync(process.execPath, [BIN, 'manifest'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Missing required argument: namespace/);
  });
});

describe('the Helm chart', () => {
  it('its RBAC template is generated from the same rules (run `npm run deploy`)', async () => {
    const { helmRbacTemplate } = await import('../../src/cli/manifest.ts');
    expect(readFileSync('deploy/helm/runner-doctor/templates/rbac.yaml', 'utf8')).toBe(await helmRbacTemplate());
  });

  it.skipIf(!existsSync(HELM))(
    'renders a restricted Job with the values: waivers as a ConfigMap, selection and the Pushgateway as arguments',
    () => {
      const r = spawnSync(
        HELM,
        [
          'template',
          'rd',
          'deploy/helm/runner-doctor',
          '-n',
          'matillion',
          '--set',
          'waivers[0].check=security.seccomp',
          '--set',
          'waivers[0].reason=next quarter',
          '--set',
          'only={workload,scaling}',
          '--set',
          'pushgateway=http://pushgateway.monitoring:9091',
          '--set',
          'failOn=warn',
        ],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      const objs = docs(r.stdout);
      const job = objs.find((d) => d.kind === 'Job');
      const c = job?.spec.template.spec.containers[0];
      expect(c.args).toEqual([
        'check',
        '--namespace',
        'matillion',
        '--fail-on',
        'warn',
        '--timeout',
        '180',
        '--summary-file',
        '/dev/termination-log',
        '--only',
        'workload',
        '--only',
        'scaling',
        '--config',
        '/etc/runner-doctor/doctor.yaml',
        '--pushgateway',
        'http://pushgateway.monitoring:9091',
      ]);
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(job?.spec).toMatchObject({
        backoffLimit: 0,
        activeDeadlineSeconds: 240,
        podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] },
      });
      expect(job?.metadata.name).toBe('rd-1');
      expect(job?.spec.template.spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
      expect(objs.find((d) => d.kind === 'ConfigMap')).toMatchObject({
        data: { 'doctor.yaml': expect.stringMatching(/check: security\.seccomp/) },
      });
      expect(objs.filter((d) => d.kind === 'Pod').map((d) => d.metadata.name)).toEqual(['rd-test']);
      const lint = spawnSync(HELM, ['lint', 'deploy/helm/runner-doctor'], { encoding: 'utf8' });
      expect(lint.status, lint.stdout).toBe(0);
    },
  );

  it.skipIf(!existsSync(HELM))(
    'workload identity values: ServiceAccount annotations and pod labels, rendered as strings',
    () => {
      const r = spawnSync(
        HELM,
        [
          'template',
          'rd',
          'deploy/helm/runner-doctor',
          '-n',
          'matillion',
          '--set',
          'serviceAccount.annotations.eks\\.amazonaws\\.com/role-arn=arn:aws:iam::123456789012:role/logs',
          '--set',
          'podLabels.azure\\.workload\\.identity/use=true',
        ],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      const objs = docs(r.stdout) as {
        kind: string;
        metadata: { annotations?: Record<string, unknown>; labels?: Record<string, unknown> };
        spec?: any;
      }[];
      expect(objs.find((d) => d.kind === 'ServiceAccount')?.metadata.annotations).toEqual({
        'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/logs',
      });
      expect(objs.find((d) => d.kind === 'Job')?.spec.template.metadata.labels['azure.workload.identity/use']).toBe(
        'true',
      );
      expect(objs.find((d) => d.kind === 'Pod')?.metadata.labels?.['azure.workload.identity/use']).toBe('true');
    },
  );
});
