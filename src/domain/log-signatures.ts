// What the runner's own log lines say about a deployment (domain.md §7, §9), as pure data and functions:
// which lines count as errors, the signatures operators hit (an OAuth client the identity endpoint
// rejects, a <Placeholder> used as a bucket name, a proxy port the agent cannot parse, DNS, TLS trust,
// memory), how a line is reduced to a signature so that repeats group, and the query texts the log
// stores run (KQL for Azure Log Analytics, Logs Insights for CloudWatch Logs). The collectors
// (src/facts/cloud/) do the I/O; the checks (checks/logs/) judge what this module groups.
import { HELM_VALUE } from './chart.ts';

export type LogSource = 'azure' | 'aws';

/** One signature: repeats of the same error, counted over the window, with the newest line as example. */
export interface LogSignature {
  /** The line reduced to what repeats (ids, numbers, times, addresses replaced); for a known one, its id and subject. */
  signature: string;
  /** The known signature it matches, if any. */
  known?: KnownSignatureId;
  /** What the known signature names: the host, the placeholder, the property, the kind of memory error. */
  subject?: string;
  count: number;
  /** ISO time of the newest line. */
  newest: string;
  /** The newest line, redacted and length-capped where it was collected. */
  example: string;
  /** Pods it came from (at most MAX_PODS). */
  pods: string[];
}

/** Restart history of one pod over the window (Azure KubePodInventory). */
export interface PodRestartHistory {
  pod: string;
  /** Restarts within the window (the restart count's rise). */
  restarts: number;
  /** The restart count at the newest record. */
  total: number;
  /** The container's last termination reason at the newest record (`OOMKilled`, `Error` …). */
  lastReason?: string;
}

/** What a log store was asked, and what it answered. */
export interface CloudLogsResult {
  source: LogSource;
  configured: true;
  /** The workspace id, or the log group. */
  location: string;
  /** What was read: `ContainerLogV2`, `ContainerLog` (the fallback), or the log group. */
  table: string;
  /** The window, milliseconds back from the run's clock. */
  sinceMs: number;
  /** How the runner's pods were picked (namespace and pod name), as the query states it. */
  filter: string;
  /** The namespace the query was narrowed to (--namespace), if any. */
  namespace?: string;
  /** The error-lines query as the store ran it: to run again in the portal or the console. */
  query?: string;
  /** Every line of the runner's pods in the window, when the store can count them. */
  lines?: number;
  /** Error lines in the window (all of them, also those beyond `sampled`). */
  errorLines: number;
  signatures: LogSignature[];
  /** Absent when the store keeps no restart history (CloudWatch, or no KubePodInventory). */
  restarts?: PodRestartHistory[];
  /** The store answered only in part (Log Analytics PartialFailure): its reason. */
  partial?: string;
  /** The counts come from the newest `read` of `matched` error lines. */
  sampled?: { read: number; matched: number };
}

/** A log store that was not configured: the logs checks skip, naming the flag that enables it. */
export interface CloudLogsUnconfigured {
  source: LogSource;
  configured: false;
}

export type CloudLogsFact = CloudLogsResult | CloudLogsUnconfigured;

/** The flag that enables each store. */
export const LOG_FLAGS: Readonly<Record<LogSource, string>> = {
  azure: '--azure-workspace <workspace id>',
  aws: '--aws-log-group [<log group or EKS cluster name>]',
};

/** How a store is named in reports: `log-analytics:<workspace>` or `cloudwatch:<log group>`. */
export function storeTarget(f: CloudLogsResult): string {
  return f.source === 'azure' ? `log-analytics:${f.location}` : `cloudwatch:${f.location}`;
}

/** How a store is named in messages. */
export function storeLabel(f: CloudLogsResult): string {
  return f.source === 'azure'
    ? `Log Analytics workspace ${f.location} (${f.table})`
    : `CloudWatch Logs group ${f.location}`;
}

// --- which lines are errors -------------------------------------------------------------------------

/**
 * Error and exception lines, and every line a known signature matches, case-insensitive. Written in the regex subset that JavaScript, RE2 (KQL
 * `matches regex`) and Logs Insights share, so every store filters the same way the judge does.
 */
export const ERROR_LINE_SOURCE =
  'error|exception|fatal|severe|panic|killed|outofmemory|out of memory|denied|unauthori[sz]ed|forbidden|invalid|refused|timed out|\\b40[13]\\b|' +
  // What the known signatures say without any of those words.
  'expected system property|unknown ?host|name resolution|could not resolve|service not known|enotfound|eai_again|pkix|certificate verify|no route to host|not authorized|aadsts';
const ERROR_LINE = new RegExp(ERROR_LINE_SOURCE, 'i');
/** A stack frame (`\tat com.example.Foo.bar(Foo.java:12)`): part of an exception, not a new error. */
export const STACK_FRAME_SOURCE = '^\\s+at\\s';
const STACK_FRAME = new RegExp(STACK_FRAME_SOURCE);

export function isErrorLine(line: string): boolean {
  return ERROR_LINE.test(line) && !STACK_FRAME.test(line);
}

// --- known signatures -------------------------------------------------------------------------------

interface KnownDef {
  id: string;
  /** What it is, in a few words (details, docs). */
  what: string;
  pattern: RegExp;
  /** What the line names, for grouping and the message. */
  subject?: (line: string) => string | undefined;
}

const PLACEHOLDER_IN_LINE = /(?<![\w.$])<[A-Z][A-Za-z0-9]*>/;
const HOST =
  /(?:UnknownHostException|ENOTFOUND|EAI_AGAIN|resolve host|lookup|host)[:\s]+\[?([A-Za-z0-9][A-Za-z0-9.-]*\.[A-Za-z]{2,})/;
const hostOf = (line: string) => HOST.exec(line)?.[1];

/**
 * The signatures operators meet (domain.md §9), most specific first: the first that matches a line wins.
 * Each id is a message of checks/logs/signatures.ts, which holds the remediation.
 */
export const KNOWN_SIGNATURES = [
  {
    id: 'identity-federation',
    what: "the cloud rejected the pod's workload identity token",
    pattern:
      /AssumeRoleWithWebIdentity|WebIdentityErr|InvalidIdentityToken|AADSTS70021|AADSTS700213|AADSTS700016|No matching federated identity record/i,
  },
  {
    id: 'oauth-client-rejected',
    what: "the identity endpoint rejected the runner's OAuth client",
    pattern:
      /invalid_client|unauthorized_client|Invalid client credentials|(?:keycloak|oauth|openid-connect\/token|token endpoint)\S*.*\b401\b|\b401\b.*(?:keycloak|oauth|openid-connect\/token)/i,
  },
  {
    id: 'placeholder-left',
    what: 'a <Placeholder> from the Helm values used as a real value',
    // Not `List<String>`: a placeholder stands alone (after a space, a quote, `=` …), never after a word.
    pattern: PLACEHOLDER_IN_LINE,
    subject: (line) => PLACEHOLDER_IN_LINE.exec(line)?.[0],
  },
  {
    id: 'proxy-malformed',
    what: 'proxy settings the agent cannot parse',
    pattern:
      /expected system property (?:https?\.)?proxy(?:Port|Host)|https?\.proxyPort.*(?:number|NumberFormatException)/i,
    subject: (line) => /(?:https?\.)?proxy(?:Port|Host)/i.exec(line)?.[0],
  },
  {
    id: 'dns-failure',
    what: 'DNS lookups failing',
    pattern:
      /UnknownHostException|Name or service not known|Temporary failure in name resolution|getaddrinfo (?:ENOTFOUND|EAI_AGAIN)|No address associated with hostname|Could not resolve host|nodename nor servname/i,
    subject: hostOf,
  },
  {
    id: 'tls-untrusted',
    what: 'a TLS certificate the runner does not trust',
    pattern:
      /PKIX path building failed|unable to find valid certification path|certificate verify failed|self[- ]signed certificate in certificate chain|unable to get local issuer certificate/i,
    subject: hostOf,
  },
  {
    id: 'out-of-memory',
    what: 'out of memory',
    pattern:
      /OutOfMemoryError|OOMKilled|Java heap space|GC overhead limit exceeded|Cannot allocate memory|(?:^|\s)Killed(?:\s|$)/,
    subject: (line) =>
      /Java heap space|Metaspace|GC overhead limit exceeded|unable to create native thread|OOMKilled|Cannot allocate memory|Killed/.exec(
        line,
      )?.[0],
  },
  {
    id: 'cloud-access-denied',
    what: "the runner's cloud identity denied access",
    pattern:
      /AccessDenied|not authorized to perform|AuthorizationFailed|AuthorizationPermissionMismatch|Forbidden.*(?:vault|blob|s3|secretsmanager)|(?:vault|blob|s3|secretsmanager).*\b403\b/i,
  },
  {
    id: 'connect-failure',
    what: 'connections refused or timing out',
    pattern:
      /Connection refused|ConnectException|connect timed out|Connection timed out|ConnectTimeoutException|No route to host|ECONNREFUSED|ETIMEDOUT/i,
    subject: hostOf,
  },
] as const satisfies readonly KnownDef[];

export type KnownSignatureId = (typeof KNOWN_SIGNATURES)[number]['id'];

/** The known signature a line matches, and what it names. */
export function knownSignature(line: string): { id: KnownSignatureId; subject?: string } | undefined {
  for (const k of KNOWN_SIGNATURES) {
    if (!k.pattern.test(line)) continue;
    const subject = 'subject' in k ? k.subject(line) : undefined;
    return subject ? { id: k.id, subject } : { id: k.id };
  }
  return undefined;
}

/** The Helm value a placeholder stands for: `<ExtensionLibraryLocation>` → EXTENSION_LIBRARY_LOCATION's value. */
export function helmValueForPlaceholder(placeholder: string): string | undefined {
  const name = placeholder
    .replace(/^<|>$/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase();
  return HELM_VALUE[name];
}

// --- signatures: a line reduced to what repeats --------------------------------------------------------

export const SIGNATURE_MAX = 160;
export const EXAMPLE_MAX = 300;
export const MAX_PODS = 10;
/** Signatures kept per store (the most frequent). */
export const MAX_SIGNATURES = 50;
/** An unknown signature seen at least this often is reported as a finding of its own. */
export const FREQUENT_MIN = 5;

const NORMALISE: [RegExp, string][] = [
  // Times first: they hold numbers the later rules would split.
  [/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g, '<time>'],
  [/\b\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\b/g, '<time>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<ip>'],
  [/\b(?=[0-9a-f]*\d)[0-9a-f]{8,}\b/gi, '<hex>'],
  [/\b[A-Za-z0-9+/_-]{32,}={0,2}/g, '<token>'],
  [/\d+/g, '<n>'],
  [/\s+/g, ' '],
];

/** The line with what varies between repeats replaced: times, ids, addresses, numbers. */
export function normaliseLine(line: string): string {
  let s = line;
  for (const [re, to] of NORMALISE) s = s.replace(re, to);
  s = s.trim();
  return s.length > SIGNATURE_MAX ? `${s.slice(0, SIGNATURE_MAX)}…` : s;
}

/** One line, or a group of lines the store already counted (Log Analytics summarises server-side). */
export interface RawLogGroup {
  count: number;
  /** ISO time of the newest line. */
  newest: string;
  /** The newest line, already redacted. */
  line: string;
  pods: string[];
}

/** Groups lines (or the store's own groups) by signature: counts summed, newest line kept, most frequent first. */
export function groupBySignature(raw: readonly RawLogGroup[], max = MAX_SIGNATURES): LogSignature[] {
  const by = new Map<string, LogSignature>();
  for (const r of raw) {
    const k = knownSignature(r.line);
    const signature = k ? `${k.id}${k.subject ? ` ${k.subject}` : ''}` : normaliseLine(r.line);
    const cur = by.get(signature);
    if (!cur) {
      by.set(signature, {
        signature,
        ...(k ? { known: k.id } : {}),
        ...(k?.subject ? { subject: k.subject } : {}),
        count: r.count,
        newest: r.newest,
        example: r.line,
        pods: [...new Set(r.pods)].slice(0, MAX_PODS),
      });
      continue;
    }
    cur.count += r.count;
    if (r.newest > cur.newest) {
      cur.newest = r.newest;
      cur.example = r.line;
    }
    cur.pods = [...new Set([...cur.pods, ...r.pods])].slice(0, MAX_PODS);
  }
  return [...by.values()]
    .sort((a, b) => b.count - a.count || b.newest.localeCompare(a.newest) || a.signature.localeCompare(b.signature))
    .slice(0, max);
}

// --- the window ---------------------------------------------------------------------------------------

const SINCE_UNITS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
export const DEFAULT_SINCE_MS = 24 * 3_600_000;
const MAX_SINCE_MS = 31 * 86_400_000;

/** `24h`, `90m`, `7d` → milliseconds; undefined when it is not one of those (a usage error). */
export function parseSince(s: string): number | undefined {
  const m = /^(\d+)([mhd])$/.exec(s.trim());
  if (!m?.[1] || !m[2]) return undefined;
  const ms = Number(m[1]) * (SINCE_UNITS[m[2]] ?? 0);
  return ms >= 60_000 && ms <= MAX_SINCE_MS ? ms : undefined;
}

/** Milliseconds as people say it: `90m`, `24h`, `7d` (a day or so stays in hours). */
export function fmtSince(ms: number): string {
  if (ms % 86_400_000 === 0 && ms >= 2 * 86_400_000) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  return `${Math.round(ms / 60_000)}m`;
}

// --- which pods: the chart's naming -------------------------------------------------------------------

const DNS_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/** The chart's fullname for a release (domain.md §1): the release if it contains `matillion-runner`, else `<release>-matillion-runner`. */
export function chartFullname(release: string): string {
  const full = release.includes('matillion-runner') ? release : `${release}-matillion-runner`;
  return full.slice(0, 63).replace(/-+$/, '');
}

export interface PodFilter {
  namespace?: string;
  /** Pod names start with this (a release's fullname and `-`), or … */
  prefix?: string;
  /** … contain this (every release of the chart). */
  contains: string;
}

/** The runner's pods by name, as the log stores know them; names are checked so they are safe to quote. */
export function podFilter(scope: { namespace?: string; release?: string }): PodFilter {
  for (const [what, v] of [
    ['namespace', scope.namespace],
    ['release', scope.release],
  ] as const)
    if (v !== undefined && !DNS_NAME.test(v))
      throw new Error(`the ${what} ${JSON.stringify(v)} is not a Kubernetes name`);
  return {
    ...(scope.namespace ? { namespace: scope.namespace } : {}),
    ...(scope.release ? { prefix: `${chartFullname(scope.release)}-` } : {}),
    contains: 'matillion-runner',
  };
}

export function describeFilter(f: PodFilter): string {
  const pods = f.prefix ? `pods named ${f.prefix}*` : `pods whose name contains ${f.contains}`;
  return f.namespace ? `${pods} in namespace ${f.namespace}` : `${pods}, any namespace`;
}

// --- Azure Log Analytics (KQL) --------------------------------------------------------------------------

/** The KQL tables the runner's container logs are in: the v2 schema, and the older one as a fallback. */
export const AZURE_LOG_TABLES = ['ContainerLogV2', 'ContainerLog'] as const;
export type AzureLogTable = (typeof AZURE_LOG_TABLES)[number];

const kqlVerbatim = (s: string) => `@"${s.replace(/"/g, '""')}"`;
const kqlString = (s: string) => JSON.stringify(s);

function kqlPodWhere(f: PodFilter, nsColumn: string, podColumn: string): string[] {
  return [
    ...(f.namespace ? [`| where ${nsColumn} == ${kqlString(f.namespace)}`] : []),
    f.prefix
      ? `| where ${podColumn} startswith ${kqlString(f.prefix)}`
      : `| where ${podColumn} contains ${kqlString(f.contains)}`,
  ];
}

/**
 * Error lines of the runner's pods grouped server-side: one row per coarse signature (digits and hex
 * runs collapsed) with its count, pods and newest line, plus one row (`IsError` false) counting every
 * other line — so the answer is small whatever the volume, and says whether the pods log at all.
 */
export function kqlErrorGroups(table: AzureLogTable, f: PodFilter, sinceMs: number, max = 200): string {
  const ago = `ago(${Math.round(sinceMs / 60_000)}m)`;
  const source =
    table === 'ContainerLogV2'
      ? [
          'let runner = ContainerLogV2',
          `| where TimeGenerated > ${ago}`,
          ...kqlPodWhere(f, 'PodNamespace', 'PodName'),
          '| extend Msg = tostring(LogMessage);',
        ]
      : [
          // The v1 schema has no pod name: the pod's containers come from KubePodInventory.
          'let containers = KubePodInventory',
          `| where TimeGenerated > ${ago}`,
          ...kqlPodWhere(f, 'Namespace', 'Name'),
          '| distinct ContainerID, PodName = Name;',
          'let runner = ContainerLog',
          `| where TimeGenerated > ${ago}`,
          '| join kind=inner containers on ContainerID',
          '| extend Msg = LogEntry;',
        ];
  return [
    ...source,
    'runner',
    `| extend IsError = Msg matches regex ${kqlVerbatim(`(?i)(${ERROR_LINE_SOURCE})`)} and not(Msg matches regex ${kqlVerbatim(STACK_FRAME_SOURCE)})`,
    `| extend Sig = iff(IsError, substring(replace_regex(Msg, ${kqlVerbatim('[0-9a-fA-F]{6,}|[0-9]+')}, "#"), 0, ${SIGNATURE_MAX}), "")`,
    '| summarize Count = count(), Pods = make_set(PodName, 10), arg_max(TimeGenerated, Msg) by Sig, IsError',
    '| order by IsError asc, Count desc',
    `| take ${max + 1}`,
  ].join('\n');
}

/** Each runner pod's restart count over the window and its last termination reason (Container Insights inventory). */
export function kqlRestarts(f: PodFilter, sinceMs: number, max = 100): string {
  return [
    'KubePodInventory',
    `| where TimeGenerated > ago(${Math.round(sinceMs / 60_000)}m)`,
    ...kqlPodWhere(f, 'Namespace', 'Name'),
    '| summarize First = min(ContainerRestartCount), Last = max(ContainerRestartCount), arg_max(TimeGenerated, ContainerLastStatus) by Namespace, PodName = Name',
    '| order by Last desc',
    `| take ${max}`,
  ].join('\n');
}

/** The termination reason in KubePodInventory's ContainerLastStatus (a JSON text, or a parsed object). */
export function lastStatusReason(v: unknown): string | undefined {
  if (v && typeof v === 'object' && 'reason' in v && typeof v.reason === 'string') return v.reason || undefined;
  if (typeof v !== 'string') return undefined;
  const m = /"reason"\s*:\s*"([A-Za-z]+)"/.exec(v) ?? /\b(OOMKilled|Error|Completed|ContainerCannotRun)\b/.exec(v);
  return m?.[1];
}

// --- CloudWatch Logs Insights ---------------------------------------------------------------------------

/** Container Insights' application log group for a cluster. */
export const containerInsightsGroup = (cluster: string): string => `/aws/containerinsights/${cluster}/application`;

/** The most lines one Logs Insights query returns. */
export const INSIGHTS_LIMIT = 10_000;

const regexLiteral = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function insightsPodFilter(f: PodFilter): string {
  const pod = f.prefix
    ? `kubernetes.pod_name like /^${regexLiteral(f.prefix)}/`
    : `kubernetes.pod_name like /${regexLiteral(f.contains)}/`;
  return f.namespace ? `filter kubernetes.namespace_name = ${JSON.stringify(f.namespace)} and ${pod}` : `filter ${pod}`;
}

/**
 * The newest error lines of the runner's pods (Container Insights' Fluent Bit records: `log` and
 * `kubernetes.*`); Logs Insights cannot rewrite text, so grouping happens here, and the query's
 * `recordsMatched` statistic gives the count beyond the limit.
 */
export function insightsErrorLines(f: PodFilter, limit = INSIGHTS_LIMIT): string {
  return [
    'fields @timestamp, @message, log, kubernetes.pod_name',
    `| ${insightsPodFilter(f)}`,
    `| filter @message like /(?i)(${ERROR_LINE_SOURCE})/`,
    '| sort @timestamp desc',
    `| limit ${limit}`,
  ].join('\n');
}

/** Every line of the runner's pods in the window, counted: tells "no errors" from "no logs at all". */
export function insightsLineCount(f: PodFilter): string {
  return [`${insightsPodFilter(f)}`, '| stats count(*) as lines'].join('\n');
}

/** Logs Insights' `@timestamp` (`2026-01-01 12:00:00.000`, UTC) as ISO. */
export function insightsTime(v: string | undefined): string {
  if (!v) return '';
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/.test(v) ? `${v.replace(' ', 'T')}Z` : v;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? v : new Date(t).toISOString();
}

/**
 * The EKS cluster a kube context points at: `aws eks update-kubeconfig` names contexts by the cluster's
 * ARN, eksctl `<user>@<cluster>.<region>.eksctl.io`; the API server's host holds the region.
 */
export function eksClusterOf(
  context: string | undefined,
  server: string | undefined,
): { name?: string; region?: string } {
  const arn = /^arn:aws[a-z-]*:eks:([a-z0-9-]+):\d+:cluster\/([A-Za-z0-9_-]+)$/.exec(context ?? '');
  if (arn?.[1] && arn[2]) return { name: arn[2], region: arn[1] };
  const eksctl = /@([A-Za-z0-9_-]+)\.([a-z0-9-]+)\.eksctl\.io$/.exec(context ?? '');
  if (eksctl?.[1] && eksctl[2]) return { name: eksctl[1], region: eksctl[2] };
  const host = /\.([a-z]{2}(?:-[a-z]+)+-\d)\.eks\.amazonaws\.com/.exec(server ?? '');
  return host?.[1] ? { region: host[1] } : {};
}

/** The stores a run was configured to read, in a stable order (Azure, then AWS). */
export function configuredStores(...facts: readonly CloudLogsFact[]): CloudLogsResult[] {
  return facts.flatMap((f) => (f.configured ? [f] : []));
}

/** How to enable the logs checks, for the skip message. */
export const ENABLE_LOGS = `${LOG_FLAGS.azure} (Azure Log Analytics) or ${LOG_FLAGS.aws} (CloudWatch Logs) enables it`;
