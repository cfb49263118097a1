// Workload identity proven and configured, and values the agent cannot use, on the real control plane:
// the in-pod exchange runs through exec in kwok fake pods (kwok runs exec on this machine, so the pod's
// script reaches 127.0.0.1) against local servers that stand in for the cloud services — an STS speaking
// the query protocol and an Azure AD v2 token endpoint, both over HTTPS with our test CA
// (test/helpers/identity-servers.ts) — and checks the token's subject the way the vendor's Terraform
// binds it. Variants of what the chart renders (runnerObjects(), one namespace each, deleted when the
// test ends) show the configured-identity and value findings; a stand-in sshd on a loopback address
// proves the script runner's port 2222 from inside a runner pod. No credential the stand-ins hand out
// appears in any output or snapshot.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { Cluster } from '../cluster/cluster.ts';
import { IRSA_TOKEN_DIR, runnerObjects, runnerPods, wireRunnerPod, type FixtureOpts } from '../cluster/fixture.ts';
import { fakeJwt } from '../helpers/fixture-root.ts';
import { aadServer, type Stand, sshdStandIn, stsServer } from '../helpers/identity-servers.ts';
import { makePki, type Pki } from '../helpers/net-servers.ts';
import { tempDir } from '../helpers/tmp.ts';

const skip = inject('clusterSkip');
const c = skip ? (undefined as unknown as Cluster) : Cluster.attach(inject('clusterDir'));
const BIN = join(process.cwd(), 'bin/runner-doctor');
const CANARY = 'IDCANARY-4b1f0c-never-print';
const SECRET_CANARY = 'static-key-canary-77aa19-never-print';
const ROLE = 'arn:aws:iam::123456789012:role/matillion-runner';
const CLIENT = '00000000-1111-2222-3333-444444444444';
const TENANT = 'tenant-rd';
const AZURE_TOKEN = '/var/run/secrets/azure/tokens/azure-identity-token';

interface Result {
  checkId: string;
  code: string;
  status: string;
  message: string;
  target: string;
  remediation?: { text: string; command?: string };
}
interface Report {
  results: Result[];
  fatal?: { message: string };
}

/** The built CLI, asynchronously: the stand-ins in this process must keep answering while it runs. */
function doctor(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; report: Report }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'check', ...args, '--no-derived-targets', '--output', 'json=-'], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: c.kubeconfig },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const timer = setTimeout(() => child.kill(), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        resolve({ code, stdout, stderr, report: JSON.parse(stdout) as Report });
      } catch {
        reject(new Error(`not JSON (exit ${code}): ${stdout.slice(0, 300)} ${stderr.slice(0, 300)}`));
      }
    });
  });
}
const codes = (rep: Report, id: string) =>
  rep.results.filter((r) => r.checkId === id).map((r) => r.code.slice(id.length + 1));
const one = (rep: Report, id: string) => {
  const r = rep.results.filter((x) => x.checkId === id);
  if (r.length !== 1 || !r[0]) throw new Error(`${id}: ${JSON.stringify(r.map((x) => x.code))}`);
  return r[0];
};

type Obj = Record<string, any>;
const deployment = (objs: Obj[]) => objs.find((x) => x.kind === 'Deployment')!;
const container = (objs: Obj[]) => deployment(objs).spec.template.spec.containers[0];

/** What the chart renders, in namespace `ns`, mutated; waits for the pods to run; deleted when the test ends. */
async function variant(ns: string, o: FixtureOpts = {}, mutate: (objs: Obj[]) => void = () => {}): Promise<void> {
  const objs = runnerObjects({ replicas: 1, ...o }).filter((x: any) => x.kind !== 'APIService') as Obj[];
  for (const x of objs) {
    if (x.kind === 'Namespace') x.metadata.name = ns;
    else x.metadata.namespace = ns;
  }
  mutate(objs);
  onTestFinished(() => c.deleteNamespaces([ns]));
  await c.apply(objs.slice(0, 1));
  await c.waitFor(async () => (await c.kubectl(['get', 'sa', 'default', '-n', ns])).code === 0, 30_000, 'default SA');
  await c.apply(objs.slice(1));
  await c.waitForPods(ns, 1);
}
/** Renames the runner's ServiceAccount (the object and the pod template's reference). */
const renameSa = (name: string) => (objs: Obj[]) => {
  objs.find((x) => x.kind === 'ServiceAccount')!.metadata.name = name;
  deployment(objs).spec.template.spec.serviceAccountName = name;
};
/** Exec into the variant's runner pod runs here, with the pod's env plus `env`, and a projected token with these claims. */
async function wire(ns: string, tokenPath: string, claims: Record<string, unknown>, env: Record<string, string>) {
  const [pod] = await runnerPods(c, ns);
  if (!pod) throw new Error(`no runner pod in ${ns}`);
  await wireRunnerPod(c, pod, { files: { [tokenPath]: fakeJwt(claims) } }, env, ns);
}
const exp = () => Math.floor(Date.now() / 1000) + 3600;

let pki: Pki;
let sts: Stand;
let aad: Stand;
beforeAll(async () => {
  if (skip) return;
  pki = makePki();
  const leaf = pki.leaf('localhost', { sans: ['localhost', '127.0.0.1'] });
  // Stand-ins for AWS STS and Azure AD, trusting what the vendor's Terraform binds.
  sts = await stsServer({ tls: leaf, roles: [ROLE], canary: CANARY });
  aad = await aadServer({ tls: leaf, tenant: TENANT, apps: { [CLIENT]: undefined }, canary: CANARY });
});
afterAll(async () => {
  await Promise.all([sts?.close(), aad?.close()]);
});

describe.skipIf(Boolean(skip))(
  'identity proven from inside the pods, and configured, on the real control plane',
  () => {
    it('IRSA: the pod assumes the role through the stand-in STS; a renamed ServiceAccount is refused as the trust policy subject mismatch; no credential in any output or the snapshot', async () => {
      await Promise.all([variant('v-id-aws'), variant('v-id-aws-sa', {}, renameSa('custom-runner-sa'))]);
      const env = { AWS_ENDPOINT_URL_STS: sts.url, AWS_CA_BUNDLE: pki.caFile };
      const aud = ['sts.amazonaws.com'];
      await wire(
        'v-id-aws',
        `${IRSA_TOKEN_DIR}/token`,
        { sub: 'system:serviceaccount:v-id-aws:matillion-runner-sa', aud, exp: exp() },
        env,
      );
      await wire(
        'v-id-aws-sa',
        `${IRSA_TOKEN_DIR}/token`,
        { sub: 'system:serviceaccount:v-id-aws-sa:custom-runner-sa', aud, exp: exp() },
        env,
      );
      const dir = tempDir('rd-identity-');
      const calls = sts.calls;
      const ok = await doctor([
        '--namespace',
        'v-id-aws',
        '--only',
        'identity',
        '--identity-exchange',
        '--save-snapshot',
        `${dir}/ok.json`,
      ]);
      const bad = await doctor([
        '--namespace',
        'v-id-aws-sa',
        '--only',
        'identity',
        '--identity-exchange',
        '--save-snapshot',
        `${dir}/bad.json`,
      ]);
      expect(sts.calls - calls).toBe(2);
      expect(one(ok.report, 'identity.exchange')).toMatchObject({
        code: 'identity.exchange/aws',
        message: expect.stringMatching(
          new RegExp(
            `^STS AssumeRoleWithWebIdentity at ${sts.url.replace(/\./g, '\\.')} \\(AWS_ENDPOINT_URL_STS, region eu-west-1 from AWS_REGION\\): assumed arn:aws:sts::123456789012:assumed-role/matillion-runner/runner-doctor-\\d+$`,
          ),
        ),
      });
      expect(codes(ok.report, 'identity.subject')).toEqual(['match']);
      expect(one(bad.report, 'identity.exchange')).toMatchObject({
        status: 'fail',
        code: 'identity.exchange/subject-mismatch',
        message: expect.stringMatching(
          /\(AccessDenied\): it presents system:serviceaccount:v-id-aws-sa:custom-runner-sa, and the IAM role's trust policy .* accepts system:serviceaccount:\*:matillion-runner-sa$/,
        ),
        remediation: { text: expect.stringMatching(/serviceAccount\.name/) },
      });
      // The same mismatch, seen from the configuration alone.
      expect(one(bad.report, 'identity.subject')).toMatchObject({
        status: 'warn',
        code: 'identity.subject/aws-mismatch',
      });
      for (const text of [
        ok.stdout,
        ok.stderr,
        bad.stdout,
        bad.stderr,
        readFileSync(`${dir}/ok.json`, 'utf8'),
        readFileSync(`${dir}/bad.json`, 'utf8'),
      ])
        expect(text).not.toContain(CANARY);
      // Off: nothing is exchanged, the check says so.
      const off = await doctor(['--namespace', 'v-id-aws', '--only', 'identity.exchange', '--no-identity-exchange']);
      expect(codes(off.report, 'identity.exchange')).toEqual(['disabled']);
      expect(sts.calls - calls).toBe(2);
    });

    it('Azure: a namespace the federated credential does not name is refused (AADSTS70021); the token is exposed to a RoleBinding; a token-expiration annotation the webhook refuses', async () => {
      await variant('v-id-az', { cloud: 'AZURE' }, (objs) => {
        deployment(objs).spec.template.metadata.annotations[
          'azure.workload.identity/service-account-token-expiration'
        ] = '120';
        objs.push({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'runner-can-edit', namespace: 'v-id-az' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
          subjects: [{ kind: 'ServiceAccount', name: 'matillion-runner-sa', namespace: 'v-id-az' }],
        });
      });
      // What the azure-workload-identity webhook injects into a labelled pod (no webhook runs here).
      await wire(
        'v-id-az',
        AZURE_TOKEN,
        { sub: 'system:serviceaccount:v-id-az:matillion-runner-sa', aud: ['api://AzureADTokenExchange'], exp: exp() },
        {
          AZURE_TENANT_ID: TENANT,
          AZURE_FEDERATED_TOKEN_FILE: AZURE_TOKEN,
          AZURE_AUTHORITY_HOST: `${aad.url}/`,
          CUSTOM_CERT_LOCATION: pki.caFile,
        },
      );
      const { report, stdout } = await doctor([
        '--namespace',
        'v-id-az',
        '--only',
        'identity,workload.values',
        '--identity-exchange',
      ]);
      expect(one(report, 'identity.exchange')).toMatchObject({
        code: 'identity.exchange/subject-mismatch',
        message: expect.stringMatching(
          /the Azure AD token endpoint refused the pod's token \(AADSTS70021\): it presents system:serviceaccount:v-id-az:matillion-runner-sa, .* accepts system:serviceaccount:matillion:matillion-runner-sa$/,
        ),
        remediation: {
          command: expect.stringMatching(
            /^az identity federated-credential create .* --subject system:serviceaccount:v-id-az:matillion-runner-sa/,
          ),
        },
      });
      expect(codes(report, 'identity.subject')).toEqual(['azure-mismatch']);
      expect(one(report, 'identity.token-exposure')).toMatchObject({
        status: 'warn',
        message: expect.stringMatching(
          /automountServiceAccountToken\) and is granted RoleBinding v-id-az\/runner-can-edit → ClusterRole edit/,
        ),
      });
      expect(codes(report, 'workload.values')).toEqual(['token-expiration']);
      expect(stdout).not.toContain(CANARY);
    });

    it('values the agent cannot use, each naming its Helm value; static keys next to IRSA; secrets never printed', async () => {
      await variant(
        'v-values',
        {
          env: {
            ACCOUNT_ID: `\${ACCOUNT_ID}`,
            MATILLION_REGION: 'us-east-1',
            PROXY_HTTPS: 'http://proxy.corp',
            PROXY_EXCLUDE: 'localhost,.svc.cluster.local',
            EXTENSION_LIBRARY_LOCATION: '<ExtensionLibraryLocation>',
            AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE',
            AWS_SECRET_ACCESS_KEY: SECRET_CANARY,
          },
        },
        (objs) => {
          container(objs).resources = { requests: { cpu: '1', memory: '4Gi' } };
        },
      );
      const [pod] = await runnerPods(c, 'v-values');
      await wireRunnerPod(c, pod!, {}, {}, 'v-values');
      const { report, stdout, stderr } = await doctor([
        '--namespace',
        'v-values',
        '--only',
        'workload.values,environment.values,identity.service-account,credentials.aws',
      ]);
      expect(codes(report, 'workload.values').sort()).toEqual([
        'location',
        'proxy',
        'proxy-exclude',
        'region',
        'resources',
        'unexpanded',
      ]);
      const w = (kind: string) => report.results.find((r) => r.code === `workload.values/${kind}`)!;
      expect(w('proxy')).toMatchObject({
        status: 'fail',
        message: expect.stringMatching(/^PROXY_HTTPS is "http:\/\/proxy\.corp", which the agent cannot parse: no port/),
        remediation: { text: expect.stringMatching(/dpcAgent\.dpcAgent\.env\.proxyHttps/) },
      });
      expect(w('region').message).toMatch(/fall back to us1 \(opentelemetry\.us1\.core\.matillion\.com\)/);
      expect(w('unexpanded').remediation?.text).toMatch(/dpcAgent\.dpcAgent\.env\.accountId/);
      expect(w('resources').remediation?.text).toMatch(/dpcAgent\.dpcAgent\.resources/);
      // The same values from inside the pod (the cloud provider and region are judged there by their own checks).
      expect(codes(report, 'environment.values').sort()).toEqual(['location', 'proxy', 'proxy-exclude', 'unexpanded']);
      expect(codes(report, 'identity.service-account')).toEqual(['static-keys-first']);
      expect(codes(report, 'credentials.aws')).toEqual(['static-keys-first']);
      expect(stdout + stderr).not.toContain(SECRET_CANARY);
    });

    it('the script runner: its Deployment, identity, /tmp limit and 2222 policy; sshd reached from inside the runner pod', async () => {
      // A stand-in sshd on a loopback address of its own, on the script runner's real port.
      const host = `127.${30 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
      const sshd = await sshdStandIn(host);
      onTestFinished(() => sshd.close());
      const labels = {
        app: 'matillion-runner-script-runner',
        'app.kubernetes.io/instance': 'matillion-runner',
        'app.kubernetes.io/component': 'script-runner',
      };
      await variant('v-scripts', { env: { MTLN_SCRIPT_RUNNER_HOST: host } }, (objs) => {
        const np = objs.find((x) => x.kind === 'NetworkPolicy')!;
        np.spec.egress.push({
          to: [{ podSelector: { matchLabels: { 'app.kubernetes.io/component': 'script-runner' } } }],
          ports: [{ protocol: 'TCP', port: 2222 }],
        });
        objs.push(
          {
            apiVersion: 'v1',
            kind: 'ServiceAccount',
            metadata: {
              name: 'matillion-runner-script-runner-sa',
              namespace: 'v-scripts',
              annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/matillion-script-runner' },
            },
          },
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'matillion-runner-script-runner', namespace: 'v-scripts', labels },
            spec: {
              replicas: 1,
              selector: { matchLabels: labels },
              template: {
                metadata: { labels },
                spec: {
                  serviceAccountName: 'matillion-runner-script-runner-sa',
                  containers: [
                    {
                      name: 'script-runner',
                      image: 'public.ecr.aws/matillion/script-runner:stable',
                      ports: [{ containerPort: 2222, name: 'ssh' }],
                      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
                    },
                  ],
                  volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '5Gi' } }],
                },
              },
            },
          },
        );
      });
      await c.waitFor(
        async () =>
          (
            await c.k([
              'get',
              'deploy',
              'matillion-runner-script-runner',
              '-n',
              'v-scripts',
              '-o',
              'jsonpath={.status.readyReplicas}',
            ])
          ).trim() === '1',
        60_000,
        'the script runner Deployment ready',
      );
      const [pod] = await runnerPods(c, 'v-scripts');
      await wireRunnerPod(c, pod!, {}, {}, 'v-scripts');
      const { report } = await doctor([
        '--namespace',
        'v-scripts',
        '--only',
        'workload.script-runner,network.script-runner',
      ]);
      expect(one(report, 'workload.script-runner')).toMatchObject({
        code: 'workload.script-runner/ok',
        message:
          'v-scripts/matillion-runner-script-runner: 1/1 ready, ServiceAccount v-scripts/matillion-runner-script-runner-sa, /tmp limited to 5Gi, port 2222 allowed between the runner and it',
      });
      expect(one(report, 'network.script-runner')).toMatchObject({
        code: 'network.script-runner/reachable',
        message: `sshd at ${host}:2222 answers: SSH-2.0-OpenSSH_9.6 runner-doctor-stand-in`,
      });
      expect(sshd.calls).toBe(1);
    });
  },
);
