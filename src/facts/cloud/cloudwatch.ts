// The runner's recent errors from CloudWatch Logs (--aws-log-group): two Logs Insights queries over
// Container Insights' application log group — the newest error lines of the runner's pods, and how many
// lines they logged at all — each started with StartQuery and polled with GetQueryResults until it is
// Complete, within the query's own timeout and the run's deadline. The SDK loads only here, on first use.
// Credentials: the default chain (static keys in the environment, a profile, IRSA's web identity token
// in a pod, the instance role); throttling is retried by the SDK honouring Retry-After.
import https from 'node:https';
import {
  type CloudLogsFact,
  containerInsightsGroup,
  describeFilter,
  eksClusterOf,
  groupBySignature,
  INSIGHTS_LIMIT,
  insightsErrorLines,
  insightsLineCount,
  insightsTime,
  isErrorLine,
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

/** The actions to grant, named in every permission error. */
export const AWS_ACTIONS = ['logs:StartQuery', 'logs:GetQueryResults', 'logs:StopQuery'] as const;
const DONE = new Set(['Complete', 'Failed', 'Cancelled', 'Timeout', 'Unknown']);

type Field = { field?: string; value?: string };
interface Results {
  results: Field[][];
  matched?: number;
  polls: number;
}

interface Where {
  group: string;
  region?: string;
}

/** The log group and region: as given, from an EKS cluster name, or from the kube context's EKS cluster. */
export function resolveLogGroup(run: RunResources, o: CloudLogsOptions): Where {
  const fromContext = eksClusterOf(run.kube?.access.context, run.kube?.access.server);
  const region = o.awsRegion ?? run.env.AWS_REGION ?? run.env.AWS_DEFAULT_REGION ?? fromContext.region;
  const given = o.awsLogGroup?.trim() ?? '';
  if (given.startsWith('/') || given.startsWith('arn:')) return { group: given, ...(region ? { region } : {}) };
  const cluster = given || fromContext.name;
  if (!cluster)
    throw new FactError(
      'config',
      '--aws-log-group names no log group, and the kube context is not an EKS cluster it could be derived from',
      'pass the log group (/aws/containerinsights/<cluster>/application) or the EKS cluster name: --aws-log-group <cluster>',
    );
  return { group: containerInsightsGroup(cluster), ...(region ? { region } : {}) };
}

const grantText = (w: Where) =>
  `grant the identity ${AWS_ACTIONS.join(', ')} on arn:aws:logs:${w.region ?? '<region>'}:<account>:log-group:${w.group}:* (as a Job in the cluster: the IAM role of the doctor's ServiceAccount, eks.amazonaws.com/role-arn)`;

/** Every way a Logs Insights query fails, as a FactError naming what to grant or change. */
function classify(e: unknown, q: QueryContext, w: Where): FactError {
  const what = `the Logs Insights query on ${w.group}`;
  if (e instanceof FactError) return e;
  if (isAbort(e, q.signal)) return stopped(q, what);
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  const name = err.name ?? '';
  const status = err.$metadata?.httpStatusCode;
  const said = `${name}${status ? ` (${status})` : ''}: ${firstLine(e)}`;
  const extra = status ? { status } : {};
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(firstLine(e)))
    return new FactError(
      'unauthorized',
      `no AWS credentials to read the runner's logs: ${firstLine(e)}`,
      `on a workstation: aws sso login, or AWS_PROFILE; as a Job in EKS: IRSA (annotate the doctor's ServiceAccount with eks.amazonaws.com/role-arn) or EKS Pod Identity. Then ${grantText(w)}`,
    );
  if (/Region is missing/i.test(firstLine(e)))
    return new FactError('config', 'no AWS region to query CloudWatch Logs in', 'pass --aws-region, or set AWS_REGION');
  if (name === 'AccessDeniedException' || status === 403)
    return new FactError('forbidden', `the identity may not query ${w.group} (${said})`, grantText(w), extra);
  if (
    /^(UnrecognizedClientException|InvalidSignatureException|ExpiredTokenException|IncompleteSignature|InvalidClientTokenId|MissingAuthenticationToken)$/.test(
      name,
    ) ||
    status === 401
  )
    return new FactError(
      'unauthorized',
      `CloudWatch Logs refused the credentials (${said})`,
      `renew the credentials (expired session, wrong keys, or keys of another partition). Then ${grantText(w)}`,
      extra,
    );
  if (name === 'ResourceNotFoundException')
    return new FactError(
      'not-found',
      `no log group ${w.group}${w.region ? ` in ${w.region}` : ''} (${said})`,
      'enable Container Insights (the amazon-cloudwatch-observability add-on), or name the log group with --aws-log-group and its region with --aws-region',
      extra,
    );
  if (/^(ThrottlingException|LimitExceededException|TooManyRequestsException)$/.test(name) || status === 429)
    return new FactError(
      'server',
      `${what} stayed throttled after retries (${said})`,
      'retry later: Logs Insights runs at most 30 concurrent queries per account',
      extra,
    );
  if (/^(InvalidParameterException|MalformedQueryException)$/.test(name))
    return new FactError(
      'config',
      `${what} was rejected (${said})`,
      'this is a bug in runner-doctor: please report it',
      extra,
    );
  if (status !== undefined)
    return new FactError('server', `${what} failed (${said})`, 'retry later; see the AWS Health Dashboard', extra);
  const net = networkFailure(e);
  if (net?.kind === 'tls')
    return new FactError(
      'tls',
      `cannot verify the TLS certificate of CloudWatch Logs (${net.code})`,
      'a proxy intercepts TLS: pass its CA with --ca',
    );
  if (net)
    return new FactError(
      'unreachable',
      `cannot reach CloudWatch Logs (${net.code}): ${firstLine(e)}`,
      `allow HTTPS to logs.${w.region ?? '<region>'}.amazonaws.com from where the doctor runs`,
    );
  return new FactError('unavailable', `${what} failed: ${firstLine(e)}`, 'retry; if it persists, report it');
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

const fieldOf = (row: Field[], name: string) => row.find((f) => f.field === name)?.value;

/** The log line of a Container Insights record: its `log` field, else the raw message. */
function lineOf(row: Field[]): string {
  const log = fieldOf(row, 'log');
  if (log) return log;
  const msg = fieldOf(row, '@message') ?? '';
  try {
    const parsed: unknown = JSON.parse(msg);
    if (parsed && typeof parsed === 'object' && 'log' in parsed && typeof parsed.log === 'string') return parsed.log;
  } catch {
    // not JSON: the message is the line
  }
  return msg;
}

export async function queryCloudWatchLogs(run: RunResources, o: CloudLogsOptions): Promise<CloudLogsFact> {
  const where = resolveLogGroup(run, o);
  const q = queryContext(run, o);
  // Bundled CommonJS modules arrive under `default` when split into lazy chunks; sources get named exports.
  const mod = await import('@aws-sdk/client-cloudwatch-logs');
  const sdk = 'CloudWatchLogsClient' in mod ? mod : (mod as unknown as { default: typeof mod }).default;
  const env = run.env;
  const ca = caBundle(o.ca);
  const endpoint = o.cloudwatchEndpoint ?? env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS ?? env.AWS_ENDPOINT_URL;
  const client = new sdk.CloudWatchLogsClient({
    ...(where.region ? { region: where.region } : {}),
    ...(endpoint ? { endpoint } : {}),
    // Static keys in the environment come first, as in the default chain (which reads them from process.env).
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: env.AWS_ACCESS_KEY_ID,
            secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
    ...(ca ? { requestHandler: { httpsAgent: new https.Agent({ ca }) } } : {}),
    maxAttempts: 5,
  });
  // The two queries stand or fall together: when one fails, the other stops polling.
  const sibling = new AbortController();
  const signal = AbortSignal.any([q.signal, sibling.signal]);
  const opts = { abortSignal: signal };
  const stops: Promise<unknown>[] = [];

  const run1 = async (queryString: string, limit?: number): Promise<Results> => {
    const started = await client.send(
      new sdk.StartQueryCommand({
        logGroupName: where.group,
        startTime: Math.floor(q.from / 1000),
        endTime: Math.ceil(q.to / 1000),
        queryString,
        ...(limit ? { limit } : {}),
      }),
      opts,
    );
    const queryId = started.queryId;
    if (!queryId) throw new FactError('server', `StartQuery on ${where.group} returned no query id`, 'retry later');
    let delay = 250;
    let polls = 0;
    let status = 'Scheduled';
    try {
      for (;;) {
        await sleep(delay, signal);
        polls++;
        const r = await client.send(new sdk.GetQueryResultsCommand({ queryId }), opts);
        status = r.status ?? 'Unknown';
        if (status === 'Complete') return { results: r.results ?? [], matched: r.statistics?.recordsMatched, polls };
        if (DONE.has(status))
          throw new FactError(
            'server',
            `the Logs Insights query on ${where.group} ended ${status}`,
            status === 'Timeout' ? 'narrow --since: the query scanned too much' : 'retry later',
          );
        delay = Math.min(delay * 2, 2000);
      }
    } catch (e) {
      if (!isAbort(e, signal)) throw e;
      // Do not leave the query running (and counting against the account's concurrency): stop it, briefly.
      stops.push(client.send(new sdk.StopQueryCommand({ queryId }), { abortSignal: AbortSignal.timeout(2000) }));
      const err = stopped(q, `the Logs Insights query on ${where.group}`);
      throw new FactError(err.kind, `${err.message} (still ${status} after ${polls} polls)`, err.remediation);
    }
  };

  try {
    const [errors, count] = await Promise.all([
      run1(insightsErrorLines(q.filter), INSIGHTS_LIMIT),
      run1(insightsLineCount(q.filter)),
    ]);
    const raw: RawLogGroup[] = [];
    for (const row of errors.results) {
      const line = lineOf(row);
      if (!isErrorLine(line)) continue;
      raw.push({
        count: 1,
        newest: insightsTime(fieldOf(row, '@timestamp')),
        line: safeLine(run, line),
        pods: safePods(run, [fieldOf(row, 'kubernetes.pod_name')]),
      });
    }
    const matched = errors.matched ?? errors.results.length;
    const lines = Number(count.results[0] ? fieldOf(count.results[0], 'lines') : 0) || 0;
    return {
      source: 'aws',
      configured: true,
      location: where.group,
      table: where.group,
      sinceMs: o.since,
      filter: describeFilter(q.filter),
      ...(q.filter.namespace ? { namespace: q.filter.namespace } : {}),
      query: insightsErrorLines(q.filter),
      lines,
      errorLines: matched > errors.results.length ? matched : raw.length,
      signatures: groupBySignature(raw),
      ...(matched > errors.results.length ? { sampled: { read: errors.results.length, matched } } : {}),
    };
  } catch (e) {
    sibling.abort();
    throw classify(e, q, where);
  } finally {
    await Promise.allSettled(stops);
    client.destroy();
  }
}

export const cloudwatchLogs = collector({
  name: 'cloudwatchLogs',
  scope: 'run',
  describe: `the runner's error lines over --since from CloudWatch Logs Insights (Container Insights' application log group) — no Kubernetes RBAC: the identity needs ${AWS_ACTIONS.join(', ')} on the log group`,
  rbac: [],
  async collect(ctx) {
    const o = ctx.run.cloudLogs;
    if (o?.awsLogGroup === undefined) return { source: 'aws', configured: false };
    return queryCloudWatchLogs(ctx.run, o);
  },
});
