// The log-store collectors with the REAL SDK clients (@azure/monitor-query-logs + @azure/identity's
// WorkloadIdentityCredential, @aws-sdk/client-cloudwatch-logs) against local servers on 127.0.0.1 that
// STAND IN FOR THE CLOUD SERVICES (test/helpers/cloud-servers.ts): Entra ID's token endpoint and the Log
// Analytics query API over HTTPS with a test CA, and CloudWatch Logs' JSON 1.1 protocol. Cases: known and
// unknown signatures, no errors, the ContainerLog fallback, a partial failure, 401/403, 429 then success,
// a query that never completes within its time, missing credentials — then the checks judge the facts.
// A tripwire proxy catches any request that would leave 127.0.0.1; canary secrets in log lines, the
// access token and the AWS secret must appear in no fact.
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import logErrors from '../../checks/logs/errors.ts';
import logRestarts from '../../checks/logs/restarts.ts';
import logSignatures from '../../checks/logs/signatures.ts';
import type { CloudLogsFact } from '../../src/domain/log-signatures.ts';
import { FactError, type FactMap } from '../../src/engine/facts.ts';
import { judgeCheck, runChecks } from '../../src/engine/run.ts';
import type { AnyCheck } from '../../src/engine/types.ts';
import { queryAzureLogs } from '../../src/facts/cloud/azure.ts';
import { queryCloudWatchLogs } from '../../src/facts/cloud/cloudwatch.ts';
import type { CloudLogsOptions, RunResources } from '../../src/facts/collector.ts';
import { EgressPlan } from '../../src/facts/egress/plan.ts';
import { LiveFactStore } from '../../src/facts/store.ts';
import { Redactor } from '../../src/redact/redact.ts';
import { Bound } from '../../src/util/bound.ts';
import {
  type AzureStandIn,
  azureStandIn,
  CLIENT_ID,
  type CloudWatchStandIn,
  cloudWatchStandIn,
  errorGroupsTable,
  HANG,
  missingTable,
  partialError,
  restartsTable,
  stsStandIn,
  TENANT,
  WORKSPACE,
} from '../helpers/cloud-servers.ts';
import { fakeJwt } from '../helpers/fixture-root.ts';
import { makePki, type Pki, refusedPort } from '../helpers/net-servers.ts';
import { tempDir } from '../helpers/tmp.ts';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const DAY = 86_400_000;
const CANARY = {
  password: 'CANARY-pw-7f3a9e1b',
  bearer: 'CANARYbearer0123456789',
  accountKey: 'CANARYaccountKey+xyz/==',
  awsSecret: 'CANARY/aws/secret/key/0123456789abcdef',
};
const JWT = fakeJwt({ sub: 'system:serviceaccount:matillion:matillion-runner-sa', exp: 1_900_000_000 });

let pki: Pki;
let tokenFile: string;
let tripwire: { seen: string[]; close(): Promise<void> };

/** A proxy that refuses everything and remembers what was asked: nothing may reach it. */
async function tripwireProxy() {
  const seen: string[] = [];
  const srv = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(403).end();
  });
  srv.on('connect', (req, sock: net.Socket) => {
    seen.push(`CONNECT ${req.url}`);
    sock.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    seen,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

beforeAll(async () => {
  pki = makePki();
  const dir = tempDir('rd-cloud-');
  tokenFile = join(dir, 'azure-identity-token');
  writeFileSync(tokenFile, JWT);
  const t = await tripwireProxy();
  tripwire = t;
  // The Azure SDK honours these: any request not for 127.0.0.1 would go to the tripwire.
  process.env.HTTPS_PROXY = `http://127.0.0.1:${t.port}`;
  process.env.HTTP_PROXY = `http://127.0.0.1:${t.port}`;
  process.env.NO_PROXY = '127.0.0.1,localhost';
  // The AWS default chain must never ask the instance metadata service of a real machine.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = `http://127.0.0.1:${await refusedPort()}`;
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'no-credentials');
  process.env.AWS_CONFIG_FILE = join(dir, 'no-config');
});

afterAll(async () => {
  expect(tripwire.seen, 'a request tried to leave 127.0.0.1').toEqual([]);
  await tripwire.close();
});

function runFor(env: NodeJS.ProcessEnv, cloudLogs: CloudLogsOptions, o: { signal?: AbortSignal; scope?: object } = {}) {
  const run: RunResources = {
    mode: 'cluster',
    signal: o.signal ?? new AbortController().signal,
    redactor: new Redactor().addEnv(env),
    config: { waivers: [] },
    now: NOW,
    env,
    local: { root: '' },
    egress: new EgressPlan({ targets: [], override: {}, derived: false, caFiles: [], dnsServers: [] }),
    probeTimeoutMs: 1000,
    execSlots: new Bound(1),
    podTargets: [],
    cloudLogs,
    // Only what the log collectors read of the cluster: the scope, and the context the EKS cluster is named by.
    kube: {
      scope: { namespace: 'matillion', selector: 'app.kubernetes.io/name=matillion-runner' },
      access: {
        context: 'arn:aws:eks:eu-west-1:123456789012:cluster/prod',
        server: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
      },
      ...o.scope,
    } as never,
  };
  return run;
}

const judge = (check: AnyCheck, facts: Partial<FactMap>) =>
  judgeCheck(check, facts, { kind: 'cluster', name: 'cluster' }).map((r) => r.code);
const none: CloudLogsFact = { source: 'aws', configured: false };
const noneAzure: CloudLogsFact = { source: 'azure', configured: false };

async function rejected(p: Promise<unknown>): Promise<FactError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof FactError)) throw new Error(`expected a FactError, got ${String(e)}`);
  return e;
}

// --- Azure Log Analytics -----------------------------------------------------------------------------------

describe('Azure Log Analytics through the real LogsQueryClient and WorkloadIdentityCredential', () => {
  let az: AzureStandIn;
  const env = (): NodeJS.ProcessEnv => ({
    AZURE_FEDERATED_TOKEN_FILE: tokenFile,
    AZURE_CLIENT_ID: CLIENT_ID,
    AZURE_TENANT_ID: TENANT,
    AZURE_AUTHORITY_HOST: az.url,
  });
  const opts = (o: Partial<CloudLogsOptions> = {}): CloudLogsOptions => ({
    azureWorkspace: WORKSPACE,
    since: DAY,
    azureEndpoint: `${az.url}/v1`,
    ca: [pki.caPem],
    ...o,
  });
  const t = (min: number) => new Date(NOW - min * 60_000).toISOString();
  const POD_A = 'matillion-runner-app-7d9f-abcde';
  const POD_B = 'matillion-runner-app-7d9f-fghij';
  const busy = errorGroupsTable([
    { error: false, count: 5400, pods: [POD_A, POD_B], time: t(1), msg: 'INFO started task 42' },
    {
      error: true,
      count: 42,
      pods: [POD_A, POD_B],
      time: t(5),
      msg: `2026-11-30 11:55:00.123 ERROR 1 --- [main] c.m.a.AuthClient : token request failed: 401 {"error":"invalid_client"} Authorization: Bearer ${CANARY.bearer}`,
    },
    {
      error: true,
      count: 300,
      pods: [POD_A],
      time: t(2),
      msg: 'ERROR c.m.a.Storage : Invalid bucket name <ExtensionLibraryLocation>',
    },
    {
      error: true,
      count: 3,
      pods: [POD_B],
      time: t(30),
      msg: 'Exception in thread "main" java.lang.IllegalArgumentException: expected system property https.proxyPort to be a number but got empty string',
    },
    {
      error: true,
      count: 17,
      pods: [POD_A],
      time: t(9),
      msg: 'WARN c.m.a.Telemetry : export failed: java.net.UnknownHostException: opentelemetry.eu1.core.matillion.com',
    },
    { error: true, count: 2, pods: [POD_B], time: t(60), msg: 'java.lang.OutOfMemoryError: Java heap space' },
    {
      error: true,
      count: 12,
      pods: [POD_A],
      time: t(3),
      msg: `ERROR c.m.a.Jdbc : connect failed for DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${CANARY.accountKey};EndpointSuffix=core.windows.net password=${CANARY.password} token=${JWT}`,
    },
    { error: true, count: 2, pods: [POD_B], time: t(90), msg: 'ERROR c.m.a.Sched : job 991 failed with code 7' },
  ]);
  const restarts = restartsTable([
    { ns: 'matillion', pod: POD_A, first: 1, last: 4, lastStatus: '{"reason":"OOMKilled","exitCode":137}' },
    { ns: 'matillion', pod: POD_B, first: 0, last: 0, lastStatus: '' },
  ]);

  beforeAll(async () => {
    az = await azureStandIn(pki, JWT);
  });
  afterAll(() => az.close());

  it('groups known and unknown signatures, reads restarts, and the checks name the remediations', async () => {
    az.scenario = {
      query: (kql) =>
        kql.startsWith('KubePodInventory')
          ? { status: 200, body: { tables: [restarts] } }
          : { status: 200, body: { tables: [busy] } },
    };
    const before = az.queries.length;
    const f = await queryAzureLogs(runFor(env(), opts()), opts(), WORKSPACE);
    if (!f.configured) throw new Error('not configured');
    expect(f).toMatchObject({
      source: 'azure',
      location: WORKSPACE,
      table: 'ContainerLogV2',
      errorLines: 378,
      lines: 5778,
    });
    expect(f.filter).toBe('pods whose name contains matillion-runner in namespace matillion');
    expect(f.signatures.map((s) => [s.known ?? 'unknown', s.count])).toEqual([
      ['placeholder-left', 300],
      ['oauth-client-rejected', 42],
      ['dns-failure', 17],
      ['unknown', 12],
      ['proxy-malformed', 3],
      ['out-of-memory', 2],
      ['unknown', 2],
    ]);
    expect(f.signatures.find((s) => s.known === 'dns-failure')?.subject).toBe('opentelemetry.eu1.core.matillion.com');
    expect(f.restarts).toEqual([
      { pod: `matillion/${POD_A}`, restarts: 3, total: 4, lastReason: 'OOMKilled' },
      { pod: `matillion/${POD_B}`, restarts: 0, total: 0 },
    ]);
    // What was asked: the v2 table and the inventory, narrowed to the runner's namespace and pods, the window in minutes.
    const asked = az.queries.slice(before);
    expect(asked).toHaveLength(2);
    const logsQuery = asked.find((q) => q.startsWith('let runner = ContainerLogV2')) ?? '';
    expect(logsQuery).toContain('| where TimeGenerated > ago(1440m)');
    expect(logsQuery).toContain('| where PodNamespace == "matillion"');
    expect(logsQuery).toContain('| where PodName contains "matillion-runner"');
    expect(logsQuery).toMatch(
      /summarize Count = count\(\), Pods = make_set\(PodName, 10\), arg_max\(TimeGenerated, Msg\) by Sig, IsError/,
    );
    // Secrets in the lines never enter the fact; nor does the access token.
    const text = JSON.stringify(f);
    for (const c of [...Object.values(CANARY), JWT, az.accessToken]) expect(text).not.toContain(c);
    expect(f.signatures.every((s) => s.example.length <= 330)).toBe(true);

    const facts = { azureLogs: f, cloudwatchLogs: none };
    expect(judge(logSignatures, facts)).toEqual([
      'logs.signatures/placeholder-left',
      'logs.signatures/oauth-client-rejected',
      'logs.signatures/dns-failure',
      'logs.signatures/proxy-malformed',
      'logs.signatures/out-of-memory',
    ]);
    const rs = judgeCheck(logSignatures, facts, { kind: 'cluster', name: 'cluster' });
    const placeholder = rs.find((r) => r.code.endsWith('placeholder-left'));
    expect(placeholder?.remediation?.text).toMatch(
      /set dpcAgent\.dpcAgent\.env\.extensionLibraryLocation to the real value/,
    );
    expect(placeholder?.target).toBe(`log-analytics:${WORKSPACE}`);
    expect(rs.find((r) => r.code.endsWith('oauth-client-rejected'))?.remediation?.command).toBe(
      'kubectl rollout restart deployment -l app.kubernetes.io/name=matillion-runner -n matillion',
    );
    expect(judge(logErrors, facts)).toEqual(['logs.errors/frequent', 'logs.errors/rare']);
    expect(judge(logRestarts, facts)).toEqual(['logs.restarts/oom-killed']);
    for (const r of [...rs, ...judgeCheck(logErrors, facts, { kind: 'cluster', name: 'cluster' })])
      for (const c of [...Object.values(CANARY), JWT]) expect(JSON.stringify(r)).not.toContain(c);
    // The credential asked the token endpoint once for both queries.
    expect(az.tokenRequests()).toBeGreaterThanOrEqual(1);
  });

  it('falls back to ContainerLog (joined with KubePodInventory) when the workspace has no ContainerLogV2', async () => {
    az.scenario = {
      query: (kql) =>
        kql.includes('ContainerLogV2')
          ? missingTable('ContainerLogV2')
          : kql.startsWith('KubePodInventory')
            ? missingTable('KubePodInventory')
            : {
                status: 200,
                body: {
                  tables: [
                    errorGroupsTable([
                      {
                        error: false,
                        count: 800,
                        pods: ['matillion-runner-app-1'],
                        time: '2026-11-30T11:00:00Z',
                        msg: 'ok',
                      },
                    ]),
                  ],
                },
              },
    };
    const before = az.queries.length;
    const f = await queryAzureLogs(runFor(env(), opts()), opts(), WORKSPACE);
    expect(f).toMatchObject({ configured: true, table: 'ContainerLog', lines: 800, errorLines: 0, signatures: [] });
    expect(f.configured && f.restarts).toBeUndefined();
    const v1 = az.queries.slice(before).find((q) => q.includes('let runner = ContainerLog\n')) ?? '';
    expect(v1).toMatch(
      /let containers = KubePodInventory[\s\S]*\| where Namespace == "matillion"[\s\S]*\| join kind=inner containers on ContainerID/,
    );
    const facts = { azureLogs: f, cloudwatchLogs: none };
    expect(judge(logSignatures, facts)).toEqual(['logs.signatures/none-known']);
    expect(judge(logErrors, facts)).toEqual(['logs.errors/none']);
    expect(judge(logRestarts, facts)).toEqual(['logs.restarts/no-history']);
  });

  it('no runner line at all is a warning, not a clean bill', async () => {
    az.scenario = { query: () => ({ status: 200, body: { tables: [errorGroupsTable([])] } }) };
    const f = await queryAzureLogs(runFor(env(), opts()), opts(), WORKSPACE);
    expect(f).toMatchObject({ table: 'ContainerLogV2', lines: 0 });
    expect(judge(logSignatures, { azureLogs: f, cloudwatchLogs: none })).toEqual(['logs.signatures/no-logs']);
  });

  it('a partial failure keeps the partial tables and says the answer is incomplete', async () => {
    const reason =
      'Query execution has exceeded the allowed limits (80DA0003): The results of this query exceed the set limit of 64000000 bytes';
    az.scenario = {
      query: (kql) =>
        kql.startsWith('KubePodInventory')
          ? { status: 200, body: { tables: [restarts], error: partialError('inventory truncated') } }
          : { status: 200, body: { tables: [busy], error: partialError(reason) } },
    };
    const f = await queryAzureLogs(runFor(env(), opts()), opts(), WORKSPACE);
    if (!f.configured) throw new Error('not configured');
    expect(f.partial).toContain(
      'PartialError: There were some errors when processing your query.: Query execution has exceeded',
    );
    expect(f.signatures.length).toBeGreaterThan(0);
    expect(f.restarts).toBeUndefined();
    expect(judge(logSignatures, { azureLogs: f, cloudwatchLogs: none })[0]).toBe('logs.signatures/incomplete');
  });

  it('401 and 403 from the query API are errors naming what to grant', async () => {
    az.scenario = {
      query: () => ({
        status: 403,
        body: {
          error: {
            code: 'InsufficientAccessError',
            message: 'The provided credentials have insufficient access to perform the requested operation',
          },
        },
      }),
    };
    const forbidden = await rejected(queryAzureLogs(runFor(env(), opts()), opts(), WORKSPACE));
    expect(forbidden.kind).toBe('forbidden');
    expect(forbidden.message).toMatch(/403 InsufficientAccessError/);
    expect(forbidden.remediation).toMatch(/"Log Analytics Reader" role on the workspace/);

    az.scenario = {
      query: () => ({
        status: 401,
        body: {
          error: { code: 'InvalidAuthenticationTokenTenant', message: 'The access token is from the wrong issuer.' },
        },
      }),
    };
    const unauthorized = await rejected(queryAzureLogs(runFor(env(), opts()), opts(), WORKSPACE));
    expect(unauthorized.kind).toBe('unauthorized');
    expect(unauthorized.remediation).toMatch(/Log Analytics Reader/);
    for (const e of [forbidden, unauthorized]) expect(JSON.stringify(e.toJSON())).not.toContain(az.accessToken);
  });

  it('the engine turns a forbidden query into error results of every logs check, naming the role', async () => {
    az.scenario = {
      query: () => ({ status: 403, body: { error: { code: 'InsufficientAccessError', message: 'no access' } } }),
    };
    const store = new LiveFactStore(runFor(env(), opts()));
    const out = await runChecks({
      checks: [logSignatures, logErrors, logRestarts],
      targets: [{ target: { kind: 'cluster', name: 'cluster' }, scopes: ['cluster'] }],
      store,
      now: NOW,
    });
    expect(out.results.map((r) => r.code)).toEqual([
      'logs.signatures/error-forbidden',
      'logs.errors/error-forbidden',
      'logs.restarts/error-forbidden',
    ]);
    expect(out.results[0]?.remediation?.text).toMatch(/Log Analytics Reader/);
  });

  it('429 with Retry-After is retried, then the answer is used', async () => {
    let throttled = 0;
    az.scenario = {
      query: (kql) => {
        if (kql.startsWith('KubePodInventory')) return { status: 200, body: { tables: [restarts] } };
        if (throttled++ === 0)
          return {
            status: 429,
            headers: { 'retry-after': '1' },
            body: { error: { code: 'ThrottledError', message: 'Too many requests' } },
          };
        return { status: 200, body: { tables: [busy] } };
      },
    };
    const f = await queryAzureLogs(runFor(env(), opts()), opts(), WORKSPACE);
    expect(throttled).toBe(2);
    expect(f.configured && f.errorLines).toBe(378);
  });

  it('a query that never answers ends at its own timeout, and at the run deadline as a deadline', async () => {
    az.scenario = { query: () => HANG };
    const timeout = await rejected(
      queryAzureLogs(runFor(env(), opts({ queryTimeoutMs: 1500 })), opts({ queryTimeoutMs: 1500 }), WORKSPACE),
    );
    expect(timeout.kind).toBe('timeout');
    expect(timeout.message).toMatch(/did not finish within 2 s/);

    const deadline = new AbortController();
    setTimeout(() => deadline.abort(), 800);
    const stopped = await rejected(
      queryAzureLogs(runFor(env(), opts(), { signal: deadline.signal }), opts(), WORKSPACE),
    );
    expect(stopped.kind).toBe('deadline');
  });

  it('Entra ID refusing the federated token is unauthorized and says what the federated credential must trust', async () => {
    az.scenario = {
      tokenError: {
        error: 'invalid_client',
        description:
          "AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:tools:runner-doctor'.",
        code: 700213,
      },
    };
    // A fresh client id: MSAL caches tokens per app, and this one must ask.
    const e = await rejected(
      queryAzureLogs(
        runFor({ ...env(), AZURE_CLIENT_ID: '99999999-1111-2222-3333-444444444444' }, opts()),
        opts(),
        WORKSPACE,
      ),
    );
    expect(e.kind).toBe('unauthorized');
    expect(e.message).toMatch(/refused the workload identity token request: invalid_client: AADSTS700213/);
    expect(e.remediation).toMatch(/federated credential whose subject is system:serviceaccount:/);
  });

  it('no credential at all is unauthorized and names the role to grant', async () => {
    // DefaultAzureCredential limited to the environment credential, which has nothing to go on.
    process.env.AZURE_TOKEN_CREDENTIALS = 'EnvironmentCredential';
    try {
      az.scenario = {};
      const e = await rejected(queryAzureLogs(runFor({}, opts()), opts(), WORKSPACE));
      expect(e.kind).toBe('unauthorized');
      expect(e.message).toMatch(/no Azure credential to read the runner's logs \(DefaultAzureCredential\)/);
      expect(e.remediation).toMatch(/az login[\s\S]*Log Analytics Reader/);
    } finally {
      delete process.env.AZURE_TOKEN_CREDENTIALS;
    }
  });

  it('a workspace name instead of its id is a config error', async () => {
    const e = await rejected(queryAzureLogs(runFor(env(), opts()), opts(), 'my-workspace'));
    expect(e.kind).toBe('config');
  });
});

// --- CloudWatch Logs ---------------------------------------------------------------------------------------

describe('CloudWatch Logs Insights through the real CloudWatchLogsClient', () => {
  let cw: CloudWatchStandIn;
  const env = (): NodeJS.ProcessEnv => ({
    AWS_ACCESS_KEY_ID: 'AKIATESTTESTTEST0000',
    AWS_SECRET_ACCESS_KEY: CANARY.awsSecret,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cw.url,
  });
  const opts = (o: Partial<CloudLogsOptions> = {}): CloudLogsOptions => ({ awsLogGroup: '', since: DAY, ...o });
  const rec = (min: number, log: string, pod = 'matillion-runner-app-5c6d-x1') => ({
    timestamp: new Date(NOW - min * 60_000).toISOString().replace('T', ' ').replace('Z', ''),
    log,
    pod,
  });

  beforeAll(async () => {
    cw = await cloudWatchStandIn();
  });
  afterAll(() => cw.close());

  it('derives the log group from the EKS context, polls until Complete and groups the lines', async () => {
    const records = [
      ...Array.from({ length: 6 }, (_, i) =>
        rec(i + 1, `ERROR Keycloak token endpoint returned 401 Unauthorized (attempt ${i + 1})`),
      ),
      rec(10, 'java.net.UnknownHostException: keycloak.core.matillion.com: Temporary failure in name resolution'),
      rec(
        11,
        'Caused by: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target',
      ),
      ...Array.from({ length: 7 }, (_, i) =>
        rec(20 + i, `ERROR c.m.a.Queue : message ${1000 + i} rejected: queue full`),
      ),
      rec(40, `ERROR request failed with password=${CANARY.password}`),
      rec(41, '\tat com.matillion.agent.Main.run(Main.java:42) exception frame'),
    ];
    cw.scenario = { records, lines: 12_000, runningPolls: 2 };
    const before = cw.started.length;
    const f = await queryCloudWatchLogs(runFor(env(), opts()), opts());
    if (!f.configured) throw new Error('not configured');
    expect(f).toMatchObject({
      source: 'aws',
      location: '/aws/containerinsights/prod/application',
      lines: 12_000,
      errorLines: 16,
    });
    expect(f.signatures.map((s) => [s.known ?? 'unknown', s.count])).toEqual([
      ['unknown', 7],
      ['oauth-client-rejected', 6],
      ['dns-failure', 1],
      ['tls-untrusted', 1],
      ['unknown', 1],
    ]);
    expect(JSON.stringify(f)).not.toContain(CANARY.password);
    expect(JSON.stringify(f)).not.toContain(CANARY.awsSecret);
    // StartQuery: the group, the window in epoch seconds, the limit, the runner's namespace and pods.
    const [errs, count] = cw.started.slice(before);
    expect(errs).toMatchObject({
      logGroupName: '/aws/containerinsights/prod/application',
      startTime: (NOW - DAY) / 1000,
      endTime: NOW / 1000,
      limit: 10_000,
    });
    expect(errs?.queryString).toContain(
      'filter kubernetes.namespace_name = "matillion" and kubernetes.pod_name like /matillion-runner/',
    );
    expect(count?.queryString).toContain('stats count(*) as lines');
    // The region came from the context's ARN: the request was signed for eu-west-1.
    expect(cw.seen.at(-1)?.headers.authorization).toMatch(
      /Credential=AKIATESTTESTTEST0000\/\d{8}\/eu-west-1\/logs\/aws4_request/,
    );
    expect(cw.actions.filter((a) => a === 'GetQueryResults').length).toBeGreaterThanOrEqual(6);

    const facts = { azureLogs: noneAzure, cloudwatchLogs: f };
    expect(judge(logSignatures, facts)).toEqual([
      'logs.signatures/oauth-client-rejected',
      'logs.signatures/dns-failure',
      'logs.signatures/tls-untrusted',
    ]);
    expect(judge(logErrors, facts)).toEqual(['logs.errors/frequent', 'logs.errors/rare']);
    expect(judge(logRestarts, facts)).toEqual(['logs.restarts/no-history']);
  });

  it('no errors among the lines: the checks pass', async () => {
    cw.scenario = { records: [], lines: 900 };
    const f = await queryCloudWatchLogs(
      runFor(env(), opts({ awsLogGroup: '/custom/group', awsRegion: 'us-east-2' })),
      opts({ awsLogGroup: '/custom/group', awsRegion: 'us-east-2' }),
    );
    expect(f).toMatchObject({ location: '/custom/group', lines: 900, errorLines: 0 });
    expect(cw.seen.at(-1)?.headers.authorization).toMatch(/\/us-east-2\/logs\//);
    const facts = { azureLogs: noneAzure, cloudwatchLogs: f };
    expect(judge(logSignatures, facts)).toEqual(['logs.signatures/none-known']);
    expect(judge(logErrors, facts)).toEqual(['logs.errors/none']);
  });

  it('more matches than one query returns: counts say they are sampled', async () => {
    cw.scenario = { records: [rec(1, 'ERROR x failed')], matched: 25_000, lines: 90_000 };
    const f = await queryCloudWatchLogs(runFor(env(), opts({ awsLogGroup: 'prod' })), opts({ awsLogGroup: 'prod' }));
    expect(f).toMatchObject({ errorLines: 25_000, sampled: { read: 1, matched: 25_000 } });
    expect(judge(logErrors, { azureLogs: noneAzure, cloudwatchLogs: f })).toEqual([
      'logs.errors/rare',
      'logs.errors/sampled',
    ]);
  });

  it('AccessDenied is forbidden, naming the actions on the log group', async () => {
    cw.scenario = {
      error: {
        status: 400,
        type: 'AccessDeniedException',
        message: 'User: arn:aws:sts::123456789012:assumed-role/doctor/x is not authorized to perform: logs:StartQuery',
      },
    };
    const e = await rejected(queryCloudWatchLogs(runFor(env(), opts()), opts()));
    expect(e.kind).toBe('forbidden');
    expect(e.remediation).toMatch(
      /logs:StartQuery, logs:GetQueryResults, logs:StopQuery on arn:aws:logs:eu-west-1:<account>:log-group:\/aws\/containerinsights\/prod\/application:\*/,
    );
    expect(JSON.stringify(e.toJSON())).not.toContain(CANARY.awsSecret);
  });

  it('an unknown log group is not-found; bad keys are unauthorized', async () => {
    cw.scenario = { error: { status: 400, type: 'ResourceNotFoundException', message: 'Log group does not exist' } };
    expect((await rejected(queryCloudWatchLogs(runFor(env(), opts()), opts()))).kind).toBe('not-found');
    cw.scenario = {
      error: {
        status: 400,
        type: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      },
    };
    expect((await rejected(queryCloudWatchLogs(runFor(env(), opts()), opts()))).kind).toBe('unauthorized');
  });

  it('429 with Retry-After is retried by the SDK, then the query completes', async () => {
    cw.scenario = { throttleFirst: 2, records: [], lines: 5 };
    const before = cw.actions.length;
    const f = await queryCloudWatchLogs(runFor(env(), opts()), opts());
    expect(f).toMatchObject({ lines: 5 });
    expect(cw.actions.slice(before).filter((a) => a === 'StartQuery').length).toBeGreaterThanOrEqual(3);
  });

  it('a query that stays Running ends at its own timeout, is stopped, and says how many polls it took', async () => {
    cw.scenario = { runningPolls: Number.POSITIVE_INFINITY };
    const before = cw.actions.length;
    const o = opts({ queryTimeoutMs: 2000 });
    const e = await rejected(queryCloudWatchLogs(runFor(env(), o), o));
    expect(e.kind).toBe('timeout');
    expect(e.message).toMatch(/did not finish within 2 s \(still Running after \d+ polls\)/);
    await new Promise((r) => setTimeout(r, 200));
    expect(cw.actions.slice(before)).toContain('StopQuery');
    // Bounded polling: backing off to 2 s, a 2 s budget leaves room for a handful of polls per query, not hundreds.
    expect(cw.actions.slice(before).filter((a) => a === 'GetQueryResults').length).toBeLessThan(20);
  });

  it('IRSA: the default chain exchanges the projected token with STS, and the queries are signed with the role', async () => {
    const sts = await stsStandIn();
    const dir = tempDir('rd-irsa-');
    const token = join(dir, 'token');
    writeFileSync(token, JWT);
    // The SDK's credential chain reads the process's own environment, as it does in a pod with IRSA.
    const irsa = {
      AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/runner-doctor',
      AWS_WEB_IDENTITY_TOKEN_FILE: token,
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_REGION: 'eu-west-1',
    };
    Object.assign(process.env, irsa);
    try {
      cw.scenario = { records: [], lines: 10 };
      const before = cw.seen.length;
      const f = await queryCloudWatchLogs(
        runFor({ ...irsa, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cw.url }, opts()),
        opts(),
      );
      expect(f).toMatchObject({ configured: true, lines: 10 });
      expect(sts.assumed).toEqual([{ roleArn: irsa.AWS_ROLE_ARN, token: JWT }]);
      // (An earlier test's last polls may still arrive: this run's requests are those with a session token.)
      const signed = cw.seen.slice(before).filter((r) => r.headers['x-amz-security-token']);
      expect(signed.length).toBeGreaterThanOrEqual(4);
      for (const r of signed) {
        expect(r.headers.authorization).toMatch(new RegExp(`Credential=${sts.accessKeyId}/`));
        expect(r.headers['x-amz-security-token']).toBe(sts.sessionToken);
      }
      expect(JSON.stringify(f)).not.toContain(sts.sessionToken);
    } finally {
      for (const k of Object.keys(irsa)) delete process.env[k];
      await sts.close();
    }
  });

  it('no credentials anywhere is unauthorized and names IRSA and the actions', async () => {
    cw.scenario = {};
    const e = await rejected(queryCloudWatchLogs(runFor({ AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cw.url }, opts()), opts()));
    expect(e.kind).toBe('unauthorized');
    expect(e.remediation).toMatch(/eks\.amazonaws\.com\/role-arn[\s\S]*logs:StartQuery/);
  });

  it('no log group and a context that is not EKS is a config error', async () => {
    const e = await rejected(
      queryCloudWatchLogs(
        runFor(env(), opts(), { scope: { access: { context: 'kind-dev', server: 'https://127.0.0.1:6443' } } }),
        opts(),
      ),
    );
    expect(e.kind).toBe('config');
    expect(e.remediation).toMatch(/--aws-log-group <cluster>/);
  });
});

describe('not configured', () => {
  it('the checks skip, naming the flags that enable them', () => {
    const facts = { azureLogs: noneAzure, cloudwatchLogs: none };
    for (const c of [logSignatures, logErrors, logRestarts]) {
      const [r] = judgeCheck(c, facts, { kind: 'cluster', name: 'cluster' });
      expect(r?.status).toBe('skip');
      expect(r?.message).toMatch(/--azure-workspace <workspace id>.*--aws-log-group/);
    }
  });
});
