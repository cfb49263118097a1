// The doctor's stage-by-stage egress test against real servers on 127.0.0.1: TLS under a test CA (good,
// expired, wrong host, an untrusted "interceptor" issuer, a TCP accept that never finishes TLS), a
// refused port, `.invalid` names, a real CONNECT proxy (tunnel, 403, 407, NO_PROXY) and a real UDP DNS
// server (NXDOMAIN, SERVFAIL, silence). Nothing here reaches the internet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeAll, probeEndpoint } from '../../src/facts/egress/probe.ts';
import { excluded, proxyConfigFrom, proxyFor } from '../../src/domain/proxy.ts';
import { applyOverrides, deriveTargets, parseTargetSpec, type EgressTarget } from '../../src/domain/egress.ts';
import { toolsDir } from '../helpers/fixture-root.ts';
import {
  connectProxy,
  dnsServer,
  hangingServer,
  httpsServer,
  makePki,
  refusedPort,
  type Pki,
  type Running,
} from '../helpers/net-servers.ts';

let pki: Pki;
const servers: Running[] = [];
const ports: Record<string, number> = {};
let proxy: Running & { seen: string[] };
let authProxy: Running & { seen: string[] };
let dnsSrv: Running;

beforeAll(async () => {
  pki = makePki();
  const start = async (name: string, r: Promise<Running>) => {
    const s = await r;
    servers.push(s);
    ports[name] = s.port;
  };
  await start(
    'good',
    httpsServer(pki.leaf('api.matillion.com', { sans: ['api.matillion.com', 'localhost', '127.0.0.1'] })),
  );
  await start('expired', httpsServer(pki.leaf('localhost', { sans: ['localhost', '127.0.0.1'], expired: true })));
  await start('wronghost', httpsServer(pki.leaf('elsewhere.example', { sans: ['elsewhere.example'] })));
  await start(
    'intercepted',
    httpsServer(pki.leaf('api.matillion.com', { sans: ['api.matillion.com', 'localhost'], ca: 'interceptor' })),
  );
  await start('hang', hangingServer());
  ports.refused = await refusedPort();
  proxy = await connectProxy({ deny: ['blocked.internal'] });
  authProxy = await connectProxy({ auth: 'user:s3cret-canary' });
  servers.push(proxy, authProxy);
  dnsSrv = await dnsServer({
    'api.test.local': '127.0.0.1',
    'broken.test.local': 'SERVFAIL',
    'silent.test.local': 'DROP',
  });
  servers.push(dnsSrv);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const target = (port: number, o: Partial<EgressTarget> = {}): EgressTarget => ({
  name: `localhost:${port}`,
  host: 'localhost',
  port,
  tls: true,
  publicCA: false,
  purpose: 'test',
  ...o,
});
const fast = { timeouts: { dns: 1500, tcp: 1500, tls: 1200, http: 1500 } };

describe('egress stages against real local servers', () => {
  it('a good certificate under the given CA: DNS, TCP, TLS and HTTP all pass, with timings and the chain', async () => {
    const r = await probeEndpoint(target(ports.good!), { ...fast, extraCA: [pki.caPem] });
    expect(r.failedStage).toBeUndefined();
    expect(r.dns).toMatchObject({ ok: true, addresses: expect.arrayContaining(['127.0.0.1']) });
    expect(r.tcp).toMatchObject({ ok: true });
    expect(r.tls).toMatchObject({
      ok: true,
      protocol: 'TLSv1.3',
      issuer: 'CN=test Root CA, O=runner-doctor tests',
      trust: 'extra',
    });
    expect(r.http).toMatchObject({ ok: true, status: 401 });
    for (const s of [r.dns, r.tcp, r.tls, r.http]) expect(s!.ms).toBeGreaterThanOrEqual(0);
  });

  it('the same server without the CA: untrusted issuer', async () => {
    const r = await probeEndpoint(target(ports.good!), fast);
    expect(r).toMatchObject({
      failedStage: 'tls',
      tls: { ok: false, error: 'untrusted', issuer: 'CN=test Root CA, O=runner-doctor tests' },
    });
  });

  it("expired, wrong host, and an interceptor's certificate are told apart", async () => {
    const [exp, wrong, inter] = await probeAll(
      [
        target(ports.expired!),
        target(ports.wronghost!),
        target(ports.intercepted!, { servername: 'api.matillion.com', publicCA: true }),
      ],
      { ...fast, extraCA: [pki.caPem] },
    );
    expect(exp).toMatchObject({
      failedStage: 'tls',
      tls: { error: 'expired', detail: expect.stringMatching(/expired on \d{4}-/) },
    });
    expect(wrong).toMatchObject({
      failedStage: 'tls',
      tls: { error: 'wrong-host', detail: expect.stringMatching(/not for localhost/) },
    });
    expect(inter).toMatchObject({
      failedStage: 'tls',
      tls: { error: 'untrusted', issuer: 'CN=interceptor Root CA, O=runner-doctor tests' },
    });
  });

  it('TCP accepted but TLS never completes → a TLS timeout; a refused port → refused; .invalid → NXDOMAIN', async () => {
    const [hang, refused, invalid] = await probeAll(
      [target(ports.hang!), target(ports.refused!), { ...target(443), host: 'control-plane.example.invalid' }],
      fast,
    );
    expect(hang).toMatchObject({ failedStage: 'tls', tcp: { ok: true }, tls: { ok: false, error: 'timeout' } });
    expect(refused).toMatchObject({ failedStage: 'tcp', tcp: { ok: false, error: 'refused' } });
    expect(invalid).toMatchObject({
      failedStage: 'dns',
      dns: { ok: false, error: 'nxdomain', detail: expect.stringMatching(/NXDOMAIN/) },
    });
  });

  it('a DNS server that answers, says NXDOMAIN, SERVFAILs or stays silent', async () => {
    const o = { ...fast, dnsServers: [`127.0.0.1:${dnsSrv.port}`] };
    const [ok, nx, sf, silent] = await probeAll(
      ['api.test.local', 'nope.test.local', 'broken.test.local', 'silent.test.local'].map((h) => ({
        ...target(ports.good!),
        host: h,
      })),
      o,
    );
    expect(ok!.dns).toMatchObject({ ok: true, addresses: ['127.0.0.1'] });
    expect(nx!.dns).toMatchObject({ ok: false, error: 'nxdomain' });
    expect(sf!.dns).toMatchObject({ ok: false, error: 'servfail' });
    expect(silent!.dns).toMatchObject({ ok: false, error: 'timeout' });
  });

  it('through a CONNECT proxy: tunnel and TLS inside it; 403 for a denied host; NO_PROXY bypasses it', async () => {
    const cfg = proxyConfigFrom(
      { HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: 'internal.corp,.svc' },
      false,
    );
    const ok = await probeEndpoint(target(ports.good!), { ...fast, extraCA: [pki.caPem], proxy: cfg });
    expect(ok).toMatchObject({
      via: `http://127.0.0.1:${proxy.port}`,
      dns: { ok: true, byProxy: true },
      proxy: { ok: true, status: 200 },
      tls: { ok: true },
      http: { status: 401 },
    });
    expect(proxy.seen).toContain(`localhost:${ports.good}`);
    const denied = await probeEndpoint({ ...target(443), host: 'blocked.internal' }, { ...fast, proxy: cfg });
    expect(denied).toMatchObject({ failedStage: 'proxy', proxy: { ok: false, status: 403, error: 'denied' } });
    const bypass = await probeEndpoint(
      { ...target(ports.refused!), host: 'db.internal.corp', connect: { host: '127.0.0.1', port: ports.refused! } },
      { ...fast, proxy: cfg },
    );
    expect(bypass.via).toBeUndefined();
    expect(bypass).toMatchObject({ failedStage: 'tcp', tcp: { error: 'refused' } });
  });

  it('a proxy that needs credentials: 407 without them, a tunnel with them; the password never appears', async () => {
    const none = await probeEndpoint(target(ports.good!), {
      ...fast,
      proxy: proxyConfigFrom({ PROXY_HTTPS: `http://127.0.0.1:${authProxy.port}` }, true),
    });
    expect(none).toMatchObject({ failedStage: 'proxy', proxy: { status: 407, error: 'auth-required' } });
    const withAuth = await probeEndpoint(target(ports.good!), {
      ...fast,
      extraCA: [pki.caPem],
      proxy: proxyConfigFrom({ PROXY_HTTPS: `http://user:s3cret-canary@127.0.0.1:${authProxy.port}` }, true),
    });
    expect(withAuth).toMatchObject({
      via: `http://***@127.0.0.1:${authProxy.port}`,
      proxy: { ok: true },
      http: { status: 401 },
    });
    expect(JSON.stringify([none, withAuth])).not.toContain('s3cret-canary');
  });

  it('all targets run at once: 6 hanging endpoints are held open together, not one after another', async () => {
    const hang = await hangingServer();
    servers.push(hang);
    const rs = await probeAll(
      Array.from({ length: 6 }, () => target(hang.port)),
      { timeouts: { tls: 800 } },
    );
    expect(rs.every((r) => r.tls?.error === 'timeout')).toBe(true);
    // Counted, not timed: the server saw all six connections open at the same moment (the bench measures the time).
    expect(hang.peak()).toBe(6);
  });
});

describe('targets and proxy rules', () => {
  it('derives the vendor, cloud and registry endpoints from the runner settings', () => {
    const names = (s: Parameters<typeof deriveTargets>[0]) => deriveTargets(s).map((t) => t.name);
    expect(
      names({
        region: 'eu1',
        cloud: 'AWS',
        awsRegion: 'eu-west-1',
        image: 'public.ecr.aws/matillion/etl-agent:stable',
      }),
    ).toEqual([
      'keycloak.core.matillion.com',
      'api.matillion.com',
      'opentelemetry.eu1.core.matillion.com',
      'sts.eu-west-1.amazonaws.com',
      's3.eu-west-1.amazonaws.com',
      'secretsmanager.eu-west-1.amazonaws.com',
      'logs.eu-west-1.amazonaws.com',
      'public.ecr.aws',
      'api.ecr-public.us-east-1.amazonaws.com',
      // ECR Public serves the layers from the region's bucket (the region the pod's AWS_REGION gives).
      'prod-eu-west-1-starport-layer-bucket.s3.eu-west-1.amazonaws.com',
    ]);
    expect(
      names({
        region: 'au1',
        cloud: 'AZURE',
        keyVault: 'kv-runner',
        image: 'matillion.azurecr.io/cloud-agent:current',
      }),
    ).toEqual([
      'keycloak.core.matillion.com',
      'api.matillion.com',
      'opentelemetry.us1.core.matillion.com',
      'login.microsoftonline.com',
      'kv-runner.vault.azure.net',
      'matillion.azurecr.io',
    ]);
  });
  it('parses user targets and rejects junk with one line', () => {
    expect(parseTargetSpec('snowflake=acme.snowflakecomputing.com')).toMatchObject({
      name: 'snowflake',
      host: 'acme.snowflakecomputing.com',
      port: 443,
      tls: true,
    });
    expect(parseTargetSpec('http://10.0.0.5:8080/x')).toMatchObject({ host: '10.0.0.5', port: 8080, tls: false });
    expect(() => parseTargetSpec('bad host:1')).toThrow(/expected host\[:port\]/);
    expect(() => parseTargetSpec('h:99999')).toThrow(/out of range/);
    expect(
      applyOverrides(deriveTargets({ region: 'us1' }), { 'api.matillion.com': { connect: '127.0.0.1:8443' } }).find(
        (t) => t.host === 'api.matillion.com',
      ),
    ).toMatchObject({ connect: { host: '127.0.0.1', port: 8443 }, publicCA: true });
  });
  it('NO_PROXY / PROXY_EXCLUDE matching', () => {
    expect(excluded('a.svc.cluster.local', 443, ['.cluster.local'])).toBe(true);
    expect(excluded('cluster.local', 443, ['.cluster.local'])).toBe(true);
    expect(excluded('x.corp', 443, ['*.corp'])).toBe(true);
    expect(excluded('corp', 443, ['corp'])).toBe(true);
    expect(excluded('notcorp', 443, ['corp'])).toBe(false);
    expect(excluded('db', 5432, ['db:5432'])).toBe(true);
    expect(excluded('db', 443, ['db:5432'])).toBe(false);
    expect(excluded('anything', 1, ['*'])).toBe(true);
    expect(
      proxyFor(
        proxyConfigFrom({ PROXY_HTTPS: 'proxy:3128', PROXY_EXCLUDE: 'localhost|*.internal' }, true),
        'x.internal',
        443,
        true,
      ),
    ).toBeUndefined();
    expect(
      proxyFor(proxyConfigFrom({ PROXY_HTTPS: 'proxy:3128' }, true), 'api.matillion.com', 443, true),
    ).toMatchObject({ host: 'proxy', port: 3128 });
  });
});

describe('the in-pod egress script under the real /bin/sh (python3, then curl and getent fallbacks)', () => {
  const run = async (targets: EgressTarget[], env: Record<string, string>) => {
    const { inPodEgressScript, parseInPodEgress } = await import('../../src/facts/egress/in-pod.ts');
    const { execFile } = await import('node:child_process');
    const nonce = 'n0nce';
    const script = inPodEgressScript(targets, nonce, { dns: 1500, tcp: 1500, tls: 1200, http: 1500 });
    // Asynchronously: the servers live in this process and must answer while the script runs.
    const out = await new Promise<string>((resolve) =>
      execFile(
        '/bin/sh',
        ['-c', script],
        { env: { HOME: '/tmp', ...env }, encoding: 'utf8', timeout: 20_000 },
        (_e, stdout) => resolve(String(stdout)),
      ),
    );
    return parseInPodEgress(`garbage line\n@@RDE:wrong:r:{}\n${out}`, nonce, targets);
  };
  const cases = () => [
    { ...target(ports.good!), name: 'good' },
    { ...target(ports.expired!), name: 'expired' },
    { ...target(ports.wronghost!), name: 'wronghost' },
    { ...target(ports.hang!), name: 'hang' },
    { ...target(ports.refused!), name: 'refused' },
    { ...target(443), host: 'control-plane.example.invalid', name: 'invalid' },
  ];
  const verdicts = (r: Awaited<ReturnType<typeof run>>) =>
    Object.fromEntries(
      r.results.map((x) => [
        x.target.name,
        x.failedStage ? `${x.failedStage}:${x[x.failedStage]?.error}` : `ok:${x.http?.status ?? ''}`,
      ]),
    );

  it('python3 inline: the same classification as the doctor', async () => {
    const r = await run(cases(), { PATH: process.env.PATH!, CUSTOM_CERT_LOCATION: pki.caFile });
    expect(r.tool).toBe('python3');
    expect(r.complete).toBe(true);
    expect(verdicts(r)).toEqual({
      good: 'ok:401',
      expired: 'tls:expired',
      wronghost: 'tls:wrong-host',
      hang: 'tls:timeout',
      refused: 'tcp:refused',
      invalid: 'dns:nxdomain',
    });
    expect(r.results.find((x) => x.target.name === 'good')!.tls).toMatchObject({
      ok: true,
      issuer: 'CN=test Root CA, O=runner-doctor tests',
    });
  });

  it('python3 through a proxy that needs credentials: 407, and a tunnel with them', async () => {
    const r = await run([{ ...target(ports.good!), name: 'good' }], {
      PATH: process.env.PATH!,
      CUSTOM_CERT_LOCATION: pki.caFile,
      PROXY_HTTPS: `http://127.0.0.1:${authProxy.port}`,
    });
    expect(verdicts(r)).toEqual({ good: 'proxy:auth-required' });
    const ok = await run([{ ...target(ports.good!), name: 'good' }], {
      PATH: process.env.PATH!,
      CUSTOM_CERT_LOCATION: pki.caFile,
      PROXY_HTTPS: `http://user:s3cret-canary@127.0.0.1:${authProxy.port}`,
    });
    expect(verdicts(ok)).toEqual({ good: 'ok:401' });
    expect(ok.results[0]!.via).toBe(`http://***@127.0.0.1:${authProxy.port}`);
  });

  it('neither python3 nor curl: wget proves reachability, getent resolves names; each says so', async () => {
    const bins = toolsDir;
    const some = () => cases().filter((x) => ['good', 'refused', 'invalid'].includes(x.name));
    const w = await run(some(), {
      PATH: bins(['sh', 'wget', 'tr', 'head', 'rm', 'printf']),
      CUSTOM_CERT_LOCATION: pki.caFile,
    });
    expect(w.tool).toBe('wget');
    expect(w.results.map((x) => [x.target.name, x.tool, x.failedStage ?? 'ok'])).toEqual(
      expect.arrayContaining([
        ['good', 'wget', 'ok'],
        ['refused', 'wget', 'tcp'],
        ['invalid', 'wget', 'dns'],
      ]),
    );
    const g = await run(some(), { PATH: bins(['sh', 'getent', 'tr', 'head', 'rm', 'printf']) });
    expect(g.tool).toBe('getent');
    expect(
      Object.fromEntries(
        g.results.map((x) => [x.target.name, x.failedStage ? `${x.failedStage}:${x.dns?.error}` : 'dns-only']),
      ),
    ).toEqual({ good: 'dns-only', refused: 'dns-only', invalid: 'dns:nxdomain' });
  });

  it('no python3: curl does the stages and says so', async () => {
    const r = await run(cases(), {
      PATH: toolsDir(['sh', 'curl', 'tr', 'head', 'rm', 'printf', 'cat']),
      CUSTOM_CERT_LOCATION: pki.caFile,
    });
    expect(r.tool).toBe('curl');
    expect(verdicts(r)).toEqual({
      good: 'ok:401',
      expired: 'tls:expired',
      wronghost: 'tls:wrong-host',
      hang: 'tls:timeout',
      refused: 'tcp:refused',
      invalid: 'dns:nxdomain',
    });
  });
});
