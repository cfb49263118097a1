import { HELM, HELM_VALUE, RUNNER_SELECTOR } from '../../src/domain/chart.ts';
import { listOf } from '../../src/domain/format.ts';
import {
  type CloudLogsResult,
  configuredStores,
  ENABLE_LOGS,
  fmtSince,
  helmValueForPlaceholder,
  KNOWN_SIGNATURES,
  type KnownSignatureId,
  type LogSignature,
  storeLabel,
  storeTarget,
} from '../../src/domain/log-signatures.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

/** The evidence every signature finding shows: how often, when last, where, and the newest line (redacted). */
const SEEN = '{{count}}× in the last {{since}}, newest {{newest}} in {{pods}}: "{{example}}"';

const knownMessages = {
  'identity-federation': {
    status: 'fail',
    text: `the cloud rejects the pods' workload identity token (web identity / federated credential) — ${SEEN}`,
    fix: `the identity's trust must name the runner's ServiceAccount: the AWS IAM role's trust policy must accept system:serviceaccount:<namespace>:<service account> (the vendor's Terraform allows only matillion-runner-sa), the Azure federated credential's subject likewise, with the cluster's OIDC issuer; identity.service-account and the credentials checks show what the pods use (${HELM.serviceAccountName}, ${HELM.roleArn}, ${HELM.azureClientId})`,
  },
  'oauth-client-rejected': {
    status: 'fail',
    text: `the identity endpoint rejects the runner's OAuth client (401 / invalid_client) — ${SEEN}`,
    fix: `the OAuth client id or secret is wrong or revoked: set ${HELM_VALUE.OAUTH_CLIENT_ID} and ${HELM_VALUE.OAUTH_CLIENT_SECRET} (the <release>-matillion-runner-config Secret, keys OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET) to this agent's credentials from the vendor's console, helm upgrade, and restart the runner pods; workload.secrets confirms the keys are there`,
    command: `kubectl rollout restart deployment -l ${RUNNER_SELECTOR}{{nsFlag}}`,
  },
  'placeholder-left': {
    status: 'fail',
    text: `the runner uses the placeholder {{subject}} as a real value: a <Placeholder> was left in the Helm values — ${SEEN}`,
    fix: 'set {{helmValue}} to the real value and run helm upgrade; environment.placeholders and workload.placeholders list every unfilled value',
  },
  'proxy-malformed': {
    status: 'fail',
    text: `the agent cannot parse its proxy settings ({{subject}}): a proxy value is empty or malformed — ${SEEN}`,
    fix: `set ${HELM_VALUE.PROXY_HTTP} / ${HELM_VALUE.PROXY_HTTPS} to http://host:port, or leave them unset (not empty), and ${HELM_VALUE.PROXY_EXCLUDE} to a comma-separated host list; network.egress then tests the proxy from inside the pods`,
  },
  'dns-failure': {
    status: 'fail',
    text: `DNS lookups fail{{forHost}} — ${SEEN}`,
    fix: "allow DNS egress (53/UDP and 53/TCP) in the runner's NetworkPolicy and check the cluster DNS (CoreDNS) and its upstream resolver; network.egress and network.policy confirm it from inside the pods",
  },
  'tls-untrusted': {
    status: 'fail',
    text: `the runner does not trust a TLS certificate{{forHost}} (PKIX / certificate verify failed) — ${SEEN}`,
    fix: `a proxy or firewall intercepts TLS: put its CA in a Secret, mount it into the runner and set ${HELM_VALUE.CUSTOM_CERT_LOCATION} to it; network.egress shows who issued the certificate the pods see`,
  },
  'out-of-memory': {
    status: 'fail',
    text: `the runner runs out of memory ({{subject}}) — ${SEEN}`,
    fix: `the JVM heap (-Xmx, -XX:MaxRAMPercentage) and the tasks do not fit the container's memory limit: choose a larger ${HELM.runnerSize} (or ${HELM.resources}) or lower the heap share; resources.jvm-heap and workload.resources compare them`,
  },
  'cloud-access-denied': {
    status: 'fail',
    text: `the runner's cloud identity is denied access — ${SEEN}`,
    fix: `grant the runner's IAM role / managed identity what the vendor's guide lists (S3 or Blob storage, Secrets Manager or Key Vault) on the resources the line names; identity.service-account shows which identity the pods use (${HELM.roleArn}, ${HELM.azureClientId})`,
  },
  'connect-failure': {
    status: 'warn',
    text: `connections are refused or time out{{forHost}} — ${SEEN}`,
    fix: 'egress to that endpoint is blocked or the service is down: NetworkPolicy, NSG / security group, firewall, NAT or proxy; network.egress tests each stage from the doctor and from inside the pods',
  },
} satisfies Record<KnownSignatureId, MessageDef>;

const messages = {
  ...knownMessages,
  'none-known': {
    status: 'pass',
    text: 'no known failure signature in {{errorLines}} error lines of {{lines}} from the runner in {{store}} over the last {{since}}',
  },
  'no-logs': {
    status: 'warn',
    text: '{{store}} holds no log line of the runner ({{filter}}) over the last {{since}}: nothing to judge',
    fix: "check that the cluster's container logs are collected into this store (Container Insights), and that --namespace / --release name the runner's",
  },
  incomplete: {
    status: 'warn',
    text: '{{store}} answered only in part ({{reason}}): signatures may be missing',
    fix: 'narrow --since, or run the query from the JSON report in the portal to see the whole answer',
  },
  'not-configured': { status: 'skip', text: `no log store to read: ${ENABLE_LOGS}` },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

/** The message vars and details of one signature. */
function evidence(s: LogSignature, f: CloudLogsResult) {
  const since = fmtSince(f.sinceMs);
  const vars = {
    count: s.count,
    since,
    newest: s.newest || 'unknown time',
    pods: s.pods.length ? listOf(s.pods, 3) : 'unnamed pods',
    example: s.example,
    subject: s.subject ?? 'unknown',
    forHost: s.subject ? ` for ${s.subject}` : '',
    helmValue: (s.subject && helmValueForPlaceholder(s.subject)) ?? `the Helm value that holds ${s.subject ?? 'it'}`,
    nsFlag: f.namespace ? ` -n ${f.namespace}` : ' -A',
  };
  const details = {
    source: f.source,
    location: f.location,
    table: f.table,
    signature: s.signature,
    count: s.count,
    newest: s.newest,
    pods: s.pods,
    example: s.example,
    ...(f.query ? { query: f.query } : {}),
  };
  return { vars, details };
}

function judgeStore(f: CloudLogsResult, { report }: JudgeContext<Id>): Finding<Id>[] {
  const target = storeTarget(f);
  const base = { store: storeLabel(f), since: fmtSince(f.sinceMs), filter: f.filter };
  const out: Finding<Id>[] = [];
  if (f.partial)
    out.push(report('incomplete', { ...base, reason: f.partial }, { target, details: { query: f.query ?? null } }));
  const known = f.signatures.flatMap((s) => (s.known ? [{ s, id: s.known }] : []));
  for (const { s, id } of known) {
    const { vars, details } = evidence(s, f);
    out.push(report(id, vars, { target, details }));
  }
  if (known.length === 0) {
    if (f.lines === 0) out.push(report('no-logs', base, { target }));
    else
      out.push(
        report(
          'none-known',
          { ...base, errorLines: f.errorLines, lines: f.lines ?? f.errorLines },
          { target, details: { known: KNOWN_SIGNATURES.map((k) => k.id) } },
        ),
      );
  }
  return out;
}

export default defineCheck({
  id: 'logs.signatures',
  title: "The runner's recent errors match no known failure",
  category: 'logs',
  scope: 'cluster',
  tags: ['azure', 'aws'],
  docs: {
    what: "Reads the runner's error lines of the last --since (default 24h) from Azure Log Analytics (ContainerLogV2, else ContainerLog) or CloudWatch Logs (Container Insights' application log group), groups them by signature, and matches the signatures operators meet: an OAuth client the identity endpoint rejects (401 / invalid_client), a <Placeholder> used as a value (`Invalid bucket name <ExtensionLibraryLocation>`), a proxy value the agent cannot parse (`expected system property https.proxyPort to be a number`), DNS failures (UnknownHostException), untrusted TLS, out of memory (OutOfMemoryError, OOMKilled, Killed), a rejected workload identity token, denied cloud access, refused or timed-out connections. Every line shown is redacted and capped.",
    why: 'A deployment can pass every static check and still fail at run time: these lines say why, and each names the Helm value or the check that confirms it. Both vendor guides send operators to this log store; the doctor reads it for them.',
    fix: 'Follow the remediation of each signature: it names the Helm value to change or the check that confirms the cause.',
  },
  needs: ['azureLogs', 'cloudwatchLogs'],
  messages,
  judge({ azureLogs, cloudwatchLogs }, ctx) {
    const stores = configuredStores(azureLogs, cloudwatchLogs);
    if (stores.length === 0) return ctx.report('not-configured');
    return stores.flatMap((f) => judgeStore(f, ctx));
  },
});
