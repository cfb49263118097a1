// The knowledge behind issue 13's checks, as pure functions: the subjects the vendor's Terraform binds,
// what the services' errors mean, how the agent reads proxy values and PROXY_EXCLUDE, and which
// endpoints an image pull needs (ECR Public's layer bucket, a private ECR pull-through cache, ACR's data
// endpoint, a mirror), with the AWS region's source named.
import { describe, expect, it } from 'vitest';
import { deriveTargets, settingsFromEnv } from '../../src/domain/egress.ts';
import { exchangeCause, parseSubject, subjectMatches, trustBinding } from '../../src/domain/identity.ts';
import { registryEndpoints } from '../../src/domain/registries.ts';
import { parseAgentProxy, proxyExcludeProblems, resourcesOverride, unexpandedRef } from '../../src/domain/values.ts';

describe('what the vendor Terraform binds', () => {
  it('AWS: any namespace, the chart ServiceAccount (and *-script-runner-sa); Azure and GKE: one namespace', () => {
    const aws = trustBinding('AWS').pattern;
    expect(subjectMatches(aws, 'system:serviceaccount:data:matillion-runner-sa')).toBe(true);
    expect(subjectMatches(aws, 'system:serviceaccount:matillion:custom-sa')).toBe(false);
    expect(
      subjectMatches(trustBinding('AWS', 'script-runner').pattern, 'system:serviceaccount:x:prod-script-runner-sa'),
    ).toBe(true);
    expect(subjectMatches(trustBinding('AZURE').pattern, 'system:serviceaccount:data:matillion-runner-sa')).toBe(false);
    expect(trustBinding('GCP', 'runner', 'acme-data').display).toBe(
      'serviceAccount:acme-data.svc.id.goog[matillion/matillion-runner-sa]',
    );
    expect(parseSubject('system:serviceaccount:ns:sa')).toEqual({ namespace: 'ns', name: 'sa' });
    expect(parseSubject('user:x')).toBeUndefined();
  });

  it('service errors → causes', () => {
    const e = (code: string, message = '', status?: number) =>
      exchangeCause({
        tool: 'python3',
        outcome: 'refused',
        error: { code, message, ...(status ? { status } : {}), stage: 'http' },
      });
    expect(e('AADSTS70021')).toBe('subject');
    expect(e('AADSTS700212')).toBe('audience');
    expect(e('AADSTS700211')).toBe('issuer');
    expect(e('AADSTS700024')).toBe('expired');
    expect(e('AADSTS90002')).toBe('not-found');
    expect(e('InvalidIdentityToken', 'Incorrect token audience')).toBe('audience');
    expect(e('ExpiredTokenException', 'Token expired')).toBe('expired');
    expect(e('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403)).toBe('denied');
    expect(e('HTTP403', 'Permission denied', 403)).toBe('denied');
    expect(
      exchangeCause({ tool: 'curl', outcome: 'unreachable', error: { code: 'dns', message: '', stage: 'dns' } }),
    ).toBe('unreachable');
  });
});

describe('values as the agent reads them', () => {
  it('proxy values: scheme://host:port or the reason it cannot start', () => {
    expect(parseAgentProxy('http://proxy.corp:3128')).toEqual({
      ok: true,
      scheme: 'http',
      host: 'proxy.corp',
      port: 3128,
    });
    expect(parseAgentProxy('http://user:pw@[fd00::1]:8080/')).toMatchObject({ ok: true, port: 8080 });
    expect(parseAgentProxy('http://proxy.corp')).toMatchObject({
      ok: false,
      why: expect.stringMatching(/https\.proxyPort to be a number/),
    });
    expect(parseAgentProxy('proxy.corp:3128')).toMatchObject({ ok: false, why: expect.stringMatching(/^no scheme/) });
    expect(parseAgentProxy('socks5://proxy.corp:1080')).toMatchObject({
      ok: false,
      why: 'scheme socks5 is not http or https',
    });
    expect(parseAgentProxy('http://proxy.corp:99999')).toMatchObject({
      ok: false,
      why: 'the port 99999 is out of range',
    });
  });
  it('PROXY_EXCLUDE: the JVM syntax passes, NO_PROXY habits are named', () => {
    expect(proxyExcludeProblems('localhost|*.svc.cluster.local|10.*|169.254.169.254')).toEqual([]);
    expect(proxyExcludeProblems('https://a.b|x:80||')).toEqual([
      'https://a.b: a URL (give the host only)',
      'x:80: a port (nonProxyHosts matches hosts only)',
      'an empty entry (|| or a | at either end)',
    ]);
    expect(proxyExcludeProblems('a*b.corp')).toEqual([
      'a*b.corp: a * inside the pattern (only at the start or the end)',
    ]);
  });
  it(`\${VAR} references and partial resources overrides`, () => {
    expect(unexpandedRef(`eu\${X}`)).toBe(`\${X}`);
    expect(unexpandedRef('$X')).toBeUndefined();
    expect(resourcesOverride({ requests: { cpu: '1' }, limits: { cpu: '2' } })).toBeUndefined();
    expect(resourcesOverride({ limits: { cpu: '2' } })?.detail).toMatch(/^sets only limits/);
    expect(resourcesOverride(undefined)).toBeUndefined();
  });
});

describe('what an image pull needs', () => {
  it('ECR Public: the registry, its us-east-1 API and the layer bucket of the pod region, saying where the region came from', () => {
    expect(
      registryEndpoints('public.ecr.aws/matillion/etl-agent:stable', {
        awsRegion: 'eu-west-1',
        awsRegionSource: 'AWS_REGION',
      }),
    ).toEqual([
      { host: 'public.ecr.aws', purpose: 'image registry' },
      { host: 'api.ecr-public.us-east-1.amazonaws.com', purpose: 'image registry API (all regions use us-east-1)' },
      {
        host: 'prod-eu-west-1-starport-layer-bucket.s3.eu-west-1.amazonaws.com',
        purpose: 'image layers (region eu-west-1 from AWS_REGION)',
      },
    ]);
    expect(registryEndpoints('public.ecr.aws/matillion/etl-agent:stable')[2]?.purpose).toBe(
      'image layers (region us-east-1: AWS_REGION is not set)',
    );
  });
  it('a private ECR pull-through cache of the vendor image is recognised as a mirror', () => {
    expect(
      registryEndpoints('123456789012.dkr.ecr.eu-central-1.amazonaws.com/ecr-public/matillion/etl-agent:stable').map(
        (e) => [e.host, e.purpose],
      ),
    ).toEqual([
      [
        '123456789012.dkr.ecr.eu-central-1.amazonaws.com',
        'image registry (private ECR, a pull-through cache of public.ecr.aws/matillion/etl-agent)',
      ],
      ['api.ecr.eu-central-1.amazonaws.com', 'image registry API'],
      [
        'prod-eu-central-1-starport-layer-bucket.s3.eu-central-1.amazonaws.com',
        'image layers (region eu-central-1 of the registry)',
      ],
    ]);
  });
  it("ACR: the registry and, with the cluster's region, its data endpoint; any other registry with the vendor path is a mirror", () => {
    expect(
      registryEndpoints('matillion.azurecr.io/cloud-agent:current', { azureRegion: 'westeurope' }).map((e) => e.host),
    ).toEqual(['matillion.azurecr.io', 'matillion.westeurope.data.azurecr.io']);
    expect(registryEndpoints('matillion.azurecr.io/cloud-agent:current').map((e) => e.host)).toEqual([
      'matillion.azurecr.io',
    ]);
    expect(registryEndpoints('harbor.corp:8443/proxy/matillion/etl-agent:stable')).toEqual([
      { host: 'harbor.corp', port: 8443, purpose: 'image registry (a mirror of public.ecr.aws/matillion/etl-agent)' },
    ]);
    expect(registryEndpoints('harbor.corp/other/image:1')).toEqual([]);
  });
  it('derived AWS endpoints say which variable gave the region', () => {
    const t = deriveTargets(settingsFromEnv({ CLOUD_PROVIDER: 'AWS', AWS_DEFAULT_REGION: 'ap-southeast-2' }));
    expect(t.find((x) => x.host === 'sts.ap-southeast-2.amazonaws.com')?.purpose).toBe(
      'IRSA token exchange (regional STS; region ap-southeast-2 from AWS_DEFAULT_REGION)',
    );
    const mirror = deriveTargets({
      cloud: 'AWS',
      awsRegion: 'eu-west-1',
      image: 'harbor.corp:8443/matillion/etl-agent:stable',
    });
    expect(mirror.map((x) => x.name)).toContain('harbor.corp:8443');
    expect(mirror.map((x) => x.name)).not.toContain('public.ecr.aws');
  });
});
