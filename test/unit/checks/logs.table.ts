import logErrors from '../../../checks/logs/errors.ts';
import logRestarts from '../../../checks/logs/restarts.ts';
import logSignatures from '../../../checks/logs/signatures.ts';
import {
  type CloudLogsFact,
  type CloudLogsResult,
  groupBySignature,
  type LogSignature,
  type RawLogGroup,
} from '../../../src/domain/log-signatures.ts';
import type { FactMap } from '../../../src/engine/facts.ts';
import type { CheckResult } from '../../../src/engine/types.ts';
import { table } from '../../helpers/check-table.ts';

// --- fact builders: what the log-store collectors hold after grouping ---------------------------------------

const WS = '11111111-2222-3333-4444-555555555555';
const GROUP = '/aws/containerinsights/prod/application';
const POD = 'matillion-runner-app-7d9f-abcde';
const DAY = 86_400_000;

const line = (text: string, count = 1, newest = '2026-11-30T11:00:00.000Z', pods = [POD]): RawLogGroup => ({
  count,
  newest,
  line: text,
  pods,
});
const sigs = (...raw: RawLogGroup[]): LogSignature[] => groupBySignature(raw);

function azure(o: Partial<CloudLogsResult> = {}): CloudLogsResult {
  return {
    source: 'azure',
    configured: true,
    location: WS,
    table: 'ContainerLogV2',
    sinceMs: DAY,
    filter: 'pods whose name contains matillion-runner in namespace matillion',
    namespace: 'matillion',
    lines: 5000,
    errorLines: 0,
    signatures: [],
    restarts: [{ pod: `matillion/${POD}`, restarts: 0, total: 0 }],
    ...o,
  };
}
function aws(o: Partial<CloudLogsResult> = {}): CloudLogsResult {
  return {
    source: 'aws',
    configured: true,
    location: GROUP,
    table: GROUP,
    sinceMs: DAY,
    filter: 'pods whose name contains matillion-runner, any namespace',
    lines: 800,
    errorLines: 0,
    signatures: [],
    ...o,
  };
}
const off = {
  azureLogs: { source: 'azure', configured: false } as CloudLogsFact,
  cloudwatchLogs: { source: 'aws', configured: false } as CloudLogsFact,
};
const facts = (f: Partial<Pick<FactMap, 'azureLogs' | 'cloudwatchLogs'>>): Partial<FactMap> => ({ ...off, ...f });
const withErrors = (signatures: LogSignature[], o: Partial<CloudLogsResult> = {}) =>
  azure({ signatures, errorLines: signatures.reduce((n, s) => n + s.count, 0), ...o });

const message =
  (re: RegExp, i = 0) =>
  (rs: CheckResult[]) => {
    if (!re.test(rs[i]?.message ?? '')) throw new Error(rs[i]?.message);
  };
const remedy =
  (re: RegExp, i = 0) =>
  (rs: CheckResult[]) => {
    const r = rs[i]?.remediation;
    if (!re.test(`${r?.text ?? ''} | ${r?.command ?? ''}`)) throw new Error(JSON.stringify(r));
  };
const all =
  (...fs: ((rs: CheckResult[]) => void)[]) =>
  (rs: CheckResult[]) => {
    for (const f of fs) f(rs);
  };

// --- logs.signatures ------------------------------------------------------------------------------------------

const known: [string, string, RegExp, RegExp][] = [
  [
    'identity-federation',
    'com.amazonaws.services.securitytoken.model.AWSSecurityTokenServiceException: Not authorized to perform sts:AssumeRoleWithWebIdentity (Service: AWSSecurityTokenService; Status Code: 403; Error Code: AccessDenied)',
    /workload identity token/,
    /system:serviceaccount:<namespace>:<service account>.*matillion-runner-sa/,
  ],
  [
    'oauth-client-rejected',
    'ERROR c.m.a.AuthClient : POST https://keycloak.core.matillion.com/auth/realms/x/protocol/openid-connect/token → 401 {"error":"invalid_client"}',
    /rejects the runner's OAuth client/,
    /config\.oauthClientId and config\.oauthClientSecret.*\| kubectl rollout restart deployment -l app\.kubernetes\.io\/name=matillion-runner -n matillion$/,
  ],
  [
    'placeholder-left',
    'ERROR c.m.a.Extensions : Invalid bucket name <ExtensionLibraryLocation>',
    /placeholder <ExtensionLibraryLocation> as a real value/,
    /set dpcAgent\.dpcAgent\.env\.extensionLibraryLocation to the real value/,
  ],
  [
    'proxy-malformed',
    'java.lang.IllegalArgumentException: expected system property https.proxyPort to be a number but got empty string',
    /cannot parse its proxy settings \(https\.proxyPort\)/,
    /dpcAgent\.dpcAgent\.env\.proxyHttps to http:\/\/host:port/,
  ],
  [
    'dns-failure',
    'java.net.UnknownHostException: keycloak.core.matillion.com',
    /DNS lookups fail for keycloak\.core\.matillion\.com/,
    /53\/UDP and 53\/TCP.*network\.egress/,
  ],
  [
    'tls-untrusted',
    'javax.net.ssl.SSLHandshakeException: PKIX path building failed: unable to find valid certification path to requested target',
    /does not trust a TLS certificate/,
    /dpcAgent\.dpcAgent\.env\.customCertLocation/,
  ],
  [
    'out-of-memory',
    'java.lang.OutOfMemoryError: Java heap space',
    /out of memory \(Java heap space\)/,
    /runnerSize.*resources\.jvm-heap/,
  ],
  [
    'cloud-access-denied',
    'software.amazon.awssdk.services.s3.model.S3Exception: Access Denied (Service: S3, Status Code: 403, Request ID: ABC) AccessDenied',
    /cloud identity is denied access/,
    /identity\.service-account/,
  ],
  [
    'connect-failure',
    'java.net.ConnectException: Connection refused (Connection refused) to host api.matillion.com',
    /refused or time out for api\.matillion\.com/,
    /network\.egress tests each stage/,
  ],
];

const signaturesTable = table(logSignatures, {
  valid: [
    {
      name: 'no store configured: skip, naming the flags',
      facts: off,
      codes: ['not-configured'],
      expect: message(/--azure-workspace <workspace id> \(Azure Log Analytics\) or --aws-log-group/),
    },
    {
      name: 'errors, none of them known',
      facts: facts({ azureLogs: withErrors(sigs(line('ERROR c.m.a.Queue : job 12 failed', 3))) }),
      codes: ['none-known'],
      expect: message(
        /^no known failure signature in 3 error lines of 5000 from the runner in Log Analytics workspace 11111111-2222-3333-4444-555555555555 \(ContainerLogV2\) over the last 24h$/,
      ),
    },
    {
      name: 'both stores, both clean: one result each, each naming its store',
      facts: facts({ azureLogs: azure(), cloudwatchLogs: aws() }),
      codes: ['none-known', 'none-known'],
      expect: (rs) => {
        if (rs[0]?.target !== `log-analytics:${WS}` || rs[1]?.target !== `cloudwatch:${GROUP}`)
          throw new Error(JSON.stringify(rs));
      },
    },
  ],
  invalid: [
    ...known.map(([id, text, msg, fix]) => ({
      name: `known: ${id}`,
      facts: facts({ azureLogs: withErrors(sigs(line(text, 12))) }),
      codes: [id],
      expect: all(
        message(msg),
        message(/— 12× in the last 24h, newest 2026-11-30T11:00:00\.000Z in matillion-runner-app-7d9f-abcde: "/),
        remedy(fix),
      ),
    })),
    {
      name: 'the runner logged nothing at all in the window',
      facts: facts({ cloudwatchLogs: aws({ lines: 0 }) }),
      codes: ['no-logs'],
      expect: message(
        /CloudWatch Logs group \/aws\/containerinsights\/prod\/application holds no log line of the runner/,
      ),
    },
    {
      name: 'a partial answer says so, beside what it found',
      facts: facts({
        azureLogs: withErrors(sigs(line('java.net.UnknownHostException: api.matillion.com', 4)), {
          partial: 'PartialError: Query execution has exceeded the allowed limits',
        }),
      }),
      codes: ['incomplete', 'dns-failure'],
      expect: message(/answered only in part \(PartialError: Query execution has exceeded the allowed limits\)/),
    },
    {
      name: 'several signatures: one finding each, most frequent first, without a namespace the command lists all',
      facts: facts({
        cloudwatchLogs: aws({
          signatures: sigs(
            line('java.net.UnknownHostException: keycloak.core.matillion.com', 2),
            line('token endpoint said 401 invalid_client', 40),
          ),
          errorLines: 42,
        }),
      }),
      codes: ['oauth-client-rejected', 'dns-failure'],
      expect: remedy(/-l app\.kubernetes\.io\/name=matillion-runner -A$/),
    },
  ],
});

// --- logs.errors ------------------------------------------------------------------------------------------------

const errorsTable = table(logErrors, {
  valid: [
    { name: 'no store configured', facts: off, codes: ['not-configured'] },
    { name: 'no error lines', facts: facts({ azureLogs: azure() }), codes: ['none'] },
    {
      name: 'known signatures are logs.signatures’ business, not this check’s',
      facts: facts({ azureLogs: withErrors(sigs(line('java.lang.OutOfMemoryError: Java heap space', 50))) }),
      codes: ['none'],
    },
    {
      name: 'rare unknown errors are counted together',
      facts: facts({
        azureLogs: withErrors(sigs(line('ERROR a failed', 2), line('ERROR b exploded', 1))),
      }),
      codes: ['rare'],
      expect: message(/^2 other error signatures in .* over the last 24h, 3 lines in all/),
    },
    {
      name: 'counts from a sample of the matches say so',
      facts: facts({
        cloudwatchLogs: aws({
          signatures: sigs(line('ERROR a failed')),
          errorLines: 25_000,
          sampled: { read: 1, matched: 25_000 },
        }),
      }),
      codes: ['rare', 'sampled'],
      expect: message(/^counts come from the newest 1 of 25000 error lines/, 1),
    },
  ],
  invalid: [
    {
      name: 'a frequent unknown error, repeats grouped by signature (ids and numbers set aside)',
      facts: facts({
        azureLogs: withErrors(
          sigs(
            line(
              '2026-11-30 10:00:01.001 ERROR c.m.a.Queue : job 1234 rejected: queue 7f3a9e1b full',
              4,
              '2026-11-30T10:00:01.001Z',
            ),
            line(
              '2026-11-30 10:05:09.002 ERROR c.m.a.Queue : job 99 rejected: queue 0c1d2e3f full',
              3,
              '2026-11-30T10:05:09.002Z',
            ),
          ),
        ),
      }),
      codes: ['frequent'],
      expect: all(
        message(
          /^7× an error no known signature explains, in the last 24h, newest 2026-11-30T10:05:09\.002Z in matillion-runner-app-7d9f-abcde: ".*job 99 rejected/,
        ),
        remedy(/vendor's support/),
      ),
    },
    {
      name: 'at most five frequent ones one by one; the rest summed up',
      facts: facts({
        cloudwatchLogs: aws({
          signatures: sigs(
            ...['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'].map((w, i) =>
              line(`ERROR ${w} broke`, 10 + i),
            ),
          ),
          errorLines: 75,
        }),
      }),
      codes: ['frequent', 'frequent', 'frequent', 'frequent', 'frequent', 'rare'],
      expect: message(/^15× .*foxtrot broke/),
    },
  ],
});

// --- logs.restarts -----------------------------------------------------------------------------------------------

const restartsTable = table(logRestarts, {
  valid: [
    { name: 'no store configured', facts: off, codes: ['not-configured'] },
    {
      name: 'no restarts in the window',
      facts: facts({ azureLogs: azure({ restarts: [{ pod: `matillion/${POD}`, restarts: 0, total: 2 }] }) }),
      codes: ['none'],
      expect: message(/^no runner pod restarted in the last 24h \(1 pods in Log Analytics workspace/),
    },
    {
      name: 'CloudWatch keeps no restart history',
      facts: facts({ cloudwatchLogs: aws() }),
      codes: ['no-history'],
    },
  ],
  invalid: [
    {
      name: 'a pod OOMKilled in the window (maybe gone since)',
      facts: facts({
        azureLogs: azure({ restarts: [{ pod: `matillion/${POD}`, restarts: 3, total: 4, lastReason: 'OOMKilled' }] }),
      }),
      codes: ['oom-killed'],
      expect: all(
        message(
          /^matillion\/matillion-runner-app-7d9f-abcde restarted 3 times in the last 24h, last killed for memory/,
        ),
        remedy(/runnerSize/),
      ),
    },
    {
      name: 'other restarts name the last reason',
      facts: facts({
        azureLogs: azure({
          sinceMs: 90 * 60_000,
          restarts: [
            { pod: 'matillion/a', restarts: 1, total: 1, lastReason: 'Error' },
            { pod: 'matillion/b', restarts: 0, total: 0 },
          ],
        }),
      }),
      codes: ['restarted'],
      expect: message(/^matillion\/a restarted 1 times in the last 90m, last reason Error$/),
    },
  ],
});

export const tables = [signaturesTable, errorsTable, restartsTable];
