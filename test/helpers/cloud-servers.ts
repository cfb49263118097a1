// Local servers on 127.0.0.1 that STAND IN FOR THE CLOUD SERVICES the logs checks read, speaking the
// subset of each wire protocol the real SDK clients use — the tests point the real clients at them:
//  - Microsoft Entra ID's token endpoint (OpenID metadata + the client-credentials grant with a federated
//    client assertion), as WorkloadIdentityCredential / MSAL call it, over HTTPS with the test CA;
//  - the Log Analytics query API (POST /v1/workspaces/{id}/query → `tables: [{ name, columns, rows }]`,
//    partial errors as `error: { code: "PartialError", details }` beside the tables, OneAPI error bodies),
//    over HTTPS with the test CA (the Azure client refuses plain HTTP);
//  - CloudWatch Logs' JSON 1.1 protocol (POST /, `X-Amz-Target: Logs_20140328.StartQuery` /
//    `GetQueryResults` / `StopQuery`), a query going Scheduled → Running → Complete.
// Every request is recorded (bodies included) so tests can assert what was asked, and how often.
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Pki } from './net-servers.ts';

export interface Recorded {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Never answers (the connection stays open until the server closes). */
export const HANG = Symbol('hang');

interface Server {
  port: number;
  url: string;
  seen: Recorded[];
  close(): Promise<void>;
}

async function serve(
  make: (h: http.RequestListener) => http.Server,
  handle: (r: Recorded) => Reply | typeof HANG | Promise<Reply | typeof HANG>,
  scheme: 'http' | 'https',
): Promise<Server> {
  const seen: Recorded[] = [];
  const sockets = new Set<net.Socket>();
  const srv = make((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const rec: Recorded = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(rec);
      const r = await handle(rec);
      if (r === HANG) return;
      const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      res.end(body);
    });
  });
  srv.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((res, rej) => srv.once('error', rej).listen(0, '127.0.0.1', res));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        srv.close(() => res());
      }),
  };
}

// --- Microsoft Entra ID (stand-in) and Log Analytics (stand-in) -----------------------------------------

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const CLIENT_ID = '00000000-1111-2222-3333-444444444444';
export const WORKSPACE = '11111111-2222-3333-4444-555555555555';

export interface Column {
  name: string;
  type: 'string' | 'long' | 'bool' | 'datetime' | 'dynamic' | 'int';
}

/** A Log Analytics table as the service writes it (dynamic cells as JSON text). */
export function laTable(columns: Column[], rows: unknown[][], name = 'PrimaryResult') {
  return {
    name,
    columns,
    rows: rows.map((r) =>
      r.map((v, i) => (columns[i]?.type === 'dynamic' && typeof v !== 'string' ? JSON.stringify(v) : v)),
    ),
  };
}

/** The grouped-errors answer of the KQL query (`Sig, IsError, Count, Pods, TimeGenerated, Msg`). */
export function errorGroupsTable(
  groups: { error: boolean; count: number; pods: string[]; time: string; msg: string }[],
) {
  return laTable(
    [
      { name: 'Sig', type: 'string' },
      { name: 'IsError', type: 'bool' },
      { name: 'Count', type: 'long' },
      { name: 'Pods', type: 'dynamic' },
      { name: 'TimeGenerated', type: 'datetime' },
      { name: 'Msg', type: 'string' },
    ],
    groups.map((g) => [
      g.error ? g.msg.replace(/[0-9a-fA-F]{6,}|[0-9]+/g, '#').slice(0, 160) : '',
      g.error,
      g.count,
      g.pods,
      g.time,
      g.msg,
    ]),
  );
}

/** The restarts answer (`Namespace, PodName, First, Last, TimeGenerated, ContainerLastStatus`). */
export function restartsTable(pods: { ns: string; pod: string; first: number; last: number; lastStatus: string }[]) {
  return laTable(
    [
      { name: 'Namespace', type: 'string' },
      { name: 'PodName', type: 'string' },
      { name: 'First', type: 'int' },
      { name: 'Last', type: 'int' },
      { name: 'TimeGenerated', type: 'datetime' },
      { name: 'ContainerLastStatus', type: 'string' },
    ],
    pods.map((p) => [p.ns, p.pod, p.first, p.last, '2026-11-30T10:00:00Z', p.lastStatus]),
  );
}

/** The service's 400 for a table the workspace does not have. */
export const missingTable = (table: string): Reply => ({
  status: 400,
  body: {
    error: {
      message: 'The request had some invalid properties',
      code: 'BadArgumentError',
      correlationId: '7a1c0f3e-0000-4000-8000-000000000001',
      innererror: {
        code: 'SemanticError',
        message: 'A semantic error occurred.',
        innererror: {
          code: 'SEM0100',
          message: `'where' operator: Failed to resolve table or column expression named '${table}'`,
        },
      },
    },
  },
});

/** A 200 whose tables hold only part of the answer: the service's PartialError beside them. */
export const partialError = (reason: string) => ({
  code: 'PartialError',
  message: 'There were some errors when processing your query.',
  details: [
    {
      code: 'EngineError',
      message: 'Something went wrong processing your query on the server.',
      innererror: { code: '-2133196797', message: reason, severity: 2, severityName: 'Error' },
    },
  ],
});

export interface LogAnalyticsScenario {
  /** The answer to a query (its KQL text); default: an empty result. */
  query?(kql: string, n: number): Reply | typeof HANG;
  /** The token endpoint refuses the assertion (an AADSTS error). */
  tokenError?: { error: string; description: string; code: number };
}

export interface AzureStandIn extends Server {
  /** The access token the stand-in issues (a canary: it must never appear in any output). */
  accessToken: string;
  /** The KQL texts the query API received, in order. */
  queries: string[];
  tokenRequests: () => number;
  scenario: LogAnalyticsScenario;
}

/**
 * One HTTPS server standing in for both Entra ID (the authority host) and the Log Analytics API:
 * the token it issues for the federated assertion is the only bearer the query API accepts.
 */
export async function azureStandIn(
  pki: Pki,
  assertion: string,
  scenario: LogAnalyticsScenario = {},
): Promise<AzureStandIn> {
  const cert = pki.leaf('127.0.0.1', { sans: ['127.0.0.1', 'localhost'] });
  const accessToken = `la-token-CANARY-${Math.random().toString(36).slice(2)}`;
  const queries: string[] = [];
  let tokens = 0;
  let base = '';
  const state = { scenario };
  const srv = await serve(
    (h) => https.createServer({ key: cert.key, cert: cert.cert }, h),
    (r) => {
      const url = new URL(r.path, 'https://x');
      if (r.method === 'GET' && url.pathname === `/${TENANT}/v2.0/.well-known/openid-configuration`)
        return {
          status: 200,
          body: {
            token_endpoint: `${base}/${TENANT}/oauth2/v2.0/token`,
            authorization_endpoint: `${base}/${TENANT}/oauth2/v2.0/authorize`,
            issuer: `${base}/${TENANT}/v2.0`,
            jwks_uri: `${base}/${TENANT}/discovery/v2.0/keys`,
            end_session_endpoint: `${base}/${TENANT}/oauth2/v2.0/logout`,
          },
        };
      if (r.method === 'POST' && url.pathname === `/${TENANT}/oauth2/v2.0/token`) {
        tokens++;
        const form = new URLSearchParams(r.body);
        const t = state.scenario.tokenError;
        if (t)
          return {
            status: 400,
            body: {
              error: t.error,
              error_description: t.description,
              error_codes: [t.code],
              timestamp: '2026-11-30 10:00:00Z',
            },
          };
        const ok =
          form.get('grant_type') === 'client_credentials' &&
          form.get('client_id') === CLIENT_ID &&
          form.get('client_assertion') === assertion &&
          form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' &&
          form.get('scope') === `${base}/.default`;
        if (!ok)
          return {
            status: 401,
            body: {
              error: 'invalid_client',
              error_description: 'AADSTS7000215: Invalid client secret provided.',
              error_codes: [7000215],
            },
          };
        return {
          status: 200,
          body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken },
        };
      }
      const m = /^\/v1\/workspaces\/([^/]+)\/query$/.exec(url.pathname);
      if (r.method === 'POST' && m) {
        if (r.headers.authorization !== `Bearer ${accessToken}`)
          return {
            status: 401,
            body: {
              error: {
                code: 'AuthenticationFailed',
                message: "Authentication failed. The 'Authorization' header is missing.",
              },
            },
          };
        if (m[1] !== WORKSPACE)
          return {
            status: 404,
            body: { error: { code: 'WorkspaceNotFoundError', message: `Workspace ${m[1]} not found.` } },
          };
        const kql = String((JSON.parse(r.body) as { query?: string }).query ?? '');
        queries.push(kql);
        return state.scenario.query?.(kql, queries.length) ?? { status: 200, body: { tables: [laTable([], [])] } };
      }
      return { status: 404, body: { error: { code: 'PathNotFoundError', message: `no ${r.method} ${url.pathname}` } } };
    },
    'https',
  );
  base = srv.url;
  return withScenario(Object.assign(srv, { accessToken, queries, tokenRequests: () => tokens }), state);
}

/** `scenario` as a live property: a test can change what the stand-in answers between runs. */
function withScenario<T extends object, S>(o: T, state: { scenario: S }): T & { scenario: S } {
  return Object.defineProperty(o, 'scenario', {
    get: () => state.scenario,
    set: (s: S) => {
      state.scenario = s;
    },
    enumerable: true,
  }) as T & { scenario: S };
}

// --- CloudWatch Logs (stand-in) ---------------------------------------------------------------------------

export interface InsightsRecord {
  timestamp: string;
  log: string;
  pod: string;
  namespace?: string;
}

export interface CloudWatchScenario {
  /** Error-lines query: the records, and what `recordsMatched` says (default: their number). */
  records?: InsightsRecord[];
  matched?: number;
  /** Line-count query answer. */
  lines?: number;
  /** GetQueryResults polls that answer Running before Complete (default 1); Infinity: never completes. */
  runningPolls?: number;
  /** Answer every action with this error instead (e.g. AccessDeniedException). */
  error?: { status: number; type: string; message: string };
  /** The first N requests are throttled with 429 and Retry-After. */
  throttleFirst?: number;
}

export interface CloudWatchStandIn extends Server {
  /** Actions received (`StartQuery`, `GetQueryResults`, `StopQuery`) in order. */
  actions: string[];
  /** StartQuery bodies, parsed. */
  started: { logGroupName?: string; queryString?: string; startTime?: number; endTime?: number; limit?: number }[];
  scenario: CloudWatchScenario;
}

export async function cloudWatchStandIn(scenario: CloudWatchScenario = {}): Promise<CloudWatchStandIn> {
  const actions: string[] = [];
  const started: CloudWatchStandIn['started'] = [];
  const polls = new Map<string, number>();
  const state = { scenario };
  let n = 0;
  const srv = await serve(
    (h) => http.createServer(h),
    (r) => {
      const s = state.scenario;
      const target = String(r.headers['x-amz-target'] ?? '');
      const action = target.replace(/^Logs_20140328\./, '');
      actions.push(action);
      n++;
      if (
        !/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/logs\/aws4_request/.test(
          String(r.headers.authorization ?? ''),
        )
      )
        return {
          status: 400,
          body: { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' },
        };
      if (r.headers['content-type'] !== 'application/x-amz-json-1.1')
        return { status: 400, body: { __type: 'SerializationException', message: 'bad content type' } };
      if (s.throttleFirst && n <= s.throttleFirst)
        return {
          status: 429,
          headers: { 'retry-after': '1' },
          body: { __type: 'ThrottlingException', message: 'Rate exceeded' },
        };
      if (s.error) return { status: s.error.status, body: { __type: s.error.type, message: s.error.message } };
      const body = JSON.parse(r.body || '{}') as Record<string, unknown>;
      if (action === 'StartQuery') {
        started.push(body);
        const id = `q-${started.length}-${/stats count/.test(String(body.queryString)) ? 'count' : 'lines'}`;
        polls.set(id, 0);
        return { status: 200, body: { queryId: id } };
      }
      if (action === 'GetQueryResults') {
        const id = String(body.queryId);
        const p = (polls.get(id) ?? 0) + 1;
        polls.set(id, p);
        if (p <= (s.runningPolls ?? 1))
          return { status: 200, body: { status: p === 1 ? 'Scheduled' : 'Running', results: [], statistics: {} } };
        if (id.endsWith('count'))
          return {
            status: 200,
            body: {
              status: 'Complete',
              results: [[{ field: 'lines', value: String(s.lines ?? 0) }]],
              statistics: { recordsMatched: 1 },
            },
          };
        const recs = s.records ?? [];
        return {
          status: 200,
          body: {
            status: 'Complete',
            results: recs.map((x, i) => [
              { field: '@timestamp', value: x.timestamp },
              {
                field: '@message',
                value: JSON.stringify({
                  log: x.log,
                  stream: 'stdout',
                  kubernetes: { pod_name: x.pod, namespace_name: x.namespace ?? 'matillion' },
                }),
              },
              { field: 'log', value: x.log },
              { field: 'kubernetes.pod_name', value: x.pod },
              { field: '@ptr', value: `ptr-${i}` },
            ]),
            statistics: { recordsMatched: s.matched ?? recs.length, recordsScanned: 100_000, bytesScanned: 1e7 },
          },
        };
      }
      if (action === 'StopQuery') return { status: 200, body: { success: true } };
      return { status: 400, body: { __type: 'UnknownOperationException', message: action } };
    },
    'http',
  );
  return withScenario(Object.assign(srv, { actions, started }), state);
}

// --- AWS STS (stand-in), for IRSA ---------------------------------------------------------------------------

export interface StsStandIn extends Server {
  /** The role ARNs and web identity tokens AssumeRoleWithWebIdentity was called with. */
  assumed: { roleArn: string; token: string }[];
  accessKeyId: string;
  sessionToken: string;
}

/**
 * STS's query protocol, AssumeRoleWithWebIdentity only: what the SDK's web identity provider calls with
 * the projected ServiceAccount token IRSA mounts (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE).
 */
export async function stsStandIn(): Promise<StsStandIn> {
  const assumed: StsStandIn['assumed'] = [];
  const accessKeyId = 'ASIASTSSTANDIN000000';
  const sessionToken = `sts-session-CANARY-${Math.random().toString(36).slice(2)}`;
  const srv = await serve(
    (h) => http.createServer(h),
    (r) => {
      const form = new URLSearchParams(r.body);
      if (form.get('Action') !== 'AssumeRoleWithWebIdentity')
        return { status: 400, body: '<ErrorResponse><Error><Code>InvalidAction</Code></Error></ErrorResponse>' };
      assumed.push({ roleArn: form.get('RoleArn') ?? '', token: form.get('WebIdentityToken') ?? '' });
      return {
        status: 200,
        headers: { 'content-type': 'text/xml' },
        body: `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>sts-secret-CANARY</SecretAccessKey><SessionToken>${sessionToken}</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>${form.get('RoleArn')}/doctor</Arn><AssumedRoleId>AROASTANDIN:doctor</AssumedRoleId></AssumedRoleUser></AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>0000</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>`,
      };
    },
    'http',
  );
  return Object.assign(srv, { assumed, accessKeyId, sessionToken });
}
