// What the log checks know, as pure functions: which lines are errors, the known signatures (and what
// they name), how repeats group, the query texts each store runs, the window, the EKS cluster of a
// context — and the redaction every log line goes through before a fact holds it (canaries).
import { describe, expect, it } from 'vitest';
import {
  chartFullname,
  eksClusterOf,
  fmtSince,
  groupBySignature,
  helmValueForPlaceholder,
  insightsErrorLines,
  insightsLineCount,
  insightsTime,
  isErrorLine,
  knownSignature,
  kqlErrorGroups,
  kqlRestarts,
  lastStatusReason,
  normaliseLine,
  parseSince,
  podFilter,
} from '../../src/domain/log-signatures.ts';
import { Redactor, redactSecretsInText } from '../../src/redact/redact.ts';
import { safeLine } from '../../src/facts/cloud/query-context.ts';
import type { RunResources } from '../../src/facts/collector.ts';
import { buildCloudLogs } from '../../src/cli/cloud-logs-options.ts';
import { UsageError } from '../../src/cli/errors.ts';
import { ConfigError, parseConfig } from '../../src/config/load.ts';
import { fakeJwt } from '../helpers/fixture-root.ts';

describe('known signatures', () => {
  it.each([
    [
      'ERROR AuthClient: POST /protocol/openid-connect/token → 401 {"error":"invalid_client"}',
      'oauth-client-rejected',
      undefined,
    ],
    ['Keycloak said 401 Unauthorized for the agent client', 'oauth-client-rejected', undefined],
    ['Invalid bucket name <ExtensionLibraryLocation>', 'placeholder-left', '<ExtensionLibraryLocation>'],
    ['bucket "<ExternalDriverLocation>" invalid', 'placeholder-left', '<ExternalDriverLocation>'],
    [
      'expected system property https.proxyPort to be a number but got empty string',
      'proxy-malformed',
      'https.proxyPort',
    ],
    ['java.net.UnknownHostException: api.matillion.com', 'dns-failure', 'api.matillion.com'],
    ['getaddrinfo ENOTFOUND keycloak.core.matillion.com', 'dns-failure', 'keycloak.core.matillion.com'],
    [
      'PKIX path building failed: unable to find valid certification path to requested target',
      'tls-untrusted',
      undefined,
    ],
    ['java.lang.OutOfMemoryError: Java heap space', 'out-of-memory', 'Java heap space'],
    ['/bin/sh: line 1:    42 Killed                  python3 task.py', 'out-of-memory', 'Killed'],
    ['Not authorized to perform sts:AssumeRoleWithWebIdentity', 'identity-federation', undefined],
    ['AADSTS700213: No matching federated identity record found', 'identity-federation', undefined],
    ['S3Exception: Access Denied (Service: S3, Status Code: 403) AccessDenied', 'cloud-access-denied', undefined],
    ['java.net.ConnectException: Connection refused', 'connect-failure', undefined],
  ])('%s → %s', (line, id, subject) => {
    expect(knownSignature(line)).toEqual(subject ? { id, subject } : { id });
    expect(isErrorLine(line), 'every known signature passes the error filter').toBe(true);
  });

  it('generics are not placeholders, task kills are not OOM, ordinary lines are not errors', () => {
    expect(knownSignature('cannot deserialize java.util.List<String> from [')).toBeUndefined();
    expect(knownSignature('task 12 killed by the user')).toBeUndefined();
    expect(isErrorLine('INFO started 20 task slots')).toBe(false);
    expect(isErrorLine('\tat com.matillion.Foo.bar(Foo.java:12) SomethingException')).toBe(false);
    expect(isErrorLine('2026-11-30 ERROR c.m.Foo : boom')).toBe(true);
  });

  it('placeholders name their Helm value', () => {
    expect(helmValueForPlaceholder('<ExtensionLibraryLocation>')).toBe(
      'dpcAgent.dpcAgent.env.extensionLibraryLocation',
    );
    expect(helmValueForPlaceholder('<MatillionRegion>')).toBe('dpcAgent.dpcAgent.env.matillionRegion');
    expect(helmValueForPlaceholder('<SomethingElse>')).toBeUndefined();
  });
});

describe('signatures group repeats', () => {
  it('times, ids, addresses and numbers are set aside', () => {
    expect(
      normaliseLine(
        '2026-11-30T10:00:01.123Z ERROR job 4711 for 10.0.3.7:5432 (id 3f2a9c1e-0b1d-4e5f-8a9b-0c1d2e3f4a5b) hash deadbeef01 failed',
      ),
    ).toBe('<time> ERROR job <n> for <ip> (id <uuid>) hash <hex> failed');
    expect(normaliseLine('word '.repeat(100))).toHaveLength(161);
  });

  it('counts add up, the newest line is the example, pods are merged, most frequent first', () => {
    const g = groupBySignature([
      { count: 3, newest: '2026-11-30T10:00:00Z', line: 'ERROR job 1 failed', pods: ['a'] },
      { count: 4, newest: '2026-11-30T11:00:00Z', line: 'ERROR job 2 failed', pods: ['b'] },
      { count: 1, newest: '2026-11-30T09:00:00Z', line: 'java.net.UnknownHostException: x.example.com', pods: ['a'] },
      { count: 2, newest: '2026-11-30T09:30:00Z', line: 'java.net.UnknownHostException: y.example.com', pods: ['a'] },
    ]);
    expect(g).toEqual([
      {
        signature: 'ERROR job <n> failed',
        count: 7,
        newest: '2026-11-30T11:00:00Z',
        example: 'ERROR job 2 failed',
        pods: ['a', 'b'],
      },
      {
        signature: 'dns-failure y.example.com',
        known: 'dns-failure',
        subject: 'y.example.com',
        count: 2,
        newest: '2026-11-30T09:30:00Z',
        example: 'java.net.UnknownHostException: y.example.com',
        pods: ['a'],
      },
      {
        signature: 'dns-failure x.example.com',
        known: 'dns-failure',
        subject: 'x.example.com',
        count: 1,
        newest: '2026-11-30T09:00:00Z',
        example: 'java.net.UnknownHostException: x.example.com',
        pods: ['a'],
      },
    ]);
  });
});

describe('the window and the pods', () => {
  it('--since', () => {
    expect([parseSince('90m'), parseSince('24h'), parseSince('7d')]).toEqual([5_400_000, 86_400_000, 604_800_000]);
    expect([parseSince('0m'), parseSince('32d'), parseSince('1w'), parseSince('24')]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect([fmtSince(5_400_000), fmtSince(86_400_000), fmtSince(172_800_000), fmtSince(604_800_000)]).toEqual([
      '90m',
      '24h',
      '2d',
      '7d',
    ]);
  });
  it('the chart names pods after the release', () => {
    expect(chartFullname('matillion-runner')).toBe('matillion-runner');
    expect(chartFullname('prod')).toBe('prod-matillion-runner');
    expect(podFilter({ namespace: 'matillion', release: 'prod' })).toEqual({
      namespace: 'matillion',
      prefix: 'prod-matillion-runner-',
      contains: 'matillion-runner',
    });
    expect(() => podFilter({ namespace: 'a"b' })).toThrow(/not a Kubernetes name/);
  });
  it('the EKS cluster of a context', () => {
    expect(eksClusterOf('arn:aws:eks:eu-west-1:123456789012:cluster/prod', undefined)).toEqual({
      name: 'prod',
      region: 'eu-west-1',
    });
    expect(eksClusterOf('alice@prod.us-east-2.eksctl.io', undefined)).toEqual({ name: 'prod', region: 'us-east-2' });
    expect(eksClusterOf('kind-dev', 'https://ABCD.gr7.ap-southeast-2.eks.amazonaws.com')).toEqual({
      region: 'ap-southeast-2',
    });
    expect(eksClusterOf('kind-dev', 'https://127.0.0.1:6443')).toEqual({});
  });
  it('Logs Insights times, KubePodInventory reasons', () => {
    expect(insightsTime('2026-11-30 10:00:01.123')).toBe('2026-11-30T10:00:01.123Z');
    expect(lastStatusReason('{"reason":"OOMKilled","exitCode":137}')).toBe('OOMKilled');
    expect(lastStatusReason({ reason: 'Error' })).toBe('Error');
    expect(lastStatusReason('')).toBeUndefined();
  });
});

describe('query texts', () => {
  const f = podFilter({ namespace: 'matillion', release: 'prod' });
  it('KQL: v2 by pod name and namespace; v1 joined with the inventory; restarts', () => {
    const v2 = kqlErrorGroups('ContainerLogV2', f, 86_400_000);
    expect(v2).toContain('| where PodNamespace == "matillion"\n| where PodName startswith "prod-matillion-runner-"');
    expect(v2).toContain('| extend Msg = tostring(LogMessage);');
    expect(v2).toMatch(/\| extend IsError = Msg matches regex @"\(\?i\)\(error\|exception\|/);
    expect(v2).toMatch(/\| take 201$/);
    const v1 = kqlErrorGroups('ContainerLog', f, 3_600_000);
    expect(v1).toContain('| where TimeGenerated > ago(60m)');
    expect(v1).toContain('| join kind=inner containers on ContainerID');
    expect(kqlRestarts(f, 86_400_000)).toMatch(/^KubePodInventory\n[\s\S]*by Namespace, PodName = Name/);
  });
  it('Logs Insights: the runner pods, error lines newest first, the limit; and a line count', () => {
    const q = insightsErrorLines(f);
    expect(q).toContain(
      '| filter kubernetes.namespace_name = "matillion" and kubernetes.pod_name like /^prod-matillion-runner-/',
    );
    expect(q).toContain('| sort @timestamp desc\n| limit 10000');
    expect(insightsLineCount(podFilter({}))).toBe(
      'filter kubernetes.pod_name like /matillion-runner/\n| stats count(*) as lines',
    );
  });
});

describe('every log line is redacted and capped before a fact holds it', () => {
  const jwt = fakeJwt({ sub: 'system:serviceaccount:matillion:matillion-runner-sa' });
  const canaries = {
    bearer: 'CANARYbearerAbc123xyz',
    password: 'CANARY-pw-9q8w7e',
    accountKey: 'CANARYkey+abc/def==',
    sas: 'CANARYsig%2Fabc%3D',
    clientSecret: 'CANARY~cs.0123',
    awsKeyId: 'AKIACANARY0123456789',
    known: 'CANARY-known-secret-from-env',
  };
  const lines = [
    `Authorization: Bearer ${canaries.bearer}`,
    `connecting with password=${canaries.password} to db`,
    `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${canaries.accountKey};EndpointSuffix=core.windows.net`,
    `PUT https://acme.blob.core.windows.net/c/f?sv=2022-11-02&se=2026&sig=${canaries.sas}`,
    `{"client_secret":"${canaries.clientSecret}","grant_type":"client_credentials"}`,
    `id token ${jwt} rejected`,
    `aws key ${canaries.awsKeyId} denied`,
    `the env secret ${canaries.known} leaked`,
    `-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAcanary\n-----END RSA PRIVATE KEY-----`,
  ];
  const run = { redactor: new Redactor().addEnv({ OAUTH_CLIENT_SECRET: canaries.known }) } as unknown as RunResources;

  it('no canary survives, the line stays readable, one line, capped', () => {
    for (const l of lines) {
      const out = safeLine(run, l);
      for (const c of [...Object.values(canaries), jwt, 'MIIEpAIBAAKCAQEAcanary']) expect(out).not.toContain(c);
      expect(out).not.toContain('\n');
      expect(out).toContain('***');
    }
    expect(safeLine(run, 'ERROR '.repeat(200)).length).toBeLessThanOrEqual(330);
    expect(redactSecretsInText('java.net.UnknownHostException: api.matillion.com')).toBe(
      'java.net.UnknownHostException: api.matillion.com',
    );
    expect(redactSecretsInText('token file /var/run/secrets/azure/tokens/azure-identity-token missing')).toBe(
      'token file /var/run/secrets/azure/tokens/azure-identity-token missing',
    );
  });
});

describe('the logs flags', () => {
  it('none: no log store; a workspace, a log group, a window', () => {
    expect(buildCloudLogs({}, undefined, [])).toBeUndefined();
    expect(
      buildCloudLogs({ azureWorkspace: '11111111-2222-3333-4444-555555555555', since: '90m' }, undefined, ['PEM']),
    ).toEqual({
      azureWorkspace: '11111111-2222-3333-4444-555555555555',
      since: 5_400_000,
      ca: ['PEM'],
    });
    expect(buildCloudLogs({ awsLogGroup: '' }, undefined, [])).toEqual({ awsLogGroup: '', since: 86_400_000 });
    expect(
      buildCloudLogs(
        {},
        { path: 'c.yaml', waivers: [], logs: { awsLogGroup: 'prod', awsRegion: 'eu-west-1', since: '7d' } },
        [],
      ),
    ).toEqual({ awsLogGroup: 'prod', awsRegion: 'eu-west-1', since: 604_800_000 });
  });
  it('a workspace name, a bad window or a plain-HTTP endpoint is a usage error', () => {
    expect(() => buildCloudLogs({ azureWorkspace: 'prod-logs' }, undefined, [])).toThrow(UsageError);
    expect(() => buildCloudLogs({ awsLogGroup: 'x', since: '1w' }, undefined, [])).toThrow(/--since "1w"/);
    expect(() =>
      buildCloudLogs(
        { azureWorkspace: '11111111-2222-3333-4444-555555555555', azureLogsEndpoint: 'http://x' },
        undefined,
        [],
      ),
    ).toThrow(/refuses plain HTTP/);
  });
  it('the config file takes the same, validated', async () => {
    const cfg = await parseConfig(
      'logs:\n  azureWorkspace: 11111111-2222-3333-4444-555555555555\n  since: 12h\n',
      'c.yaml',
    );
    expect(buildCloudLogs({}, cfg, [])).toEqual({
      azureWorkspace: '11111111-2222-3333-4444-555555555555',
      since: 43_200_000,
    });
    await expect(parseConfig('logs:\n  since: yesterday\n', 'c.yaml')).rejects.toThrow(ConfigError);
    await expect(parseConfig('logs:\n  workspace: x\n', 'c.yaml')).rejects.toThrow(
      /c\.yaml:2: logs\.workspace: unknown key/,
    );
  });
});
