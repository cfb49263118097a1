// The in-pod identity exchange under the real /bin/sh — inline python3, then the curl fallback — against
// local servers on 127.0.0.1 that stand in for the cloud services (test/helpers/identity-servers.ts): AWS
// STS (query protocol, HTTPS with our test CA), the Azure AD v2 token endpoint (HTTPS, test CA), the GKE
// metadata server and the EKS Pod Identity agent. Tokens are fakeJwt files under a fixture root, as in
// a pod. Success, subject mismatch, wrong audience, expired token and unreachable endpoints are each
// classified and judged by identity.exchange; the credentials the stand-ins hand out carry a canary that
// must appear in no output. Regional STS endpoints are proven through a local CONNECT proxy that refuses
// them, so nothing leaves this machine.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import exchangeCheck from '../../checks/identity/exchange.ts';
import reachCheck from '../../checks/network/script-runner.ts';
import { judgeCheck } from '../../src/engine/run.ts';
import type { Target } from '../../src/engine/types.ts';
import { EgressPlan } from '../../src/facts/egress/plan.ts';
import { identityScript, parseIdentityOutput } from '../../src/facts/identity/in-pod.ts';
import { LiveFactStore } from '../../src/facts/store.ts';
import { Redactor } from '../../src/redact/redact.ts';
import { Bound } from '../../src/util/bound.ts';
import { fakeJwt, toolsDir } from '../helpers/fixture-root.ts';
import {
  aadServer,
  metadataServer,
  podIdentityAgent,
  type Stand,
  sshdStandIn,
  stsServer,
} from '../helpers/identity-servers.ts';
import { connectProxy, makePki, type Pki, refusedPort, type Running } from '../helpers/net-servers.ts';
import { tempDir } from '../helpers/tmp.ts';

const CANARY = 'CANARY-9d7e51-NEVER-PRINT';
const ROLE = 'arn:aws:iam::123456789012:role/matillion-runner';
const CLIENT = '00000000-1111-2222-3333-444444444444';
const TENANT = 'tenant-1';
const RUNNER_SUB = 'system:serviceaccount:matillion:matillion-runner-sa';
const POD: Target = {
  kind: 'pod',
  name: 'matillion/runner-0',
  pod: { namespace: 'matillion', name: 'runner-0', container: 'c' },
};

let pki: Pki;
let sts: Stand;
let aad: Stand;
let metadata: Stand;
let unbound: Stand;
let agent: Stand;
let sshd: Stand;
let proxy: Running & { seen: string[] };
let refused: number;
let root: string;
const closers: (() => Promise<void>)[] = [];

const later = () => Math.floor(Date.now() / 1000) + 3600;
const token = (name: string, claims: Record<string, unknown>) => {
  const p = `/tokens/${name}`;
  mkdirSync(dirname(join(root, p)), { recursive: true });
  writeFileSync(join(root, p), fakeJwt(claims));
  return p;
};

beforeAll(async () => {
  pki = makePki();
  const leaf = pki.leaf('localhost', { sans: ['localhost', '127.0.0.1'] });
  sts = await stsServer({ tls: leaf, roles: [ROLE], canary: CANARY });
  aad = await aadServer({ tls: leaf, tenant: TENANT, apps: { [CLIENT]: undefined }, canary: CANARY });
  metadata = await metadataServer({
    ksa: 'matillion/matillion-runner-sa',
    gsa: 'runner@acme-data.iam.gserviceaccount.com',
    project: 'acme-data',
    bound: ['matillion/matillion-runner-sa'],
    canary: CANARY,
  });
  unbound = await metadataServer({
    ksa: 'data/runner',
    gsa: 'runner@acme-data.iam.gserviceaccount.com',
    project: 'acme-data',
    bound: ['matillion/matillion-runner-sa'],
    canary: CANARY,
  });
  agent = await podIdentityAgent({ account: '123456789012', canary: CANARY });
  proxy = await connectProxy({
    deny: ['sts.eu-west-1.amazonaws.com', 'sts.amazonaws.com', 'sts.cn-north-1.amazonaws.com.cn'],
  });
  refused = await refusedPort();
  // The script runner's sshd on a loopback address of its own, on its real port.
  const host = `127.${20 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
  sshd = await sshdStandIn(host);
  closers.push(sts.close, aad.close, metadata.close, unbound.close, agent.close, sshd.close, proxy.close);
  root = tempDir('rd-identity-');
  token('ksa', { sub: RUNNER_SUB, aud: ['https://kubernetes.default.svc'], exp: later() });
  mkdirSync(join(root, 'var/run/secrets/kubernetes.io/serviceaccount'), { recursive: true });
  writeFileSync(
    join(root, 'var/run/secrets/kubernetes.io/serviceaccount/token'),
    fakeJwt({ sub: RUNNER_SUB, exp: later() }),
  );
});
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
});

const CURL_ONLY = () => toolsDir(['sh', 'curl', 'sed', 'tr', 'cut', 'base64', 'head', 'cat', 'rm', 'printf']);
const tools = { python3: () => process.env.PATH ?? '', curl: CURL_ONLY } as const;

/** The script as exec runs it in a pod: `sh -c`, the pod's env, its files under RD_ROOT. */
async function run(task: 'exchange' | 'tcp', env: Record<string, string>, PATH: string) {
  const nonce = 'feedc0de';
  const stdout = await new Promise<string>((resolve) =>
    execFile(
      '/bin/sh',
      ['-c', identityScript(task, nonce, 4)],
      { env: { HOME: '/tmp', RD_ROOT: root, PATH, ...env }, timeout: 30_000 },
      (_e, out) => resolve(String(out)),
    ),
  );
  expect(stdout).not.toContain(CANARY);
  const parsed = parseIdentityOutput(`noise\n@@RDI:other:r:{"outcome":"ok"}\n${stdout}`, nonce, task);
  expect(parsed.complete).toBe(true);
  expect(JSON.stringify(parsed)).not.toContain(CANARY);
  return parsed;
}
const judge = (x: NonNullable<Awaited<ReturnType<typeof run>>['exchange']>) => {
  const [r] = judgeCheck(exchangeCheck, { identityExchange: x }, POD);
  if (!r) throw new Error('no result');
  expect(JSON.stringify(r)).not.toContain(CANARY);
  return r;
};

const awsEnv = (tok: string, extra: Record<string, string> = {}) => ({
  CLOUD_PROVIDER: 'AWS',
  AWS_ROLE_ARN: ROLE,
  AWS_WEB_IDENTITY_TOKEN_FILE: tok,
  AWS_REGION: 'eu-west-1',
  AWS_STS_REGIONAL_ENDPOINTS: 'regional',
  AWS_ENDPOINT_URL_STS: sts.url,
  AWS_CA_BUNDLE: pki.caFile,
  ...extra,
});
const azureEnv = (tok: string, extra: Record<string, string> = {}) => ({
  CLOUD_PROVIDER: 'AZURE',
  AZURE_CLIENT_ID: CLIENT,
  AZURE_TENANT_ID: TENANT,
  AZURE_FEDERATED_TOKEN_FILE: tok,
  AZURE_AUTHORITY_HOST: `${aad.url}/`,
  CUSTOM_CERT_LOCATION: pki.caFile,
  ...extra,
});

for (const [tool, path] of Object.entries(tools)) {
  describe(`the exchange with ${tool}, against the stand-in cloud services`, () => {
    it('STS: the role is assumed; the credentials stay in the pod', async () => {
      const tok = token(`aws-ok-${tool}`, {
        sub: RUNNER_SUB,
        aud: ['sts.amazonaws.com'],
        exp: later(),
        iss: 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE',
      });
      const { exchange: x, tool: used } = await run('exchange', awsEnv(tok), path());
      expect(used).toBe(tool);
      expect(x).toMatchObject({
        mode: 'aws-web-identity',
        outcome: 'ok',
        endpoint: sts.url,
        endpointSource: 'AWS_ENDPOINT_URL_STS',
        region: 'eu-west-1',
        regionSource: 'AWS_REGION',
        requested: ROLE,
        identity: expect.stringMatching(/^arn:aws:sts::123456789012:assumed-role\/matillion-runner\/runner-doctor/),
        token: { state: 'ok', sub: RUNNER_SUB, aud: ['sts.amazonaws.com'] },
      });
      expect(judge(x!).code).toBe('identity.exchange/aws');
    });

    it('STS: another ServiceAccount name → AccessDenied, judged as the trust policy subject mismatch', async () => {
      const tok = token(`aws-sub-${tool}`, {
        sub: 'system:serviceaccount:matillion:custom-sa',
        aud: ['sts.amazonaws.com'],
        exp: later(),
      });
      const { exchange: x } = await run('exchange', awsEnv(tok), path());
      expect(x).toMatchObject({
        outcome: 'refused',
        error: {
          code: 'AccessDenied',
          status: 403,
          message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
        },
      });
      const r = judge(x!);
      expect(r.code).toBe('identity.exchange/subject-mismatch');
      expect(r.message).toMatch(
        /presents system:serviceaccount:matillion:custom-sa, .* accepts system:serviceaccount:\*:matillion-runner-sa$/,
      );
    });

    it('STS: wrong audience and expired token are told apart', async () => {
      const aud = token(`aws-aud-${tool}`, { sub: RUNNER_SUB, aud: ['https://kubernetes.default.svc'], exp: later() });
      const old = token(`aws-exp-${tool}`, { sub: RUNNER_SUB, aud: ['sts.amazonaws.com'], exp: 1_600_000_000 });
      const a = (await run('exchange', awsEnv(aud), path())).exchange!;
      const e = (await run('exchange', awsEnv(old), path())).exchange!;
      expect(a.error).toMatchObject({ code: 'InvalidIdentityToken', message: 'Incorrect token audience' });
      expect(judge(a).code).toBe('identity.exchange/audience');
      expect(e.error?.code).toBe('ExpiredTokenException');
      expect(judge(e).code).toBe('identity.exchange/expired');
    });

    it('STS unreachable: refused connection → unreachable, pointing at the egress checks', async () => {
      const tok = token(`aws-unr-${tool}`, { sub: RUNNER_SUB, aud: ['sts.amazonaws.com'], exp: later() });
      const { exchange: x } = await run(
        'exchange',
        awsEnv(tok, { AWS_ENDPOINT_URL_STS: `https://127.0.0.1:${refused}` }),
        path(),
      );
      expect(x).toMatchObject({ outcome: 'unreachable', error: { stage: 'connect' } });
      expect(judge(x!).code).toBe('identity.exchange/unreachable');
    });

    it('Azure AD: a token for the client id; another namespace → AADSTS70021 subject mismatch', async () => {
      const ok = token(`az-ok-${tool}`, { sub: RUNNER_SUB, aud: ['api://AzureADTokenExchange'], exp: later() });
      const other = token(`az-ns-${tool}`, {
        sub: 'system:serviceaccount:data:matillion-runner-sa',
        aud: ['api://AzureADTokenExchange'],
        exp: later(),
      });
      const a = (await run('exchange', azureEnv(ok), path())).exchange!;
      expect(a).toMatchObject({
        mode: 'azure-workload-identity',
        outcome: 'ok',
        identity: CLIENT,
        tenant: TENANT,
        endpoint: aad.url,
      });
      expect(judge(a).code).toBe('identity.exchange/azure');
      const b = (await run('exchange', azureEnv(other), path())).exchange!;
      expect(b.error).toMatchObject({ code: 'AADSTS70021', status: 400 });
      expect(judge(b).code).toBe('identity.exchange/subject-mismatch');
    });

    it('Azure AD: wrong audience (AADSTS700212), expired (AADSTS700024), unknown app (AADSTS700016)', async () => {
      const aud = token(`az-aud-${tool}`, { sub: RUNNER_SUB, aud: ['sts.amazonaws.com'], exp: later() });
      const old = token(`az-exp-${tool}`, { sub: RUNNER_SUB, aud: ['api://AzureADTokenExchange'], exp: 1_600_000_000 });
      const ok = token(`az-app-${tool}`, { sub: RUNNER_SUB, aud: ['api://AzureADTokenExchange'], exp: later() });
      const codes = await Promise.all([
        run('exchange', azureEnv(aud), path()),
        run('exchange', azureEnv(old), path()),
        run('exchange', azureEnv(ok, { AZURE_CLIENT_ID: 'ffffffff-0000-0000-0000-000000000000' }), path()),
      ]);
      expect(codes.map((c) => c.exchange?.error?.code)).toEqual(['AADSTS700212', 'AADSTS700024', 'AADSTS700016']);
      expect(codes.map((c) => judge(c.exchange!).code)).toEqual([
        'identity.exchange/audience',
        'identity.exchange/expired',
        'identity.exchange/not-found',
      ]);
    });

    it('the GKE metadata server: a token for the Google service account; a KSA without the IAM binding is refused', async () => {
      const host = (s: Stand) => s.url.replace('http://', '');
      const a = (await run('exchange', { CLOUD_PROVIDER: 'GCP', GCE_METADATA_HOST: host(metadata) }, path())).exchange!;
      expect(a).toMatchObject({
        mode: 'gcp-metadata',
        outcome: 'ok',
        identity: 'runner@acme-data.iam.gserviceaccount.com',
        token: { sub: RUNNER_SUB },
      });
      expect(judge(a).code).toBe('identity.exchange/gcp');
      const b = (await run('exchange', { CLOUD_PROVIDER: 'GCP', GCE_METADATA_HOST: host(unbound) }, path())).exchange!;
      expect(b).toMatchObject({ outcome: 'refused', error: { status: 403 } });
      // The pod's own KSA token says matillion/matillion-runner-sa: the binding exists for it, so this is not
      // a subject mismatch but a refusal to look into (the binding names another KSA than the pod's).
      expect(judge(b).code).toBe('identity.exchange/denied');
      // A pod whose own KSA is data/runner: the Terraform binding names matillion/matillion-runner-sa.
      const other = tempDir('rd-identity-');
      mkdirSync(join(other, 'var/run/secrets/kubernetes.io/serviceaccount'), { recursive: true });
      writeFileSync(
        join(other, 'var/run/secrets/kubernetes.io/serviceaccount/token'),
        fakeJwt({ sub: 'system:serviceaccount:data:runner', exp: later() }),
      );
      const c = (
        await run('exchange', { CLOUD_PROVIDER: 'GCP', GCE_METADATA_HOST: host(unbound), RD_ROOT: other }, path())
      ).exchange!;
      const r = judge(c);
      expect(r.code).toBe('identity.exchange/subject-mismatch');
      expect(r.message).toMatch(/presents serviceAccount:acme-data\.svc\.id\.goog\[data\/runner\]/);
    });

    it('static keys come first: nothing is exchanged, and the check says why', async () => {
      const { exchange: x } = await run(
        'exchange',
        {
          CLOUD_PROVIDER: 'AWS',
          AWS_ROLE_ARN: ROLE,
          AWS_WEB_IDENTITY_TOKEN_FILE: '/tokens/x',
          AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
          AWS_SECRET_ACCESS_KEY: `k-${CANARY}`,
        },
        path(),
      );
      expect(x).toMatchObject({ outcome: 'skipped', skipped: 'static-keys' });
      expect(judge(x!).code).toBe('identity.exchange/static-keys');
    });

    it("the script runner's sshd on 2222: reached, banner read; a refused port says so", async () => {
      const ok = (await run('tcp', { MTLN_SCRIPT_RUNNER_HOST: sshd.url.split(':')[0]! }, path())).reach!;
      expect(ok).toMatchObject({
        enabled: true,
        outcome: 'ok',
        address: sshd.url,
        banner: expect.stringMatching(/^SSH-2\.0-OpenSSH_9\.6/),
      });
      expect(judgeCheck(reachCheck, { scriptRunnerReach: ok }, POD)[0]?.code).toBe('network.script-runner/reachable');
      const no = (await run('tcp', { MTLN_SCRIPT_RUNNER_HOST: `127.0.0.1:${refused}` }, path())).reach!;
      expect(no).toMatchObject({ enabled: true, outcome: 'refused' });
    });
  });
}

describe('the exchange with python3 only', () => {
  it('the regional STS endpoint from AWS_REGION, the global one for legacy or no region, .cn for China — through a local proxy that refuses them', async () => {
    const tok = token('aws-regional', { sub: RUNNER_SUB, aud: ['sts.amazonaws.com'], exp: later() });
    const via = { PROXY_HTTPS: `http://127.0.0.1:${proxy.port}`, AWS_ENDPOINT_URL_STS: '' };
    const [regional, legacy, none, china] = await Promise.all([
      run('exchange', awsEnv(tok, via), tools.python3()),
      run('exchange', awsEnv(tok, { ...via, AWS_STS_REGIONAL_ENDPOINTS: 'legacy' }), tools.python3()),
      run('exchange', awsEnv(tok, { ...via, AWS_REGION: '' }), tools.python3()),
      run('exchange', awsEnv(tok, { ...via, AWS_REGION: 'cn-north-1' }), tools.python3()),
    ]);
    expect([regional, legacy, none, china].map((r) => [r.exchange?.endpoint, r.exchange?.endpointSource])).toEqual([
      ['https://sts.eu-west-1.amazonaws.com', 'the regional endpoint for AWS_REGION'],
      ['https://sts.amazonaws.com', 'the global endpoint (AWS_STS_REGIONAL_ENDPOINTS=legacy)'],
      ['https://sts.amazonaws.com', 'the global endpoint: neither AWS_REGION nor AWS_DEFAULT_REGION is set'],
      ['https://sts.cn-north-1.amazonaws.com.cn', 'the regional endpoint for AWS_REGION'],
    ]);
    expect(regional.exchange).toMatchObject({
      outcome: 'unreachable',
      via: `http://127.0.0.1:${proxy.port}`,
      error: { code: 'proxy' },
    });
    expect(proxy.seen).toEqual(
      expect.arrayContaining([
        'sts.eu-west-1.amazonaws.com:443',
        'sts.amazonaws.com:443',
        'sts.cn-north-1.amazonaws.com.cn:443',
      ]),
    );
  });

  it('EKS Pod Identity: the agent answers the projected token with credentials', async () => {
    const tok = token('pod-identity', { sub: RUNNER_SUB, aud: ['pods.eks.amazonaws.com'], exp: later() });
    const { exchange: x } = await run(
      'exchange',
      {
        CLOUD_PROVIDER: 'AWS',
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${agent.url}/v1/credentials`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tok,
      },
      tools.python3(),
    );
    expect(x).toMatchObject({
      mode: 'aws-pod-identity',
      outcome: 'ok',
      identity: 'credentials for account 123456789012',
    });
    expect(judge(x!).code).toBe('identity.exchange/pod-identity');
  });

  it('neither python3 nor curl: no tool, said once', async () => {
    const r = await run('exchange', { CLOUD_PROVIDER: 'AWS' }, toolsDir(['sh', 'cat']));
    expect(r).toMatchObject({ tool: 'none', exchange: { skipped: 'no-tool' } });
    expect(judge(r.exchange!).code).toBe('identity.exchange/no-tool');
  });

  it('--local: the identityExchange collector runs the same script in this process environment', async () => {
    const tok = token('local', { sub: RUNNER_SUB, aud: ['sts.amazonaws.com'], exp: later() });
    const env = { PATH: process.env.PATH, HOME: '/tmp', ...awsEnv(tok) };
    const store = new LiveFactStore({
      mode: 'local',
      signal: new AbortController().signal,
      redactor: new Redactor(),
      config: { waivers: [] },
      now: Date.now(),
      env,
      local: { root, env },
      egress: new EgressPlan({ targets: [], override: {}, derived: false, caFiles: [], dnsServers: [] }),
      probeTimeoutMs: 30_000,
      execSlots: new Bound(1),
      podTargets: [],
      identityExchange: true,
    });
    const local: Target = { kind: 'local', name: 'local' };
    const x = await store.get(local, 'identityExchange');
    expect(x).toMatchObject({ outcome: 'ok', mode: 'aws-web-identity' });
    expect(JSON.stringify([...store.recorded.values()].map((m) => [...m.values()]))).not.toContain(CANARY);
    // Turned off: no script runs, the check skips saying so.
    const off = new LiveFactStore({ ...store.run, identityExchange: false });
    const calls = sts.calls;
    expect(await off.get(local, 'identityExchange')).toEqual({ tool: 'none', outcome: 'skipped', skipped: 'disabled' });
    expect(sts.calls).toBe(calls);
  });
});
