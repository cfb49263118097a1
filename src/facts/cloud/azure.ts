// The runner's recent errors from Azure Log Analytics (--azure-workspace): a KQL query over
// ContainerLogV2 (falling back to the older ContainerLog schema) that groups error lines server-side,
// and the pods' restart history from KubePodInventory when the workspace has it. The SDKs load only
// here, on first use, so a run without the flag never pays for them. Credentials: workload identity
// when the doctor runs in a pod that has it (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID,
// AZURE_TENANT_ID), else DefaultAzureCredential (az login, environment, managed identity).
import {
  AZURE_LOG_TABLES,
  type AzureLogTable,
  type CloudLogsFact,
  describeFilter,
  groupBySignature,
  kqlErrorGroups,
  kqlRestarts,
  lastStatusReason,
  type PodRestartHistory,
  type RawLogGroup,
} from '../../domain/log-signatures.ts';
import { FactError } from '../../engine/facts.ts';
import { type CloudLogsOptions, collector, type RunResources } from '../collector.ts';
import {
  caBundle,
  firstLine,
  isAbort,
  networkFailure,
  type QueryContext,
  queryContext,
  safeLine,
  safePods,
  stopped,
} from './query-context.ts';

/** The role to grant, named in every permission error. */
export const AZURE_ROLE = 'Log Analytics Reader';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isWorkspaceId = (s: string): boolean => GUID.test(s);

/** Which credential a run uses: workload identity when the pod has it, else the default chain. */
const credentialKind = (env: NodeJS.ProcessEnv) =>
  env.AZURE_FEDERATED_TOKEN_FILE && env.AZURE_CLIENT_ID && env.AZURE_TENANT_ID
    ? 'workload identity'
    : 'DefaultAzureCredential';

/** The LogsQueryClient's answer, reduced to what is read here (the SDK's types stay behind the lazy import). */
interface Table {
  name: string;
  columnDescriptors: { name?: string }[];
  rows: unknown[][];
}
interface Answer {
  tables: Table[];
  partial?: string;
}
type Query = (kql: string) => Promise<Answer>;

const rowsOf = (t: Table | undefined): Record<string, unknown>[] =>
  (t?.rows ?? []).map((r) => Object.fromEntries(t?.columnDescriptors.map((c, i) => [c.name ?? String(i), r[i]]) ?? []));

const isoOf = (v: unknown): string => {
  const d = v instanceof Date ? v : typeof v === 'string' || typeof v === 'number' ? new Date(v) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d.toISOString() : '';
};

const listOfUnknown = (v: unknown): unknown[] => {
  if (Array.isArray(v)) return v;
  if (typeof v !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(v);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
};

/** Marks a query's request so the pipeline policy can tell its response apart; removed before sending. */
const QUERY_ID = 'x-runner-doctor-query';

/** The innermost message of a partial answer's first detail, read from the response text. */
function innermostMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { details?: { innererror?: unknown }[] } };
    let e: unknown = parsed.error?.details?.[0]?.innererror;
    let msg: string | undefined;
    for (let i = 0; e && typeof e === 'object' && i < 5; i++) {
      const x = e as { message?: unknown; innererror?: unknown };
      if (typeof x.message === 'string') msg = x.message;
      e = x.innererror;
    }
    return msg;
  } catch {
    return undefined;
  }
}

/** The service's reason for a partial answer: its code and message, and the detail that says why. */
function partialReason(e: unknown, why: string | undefined): string {
  const info = e as { code?: string; message?: string; details?: { message?: string }[] };
  return [info.code, info.message, why ?? info.details?.[0]?.message].filter(Boolean).join(': ');
}

/** A 400 because the table is not in the workspace (its schema was never enabled). */
function isMissingTable(e: unknown, table: string): boolean {
  const r = e as { statusCode?: number; details?: unknown; message?: string };
  if (r.statusCode !== 400) return false;
  const text = `${r.message ?? ''} ${JSON.stringify(r.details ?? {})}`;
  return /Failed to resolve (?:table|scalar|column)|SEM0100|could not be resolved/i.test(text) && text.includes(table);
}

/** Entra ID's error code and AADSTS description, from the credential's error (MSAL folds them into its message). */
function entraError(e: unknown): { error: string; description: string } {
  const r = (e as { errorResponse?: { error?: string; errorDescription?: string } }).errorResponse;
  const text = r?.errorDescription ?? (e instanceof Error ? e.message : String(e));
  const description = (/(AADSTS\d+:[^\n]*?)(?: - (?:Correlation|Trace) ID|\n|$)/.exec(text)?.[1] ?? firstLine(e)).slice(
    0,
    300,
  );
  const error =
    r?.error ??
    /\b(invalid_client|invalid_grant|invalid_request|unauthorized_client|invalid_scope)\b/.exec(text)?.[1] ??
    'error';
  return { error, description };
}

/** Every way a Log Analytics query fails, as a FactError naming what to grant or change. */
function classify(e: unknown, q: QueryContext, ws: string, credential: string): FactError {
  const what = `the Log Analytics query on workspace ${ws}`;
  if (isAbort(e, q.signal)) return stopped(q, what);
  const err = e as {
    name?: string;
    statusCode?: number;
    code?: string;
    errorResponse?: { error?: string; errorDescription?: string };
    errors?: unknown[];
  };
  const grant = `grant the identity the "${AZURE_ROLE}" role on the workspace: az role assignment create --assignee <the identity's client id> --role "${AZURE_ROLE}" --scope <the workspace's resource id>`;
  if (err.name === 'CredentialUnavailableError' || err.name === 'AggregateAuthenticationError')
    return new FactError(
      'unauthorized',
      `no Azure credential to read the runner's logs (${credential}): ${firstLine(e)}`,
      `on a workstation: az login; as a Job in the cluster: Azure workload identity on the doctor's ServiceAccount (azure.workload.identity/client-id annotation, azure.workload.identity/use label on the pod). Then ${grant}`,
    );
  if (
    err.name === 'AuthenticationError' ||
    err.name === 'AuthenticationRequiredError' ||
    /AADSTS\d+/.test(firstLine(e))
  ) {
    const { error, description } = entraError(e);
    return new FactError(
      'unauthorized',
      `Microsoft Entra ID refused the ${credential} token request: ${error}: ${description}`,
      credential === 'workload identity'
        ? "the managed identity or app AZURE_CLIENT_ID needs a federated credential whose subject is system:serviceaccount:<the doctor's namespace>:<its ServiceAccount> and whose issuer is the cluster's OIDC issuer"
        : 'sign in again (az login) or check the credential the environment names',
    );
  }
  const status = err.statusCode;
  const service = `${status}${err.code ? ` ${err.code}` : ''}: ${firstLine(e)}`;
  if (status === 401)
    return new FactError(
      'unauthorized',
      `Log Analytics refused the token (${service})`,
      `the token is for another tenant or audience: use an identity of the workspace's tenant. Then ${grant}`,
      { status },
    );
  if (status === 403)
    return new FactError('forbidden', `the identity may not read workspace ${ws} (${service})`, grant, { status });
  if (status === 404)
    return new FactError(
      'not-found',
      `no Log Analytics workspace ${ws} (${service})`,
      "--azure-workspace takes the workspace ID (the GUID on the workspace's Overview page), not its name",
      { status },
    );
  if (status === 429)
    return new FactError('server', `${what} stayed throttled after retries (${service})`, 'retry later', { status });
  if (status === 400)
    return new FactError(
      'config',
      `${what} was rejected (${service})`,
      'this is a bug in runner-doctor: please report it',
      {
        status,
      },
    );
  if (status !== undefined)
    return new FactError('server', `${what} failed (${service})`, 'retry later; see the Azure status page', { status });
  const net = networkFailure(e);
  if (net?.kind === 'tls')
    return new FactError(
      'tls',
      `cannot verify the TLS certificate of the Log Analytics API (${net.code})`,
      'a proxy intercepts TLS: pass its CA with --ca',
    );
  if (net)
    return new FactError(
      'unreachable',
      `cannot reach the Log Analytics API (${net.code}): ${firstLine(e)}`,
      'allow HTTPS to api.loganalytics.io and login.microsoftonline.com from where the doctor runs (HTTPS_PROXY is honoured)',
    );
  return new FactError('unavailable', `${what} failed: ${firstLine(e)}`, 'retry; if it persists, report it');
}

async function client(run: RunResources, o: CloudLogsOptions, q: QueryContext, ws: string): Promise<Query> {
  // Bundled CommonJS modules arrive under `default` when split into lazy chunks; sources get named exports.
  const [logsMod, identityMod] = await Promise.all([import('@azure/monitor-query-logs'), import('@azure/identity')]);
  const logs = 'LogsQueryClient' in logsMod ? logsMod : (logsMod as unknown as { default: typeof logsMod }).default;
  const identity =
    'WorkloadIdentityCredential' in identityMod
      ? identityMod
      : (identityMod as unknown as { default: typeof identityMod }).default;
  const ca = caBundle(o.ca);
  const tlsOptions = ca ? { ca: ca.join('\n') } : undefined;
  const env = run.env;
  const authorityHost = env.AZURE_AUTHORITY_HOST;
  const common = { ...(authorityHost ? { authorityHost } : {}), ...(tlsOptions ? { tlsOptions } : {}) };
  const kind = credentialKind(env);
  let credential: import('@azure/identity').TokenCredential;
  try {
    credential =
      kind === 'workload identity'
        ? new identity.WorkloadIdentityCredential({
            ...common,
            tenantId: env.AZURE_TENANT_ID,
            clientId: env.AZURE_CLIENT_ID,
            tokenFilePath: env.AZURE_FEDERATED_TOKEN_FILE,
            // A non-public authority (a sovereign cloud, a stand-in) is trusted as given, not checked against the public cloud's list.
            ...(authorityHost ? { disableInstanceDiscovery: true } : {}),
          })
        : new identity.DefaultAzureCredential(common);
  } catch (e) {
    throw classify(e, q, ws, kind);
  }
  // The token's audience follows the API: sovereign clouds (and stand-ins) have their own.
  const endpoint = o.azureEndpoint ?? env.AZURE_LOG_ANALYTICS_ENDPOINT;
  const c = new logs.LogsQueryClient(credential, {
    ...(endpoint ? { endpoint, credentials: { scopes: [`${new URL(endpoint).origin}/.default`] } } : {}),
    ...(tlsOptions ? { tlsOptions } : {}),
    // 429s are retried honouring Retry-After; the run's deadline (the abort signal) bounds the waiting.
    retryOptions: { maxRetries: 4, maxRetryDelayInMs: 30_000 },
  });
  // LogsQueryClient 1.0 drops `abortSignal` from its options, and its deserializer drops the inner errors
  // of a partial answer: a pipeline policy puts the run's signal on every request (the retry policy's
  // Retry-After waits listen to it too) and keeps the service's own reason for a partial answer.
  const inner = new Map<string, string>();
  c.pipeline.addPolicy({
    name: 'runner-doctor-deadline',
    async sendRequest(req, next) {
      req.abortSignal = q.signal;
      const id = req.headers.get(QUERY_ID);
      req.headers.delete(QUERY_ID);
      const res = await next(req);
      if (id && res.status === 200 && res.bodyAsText?.includes('"PartialError"')) {
        const why = innermostMessage(res.bodyAsText);
        if (why) inner.set(id, why);
      }
      return res;
    },
  });
  const duration = `PT${Math.max(1, Math.round((q.to - q.from) / 60_000))}M`;
  let n = 0;
  return async (kql) => {
    const id = String(++n);
    const r = await c.queryWorkspace(
      ws,
      kql,
      { duration },
      {
        serverTimeoutInSeconds: Math.max(10, Math.min(600, Math.round(q.timeoutMs / 1000))),
        requestOptions: { headers: { [QUERY_ID]: id } },
      },
    );
    if (r.status === logs.LogsQueryResultStatus.PartialFailure)
      return { tables: r.partialTables, partial: partialReason(r.partialError, inner.get(id)) };
    return { tables: r.tables };
  };
}

/** Error groups of one table; `missing` when the workspace has no such table. */
async function errorGroups(query: Query, table: AzureLogTable, q: QueryContext) {
  try {
    return await query(kqlErrorGroups(table, q.filter, q.options.since));
  } catch (e) {
    if (isMissingTable(e, table) || (table === 'ContainerLog' && isMissingTable(e, 'KubePodInventory')))
      return 'missing';
    throw e;
  }
}

async function restartsOf(run: RunResources, query: Query, q: QueryContext): Promise<PodRestartHistory[] | undefined> {
  // History is extra: a workspace without KubePodInventory, or any trouble reading it, leaves it out.
  const a = await query(kqlRestarts(q.filter, q.options.since)).catch(() => undefined);
  if (!a || a.partial) return undefined;
  return rowsOf(a.tables[0]).map((r) => {
    const total = Number(r.Last) || 0;
    const reason = lastStatusReason(r.ContainerLastStatus);
    return {
      pod:
        safePods(run, [
          typeof r.Namespace === 'string' && r.Namespace ? `${r.Namespace}/${r.PodName}` : r.PodName,
        ])[0] ?? '',
      restarts: Math.max(0, total - (Number(r.First) || 0)),
      total,
      ...(reason ? { lastReason: reason } : {}),
    };
  });
}

export async function queryAzureLogs(run: RunResources, o: CloudLogsOptions, ws: string): Promise<CloudLogsFact> {
  if (!isWorkspaceId(ws))
    throw new FactError(
      'config',
      `--azure-workspace ${JSON.stringify(ws)} is not a workspace ID`,
      "pass the workspace ID: the GUID on the Log Analytics workspace's Overview page",
    );
  const q = queryContext(run, o);
  try {
    const query = await client(run, o, q, ws);
    const history = restartsOf(run, query, q);
    let table: AzureLogTable | undefined;
    let answer: Answer | undefined;
    let kql = '';
    for (const t of AZURE_LOG_TABLES) {
      const a = await errorGroups(query, t, q);
      if (a === 'missing') continue;
      // A workspace can hold the v2 table with nothing in it while the cluster still writes the old schema.
      if (answer && rowsOf(a.tables[0]).length === 0) break;
      table = t;
      answer = a;
      kql = kqlErrorGroups(t, q.filter, o.since);
      if (rowsOf(a.tables[0]).length > 0) break;
    }
    if (!table || !answer)
      throw new FactError(
        'not-found',
        `workspace ${ws} has neither ContainerLogV2 nor ContainerLog (with KubePodInventory): no container logs are collected into it`,
        'enable Container Insights (the monitoring add-on) for the cluster with this workspace, or name the workspace it uses',
      );
    let lines = 0;
    let errorLines = 0;
    const raw: RawLogGroup[] = [];
    for (const r of rowsOf(answer.tables[0])) {
      const count = Number(r.Count) || 0;
      lines += count;
      if (!(r.IsError === true || r.IsError === 'true' || r.IsError === 1)) continue;
      errorLines += count;
      raw.push({
        count,
        newest: isoOf(r.TimeGenerated),
        line: safeLine(run, typeof r.Msg === 'string' ? r.Msg : JSON.stringify(r.Msg ?? '')),
        pods: safePods(run, listOfUnknown(r.Pods)),
      });
    }
    const restarts = await history;
    return {
      source: 'azure',
      configured: true,
      location: ws,
      table,
      sinceMs: o.since,
      filter: describeFilter(q.filter),
      ...(q.filter.namespace ? { namespace: q.filter.namespace } : {}),
      query: kql,
      lines,
      errorLines,
      signatures: groupBySignature(raw),
      ...(restarts ? { restarts } : {}),
      ...(answer.partial ? { partial: run.redactor.text(answer.partial, 500) } : {}),
    };
  } catch (e) {
    if (e instanceof FactError) throw e;
    throw classify(e, q, ws, credentialKind(run.env));
  }
}

export const azureLogs = collector({
  name: 'azureLogs',
  scope: 'run',
  describe: `the runner's error lines over --since from Azure Log Analytics (ContainerLogV2, else ContainerLog; restarts from KubePodInventory) — no Kubernetes RBAC: the identity needs "${AZURE_ROLE}" on the workspace`,
  rbac: [],
  async collect(ctx) {
    const o = ctx.run.cloudLogs;
    if (!o?.azureWorkspace) return { source: 'azure', configured: false };
    return queryAzureLogs(ctx.run, o, o.azureWorkspace);
  },
});
