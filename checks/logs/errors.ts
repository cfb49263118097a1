import { listOf } from '../../src/domain/format.ts';
import {
  type CloudLogsResult,
  configuredStores,
  ENABLE_LOGS,
  FREQUENT_MIN,
  fmtSince,
  storeLabel,
  storeTarget,
} from '../../src/domain/log-signatures.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

/** Frequent unknown signatures reported one by one; the rest are summed up in one result. */
const MAX_SHOWN = 5;

const messages = {
  none: {
    status: 'pass',
    text: 'no error line that no known signature explains, in {{store}} over the last {{since}}',
  },
  frequent: {
    status: 'warn',
    text: '{{count}}× an error no known signature explains, in the last {{since}}, newest {{newest}} in {{pods}}: "{{example}}"',
    fix: "read the runner's log around {{newest}} (the pod, or the store's query in the JSON report's details); if it keeps repeating, send this line to the vendor's support",
  },
  rare: {
    status: 'info',
    text: '{{signatures}} other error signatures in {{store}} over the last {{since}}, {{lines}} lines in all (each fewer than {{min}} times, or beyond the first {{shown}})',
  },
  sampled: {
    status: 'info',
    text: 'counts come from the newest {{read}} of {{matched}} error lines in {{store}} (the most one query returns)',
  },
  'not-configured': { status: 'skip', text: `no log store to read: ${ENABLE_LOGS}` },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

function judgeStore(f: CloudLogsResult, { report }: JudgeContext<Id>): Finding<Id>[] {
  const target = storeTarget(f);
  const since = fmtSince(f.sinceMs);
  const store = storeLabel(f);
  const unknown = f.signatures.filter((s) => !s.known);
  const frequent = unknown.filter((s) => s.count >= FREQUENT_MIN).slice(0, MAX_SHOWN);
  const rest = unknown.filter((s) => !frequent.includes(s));
  const out: Finding<Id>[] = frequent.map((s) =>
    report(
      'frequent',
      {
        count: s.count,
        since,
        newest: s.newest || 'unknown time',
        pods: s.pods.length ? listOf(s.pods, 3) : 'unnamed pods',
        example: s.example,
      },
      {
        target,
        details: {
          signature: s.signature,
          count: s.count,
          newest: s.newest,
          pods: s.pods,
          example: s.example,
          query: f.query ?? null,
        },
      },
    ),
  );
  if (rest.length)
    out.push(
      report(
        'rare',
        {
          signatures: rest.length,
          store,
          since,
          lines: rest.reduce((n, s) => n + s.count, 0),
          min: FREQUENT_MIN,
          shown: MAX_SHOWN,
        },
        {
          target,
          details: { signatures: rest.map((s) => ({ signature: s.signature, count: s.count, example: s.example })) },
        },
      ),
    );
  if (f.sampled) out.push(report('sampled', { ...f.sampled, store }, { target }));
  if (frequent.length === 0 && rest.length === 0) out.push(report('none', { store, since }, { target }));
  return out;
}

export default defineCheck({
  id: 'logs.errors',
  title: "The runner's recent errors hold no frequent unknown failure",
  category: 'logs',
  scope: 'cluster',
  tags: ['azure', 'aws'],
  docs: {
    what: `The runner's error lines of the last --since that match no known signature (see logs.signatures), grouped by signature (times, ids, addresses and numbers set aside): each seen at least ${FREQUENT_MIN} times is reported with its count, the pods and its newest line (redacted, capped); the others are counted together.`,
    why: 'An error that repeats hundreds of times a day is worth reading even when the doctor cannot name it; one that appears twice rarely is.',
    fix: "Read the runner's log around the newest occurrence; if the error keeps repeating, send the line to the vendor's support.",
  },
  needs: ['azureLogs', 'cloudwatchLogs'],
  messages,
  judge({ azureLogs, cloudwatchLogs }, ctx) {
    const stores = configuredStores(azureLogs, cloudwatchLogs);
    if (stores.length === 0) return ctx.report('not-configured');
    return stores.flatMap((f) => judgeStore(f, ctx));
  },
});
