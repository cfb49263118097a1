// Grouping is presentation: the report keeps every result, and this pure module decides, from finding
// codes and details alone, which results read as one line or one cause.
// - Causes (for "What to fix", the JSON `groups`, markdown): every warn/fail/error result is in exactly one.
//   Egress failures that share a stage and class and the same vantage points are one cause listing the
//   endpoints once, with the network.egress-paths conclusions for those endpoints; `error-forbidden`
//   results that name one RBAC rule are one cause naming the checks it blocked; other errors that say the
//   same thing (a deadline, a probe that could not run) are one cause; any other finding is one cause per
//   code and fix, across targets. Ordered by impact: no runner pods, then identity and credentials, then
//   egress, then the rest; failures first, then what could not be judged, then warnings.
// - Rows (the results section): one per check, with the count of targets when they agree, the differing
//   results listed under it when they do not.
import type { Report } from '../src/engine/report.ts';
import type { CheckResult, Status } from '../src/engine/types.ts';
import { egressCausePhrase } from '../src/domain/egress-causes.ts';
import { findingKey, newKeys } from '../src/engine/baseline.ts';

export type CauseKind = 'egress' | 'forbidden' | 'error' | 'finding';

export interface Cause {
  /** Stable within a report: kind and the key the members share. */
  id: string;
  kind: CauseKind;
  status: 'fail' | 'error' | 'warn';
  /** One line: what is wrong. */
  title: string;
  /** What the members are about, listed once: endpoints (egress), blocked checks (forbidden, error). */
  subjects: string[];
  /** Where: vantage points (egress) or targets, as the report names them. */
  targets: string[];
  /** For egress: the conclusion network.egress-paths drew for these endpoints. */
  conclusion?: string;
  fix?: { text: string; command?: string; url?: string };
  /** `runner-doctor explain <code>`: always there, whatever the docs field says. */
  explain: string;
  codes: { code: string; count: number }[];
  checks: string[];
  /** Indexes into `report.results`. */
  results: number[];
  /** Distinct member messages (more than one when targets differ in detail). */
  messages: string[];
  /** Some member is not in the baseline (only when a baseline was given). */
  isNew?: boolean;
}

const WORST: Status[] = ['fail', 'error', 'warn', 'info', 'pass', 'skip'];
export const worstOf = (ss: readonly Status[]): Status => WORST.find((s) => ss.includes(s)) ?? 'skip';

/** `runner-doctor explain <code>`; engine outcomes (error-*, skip-*) are explained by their check. */
export function explainCommand(code: string): string {
  const [checkId = code, messageId = ''] = code.split('/');
  const engine = messageId.startsWith('error-') || messageId.startsWith('skip-');
  return `runner-doctor explain ${engine || !messageId ? checkId : code}`;
}

/** A docs link only where one exists: an http(s) URL (docs/checks.md anchors are what `explain` prints). */
export function docsUrlOf(docs: string | undefined): string | undefined {
  return docs && /^https?:\/\//.test(docs) ? docs : undefined;
}

/** `matillion/pod` → `pod` when the report is about namespace `matillion`. */
export function shortTarget(report: Pick<Report, 'target'>, t: string): string {
  const ns = report.target.namespace;
  return ns ? t.split(`${ns}/`).join('') : t;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/**
 * A message with its target (and a pod's short name) replaced, so per-pod messages compare equal. The
 * cluster is not a name that varies: a message saying "in the cluster" stays as it is.
 */
export function normalized(text: string, target: string): string {
  if (target === 'cluster') return text;
  const names = [target, target.includes('/') ? target.slice(target.lastIndexOf('/') + 1) : ''].filter(
    (n) => n.length > 2,
  );
  return names.reduce((s, n) => s.replace(new RegExp(`(?<![\\w.-])${escapeRe(n)}(?![\\w-])`, 'g'), '{target}'), text);
}

const ARROW = ' → ';
/** An egress result's vantage point (`doctor`, `local`, the pod) and endpoint, from its target. */
export function egressParts(r: CheckResult): { from: string; endpoint: string } {
  const at = r.target.indexOf(ARROW);
  return at < 0
    ? { from: r.target, endpoint: '' }
    : { from: r.target.slice(0, at), endpoint: r.target.slice(at + ARROW.length) };
}

const isEgressFailure = (r: CheckResult) =>
  r.checkId === 'network.egress' && (r.status === 'fail' || r.status === 'warn') && r.target.includes(ARROW);
const messageIdOf = (code: string) => code.slice(code.indexOf('/') + 1);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "the doctor or any runner pod", "2 of 3 runner pods", "the doctor" … */
function vantagePhrase(from: readonly string[], allPods: readonly string[]): string {
  const doctor = from.includes('doctor');
  const local = from.includes('local');
  const pods = from.filter((f) => f !== 'doctor' && f !== 'local');
  const podPart =
    pods.length === 0
      ? ''
      : pods.length === allPods.length
        ? allPods.length === 1
          ? 'the runner pod'
          : 'any runner pod'
        : `${pods.length} of ${allPods.length} runner pods`;
  const own = [doctor ? 'the doctor' : '', local ? 'this host' : ''].filter(Boolean).join(' and ');
  if (own && podPart) return `${own} or ${podPart}`;
  return own || podPart || 'anywhere';
}

interface Draft {
  id: string;
  kind: CauseKind;
  members: number[];
  paths?: number[];
}

const STATUS_TIER: Record<string, number> = { fail: 0, error: 1, warn: 2 };
/** What stops the runner first: no pods, then its identity, then its egress, then the rest. */
function impactOf(checks: readonly string[]): number {
  if (checks.includes('workload.runner-pods')) return 0;
  if (checks.some((c) => c.startsWith('identity.') || c.startsWith('credentials.'))) return 1;
  if (checks.some((c) => c.startsWith('network.'))) return 2;
  return 3;
}

export function causes(report: Pick<Report, 'results' | 'target' | 'baseline'>): Cause[] {
  const rs = report.results;
  const drafts = new Map<string, Draft>();
  const add = (key: string, kind: CauseKind, i: number) => {
    const d = drafts.get(key) ?? { id: key, kind, members: [] };
    d.members.push(i);
    drafts.set(key, d);
  };

  // Egress: the vantage points each (code, endpoint) failed from decide which cause it belongs to.
  const egressFrom = new Map<string, string[]>();
  const allVantages = new Set<string>();
  for (const r of rs) {
    if (r.checkId !== 'network.egress' || !r.target.includes(ARROW)) continue;
    const { from, endpoint } = egressParts(r);
    allVantages.add(from);
    if (!isEgressFailure(r)) continue;
    const k = `${r.code}\u0000${endpoint}`;
    egressFrom.set(k, [...(egressFrom.get(k) ?? []), from]);
  }
  const endpointCause = new Map<string, Set<string>>();
  rs.forEach((r, i) => {
    if (!(r.status === 'warn' || r.status === 'fail' || r.status === 'error')) return;
    if (isEgressFailure(r)) {
      const { endpoint } = egressParts(r);
      const from = [...new Set(egressFrom.get(`${r.code}\u0000${endpoint}`) ?? [])].sort();
      const key = `egress:${r.code}:${from.join('+')}`;
      add(key, 'egress', i);
      endpointCause.set(endpoint, (endpointCause.get(endpoint) ?? new Set()).add(key));
      return;
    }
    if (r.checkId === 'network.egress-paths' && r.status !== 'error') return; // placed below
    const rule = r.details?.rule;
    if (r.status === 'error' && r.details?.reason === 'forbidden' && rule) {
      add(`forbidden:${JSON.stringify(rule)}:${normalized(r.message, r.target)}`, 'forbidden', i);
      return;
    }
    if (r.status === 'error') {
      add(`error:${String(r.details?.reason ?? '')}:${normalized(r.message, r.target)}`, 'error', i);
      return;
    }
    const fix = r.remediation ? `${normalized(r.remediation.text, r.target)}\u0000${r.remediation.command ?? ''}` : '';
    add(`finding:${r.code}:${fix}`, 'finding', i);
  });
  // A path conclusion joins the egress cause of its endpoint when that endpoint has exactly one.
  rs.forEach((r, i) => {
    if (r.checkId !== 'network.egress-paths' || !(r.status === 'warn' || r.status === 'fail')) return;
    const endpoint = typeof r.details?.endpoint === 'string' ? r.details.endpoint : r.target;
    const only = [...(endpointCause.get(endpoint) ?? [])];
    const home = only.length === 1 && only[0] ? drafts.get(only[0]) : undefined;
    if (home) home.paths = [...(home.paths ?? []), i];
    else add(`finding:${r.code}:${r.remediation ? r.remediation.text : ''}`, 'finding', i);
  });

  const pods = [...allVantages].filter((v) => v !== 'doctor' && v !== 'local');
  const fresh = report.baseline ? newKeys(report.baseline) : undefined;
  const built = [...drafts.values()].map((d) => build(d, rs, pods, fresh));
  const first = (c: Cause) => Math.min(...c.results);
  return built.sort(
    (a, b) =>
      (STATUS_TIER[a.status] ?? 3) - (STATUS_TIER[b.status] ?? 3) ||
      impactOf(a.checks) - impactOf(b.checks) ||
      first(a) - first(b),
  );
}

function countCodes(members: readonly CheckResult[]): { code: string; count: number }[] {
  const m = new Map<string, number>();
  for (const r of members) m.set(r.code, (m.get(r.code) ?? 0) + 1);
  return [...m].map(([code, count]) => ({ code, count }));
}

function build(
  d: Draft,
  rs: readonly CheckResult[],
  allPods: readonly string[],
  fresh: ReadonlySet<string> | undefined,
): Cause {
  const members = d.members.map((i) => rs[i]).filter((r): r is CheckResult => r !== undefined);
  const paths = (d.paths ?? []).map((i) => rs[i]).filter((r): r is CheckResult => r !== undefined);
  const all = [...members, ...paths];
  const head = members[0];
  if (!head) throw new Error(`cause ${d.id} has no member`);
  const status = worstOf(all.map((r) => r.status));
  const checks = [...new Set(all.map((r) => r.checkId))];
  const messages = [...new Set(members.map((r) => r.message))];
  const base = {
    id: d.id,
    kind: d.kind,
    status: status === 'fail' || status === 'error' ? status : ('warn' as const),
    explain: explainCommand(head.code),
    codes: countCodes(all),
    checks,
    results: [...d.members, ...(d.paths ?? [])].sort((a, b) => a - b),
    messages,
    ...(fresh ? { isNew: all.some((r) => fresh.has(findingKey(r))) } : {}),
  };
  const fixOf = (r: CheckResult, text = r.remediation?.text) =>
    r.remediation && text
      ? {
          text,
          ...(r.remediation.command ? { command: r.remediation.command } : {}),
          ...(docsUrlOf(r.remediation.docs) ? { url: docsUrlOf(r.remediation.docs) } : {}),
        }
      : undefined;
  const targets = [...new Set(members.map((r) => (d.kind === 'egress' ? egressParts(r).from : r.target)))];

  if (d.kind === 'egress') {
    const endpoints = [...new Set(members.map((r) => egressParts(r).endpoint))].sort();
    const from = [...new Set(members.map((r) => egressParts(r).from))].sort();
    const where = vantagePhrase(from, allPods);
    const stage = typeof head.details?.failedStage === 'string' ? head.details.failedStage : undefined;
    const phrase = egressCausePhrase(messageIdOf(head.code), stage);
    const title = `${plural(endpoints.length, 'endpoint')} ${endpoints.length === 1 ? phrase.one : phrase.many} from ${where} (${phrase.label})`;
    // The fix as a pod sees it (it names the runner's NetworkPolicy), said of all the endpoints and places.
    const model = members.find((r) => !['doctor', 'local'].includes(egressParts(r).from)) ?? head;
    const own = egressParts(model);
    let text = model.remediation?.text ?? '';
    if (own.from) text = text.split(own.from).join(where);
    const hostPort = typeof model.details?.endpoint === 'string' ? model.details.endpoint : '';
    if (endpoints.length > 1) {
      if (hostPort) text = text.split(hostPort).join('these endpoints');
      if (own.endpoint) text = text.split(own.endpoint).join('these endpoints');
    }
    const conclusion = paths[0]?.message.includes(ARROW)
      ? paths[0].message.split(ARROW).slice(1).join(ARROW)
      : undefined;
    const fix = fixOf(model, text);
    return {
      ...base,
      title,
      subjects: endpoints,
      targets: from,
      ...(conclusion ? { conclusion } : {}),
      ...(fix ? { fix } : {}),
    };
  }
  const fix = fixOf(head, head.remediation ? normalized(head.remediation.text, head.target) : undefined);
  const concrete = fix && members.length === 1 ? fixOf(head) : fix;
  if (d.kind === 'forbidden' || d.kind === 'error') {
    return {
      ...base,
      title:
        members.length === 1
          ? head.message
          : normalized(head.message, head.target).split('{target}').join('each target'),
      subjects: checks,
      targets,
      ...(concrete ? { fix: concrete } : {}),
    };
  }
  // One finding on several targets: the fix is said once; the targets are listed.
  const sameText = new Set(members.map((r) => normalized(r.message, r.target))).size === 1;
  const title = `${head.checkId}: ${members.length > 1 && sameText ? normalized(head.message, head.target).split('{target}').join('each') : head.message}`;
  return { ...base, title, subjects: [], targets, ...(concrete ? { fix: concrete } : {}) };
}

/** A pod target (`ns/name`, not doctor/cluster/local, no arrow). */
const isPodTarget = (r: CheckResult) => r.scope === 'pod' && r.target !== 'local';

/** "2/2 pods", "doctor + 2 pods", "9 endpoints × doctor + 2 pods", "3 targets", or '' for one result. */
export function whereLabel(rs: readonly CheckResult[], allPods: number, k = rs.length): string {
  if (rs.length <= 1 && !rs.some(isPodTarget)) return '';
  if (rs.every(isPodTarget)) return allPods > 1 || k !== allPods ? `${k}/${allPods} pods` : '1 pod';
  if (rs.every((r) => r.target.includes(ARROW))) {
    const from = new Set(rs.map((r) => egressParts(r).from));
    const endpoints = new Set(rs.map((r) => egressParts(r).endpoint));
    const pods = [...from].filter((f) => f !== 'doctor' && f !== 'local').length;
    const own = [...from].filter((f) => f === 'doctor' || f === 'local');
    const vantage = [...own, ...(pods ? [plural(pods, 'pod')] : [])].join(' + ');
    return `${plural(endpoints.size, 'endpoint')} × ${vantage}`;
  }
  if (rs.every((r) => r.details?.endpoint === r.target)) return plural(rs.length, 'endpoint');
  const targets = new Set(rs.map((r) => r.target));
  const pods = [...targets].filter((t) => t.includes('/') && !t.startsWith('namespace/')).length;
  const own = [...targets].filter((t) => t === 'doctor' || t === 'local' || t === 'cluster');
  if (own.length + pods === targets.size && pods)
    return [...own, pods === allPods && !own.length ? `${pods}/${allPods} pods` : plural(pods, 'pod')].join(' + ');
  return plural(targets.size, 'target');
}

export interface Variant {
  status: Status;
  code: string;
  message: string;
  targets: string[];
}

export interface Row {
  checkId: string;
  category: string;
  status: Status;
  text: string;
  /** `2/2 pods` … ('' for one result). */
  where: string;
  /** One outcome everywhere, but the messages differ in detail (the first is shown). */
  differ: boolean;
  /** Numbers (1-based) of the causes its findings belong to. */
  causes: number[];
  /** The results that differ, listed under the row. */
  variants: Variant[];
  /** Every result of the check (for --verbose). */
  results: CheckResult[];
}

/** "2 pods" when every target is a runner pod the report examined, else "3 targets". */
export function targetsLabel(report: Pick<Report, 'results'>, targets: readonly string[]): string {
  const pods = new Set(podsOf(report));
  return plural(targets.length, targets.every((t) => pods.has(t)) ? 'pod' : 'target');
}

/** The pods the report examined (from pod-scope results). */
export function podsOf(report: Pick<Report, 'results'>): string[] {
  return [...new Set(report.results.filter(isPodTarget).map((r) => r.target))];
}

export function rows(report: Pick<Report, 'results' | 'target' | 'baseline'>, found = causes(report)): Row[] {
  const pods = podsOf(report).length;
  const causeOf = new Map<number, number>();
  found.forEach((c, n) => {
    for (const i of c.results) causeOf.set(i, n + 1);
  });
  const byCheck = new Map<string, number[]>();
  for (const [i, r] of report.results.entries()) byCheck.set(r.checkId, [...(byCheck.get(r.checkId) ?? []), i]);
  const out: Row[] = [];
  for (const [checkId, idx] of byCheck) {
    const rs = idx.map((i) => report.results[i]).filter((r): r is CheckResult => r !== undefined);
    const head = rs[0];
    if (!head) continue;
    const variants: Variant[] = [];
    for (const r of rs) {
      const key = normalized(r.message, r.target);
      const v = variants.find((x) => x.code === r.code && normalized(x.message, x.targets[0] ?? '') === key);
      if (v) v.targets.push(r.target);
      else variants.push({ status: r.status, code: r.code, message: r.message, targets: [r.target] });
    }
    const status = worstOf(rs.map((r) => r.status));
    const causeNums = [...new Set(idx.flatMap((i) => causeOf.get(i) ?? []))].sort((a, b) => a - b);
    const oneCode = new Set(rs.map((r) => r.code)).size === 1;
    const single = causeNums.length === 1 ? found[(causeNums[0] ?? 1) - 1] : undefined;
    const allInOne = single !== undefined && idx.every((i) => causeOf.get(i) === causeNums[0]);
    let text: string;
    let differ = false;
    let listed: Variant[] = [];
    if (allInOne && single.kind === 'egress') {
      // Egress results read as their cause: "9 endpoints do not resolve from …".
      text = single.title;
    } else if (variants.length === 1) {
      text = head.message;
    } else if (oneCode) {
      // Same outcome everywhere, details differ (a path, an address, a timestamp): one line; -v shows each.
      text = head.message;
      differ = true;
    } else {
      text = WORST.filter((s) => rs.some((r) => r.status === s))
        .map((s) => `${rs.filter((r) => r.status === s).length} ${STATUS_WORD[s]}`)
        .join(', ');
      // Per-target differences are listed when there are few of them.
      listed = variants.length <= 4 ? variants : [];
    }
    out.push({
      checkId,
      category: head.category,
      status,
      text,
      where: whereLabel(rs, pods, rs.length),
      differ,
      causes: causeNums,
      variants: listed,
      results: rs,
    });
  }
  return out;
}

export const STATUS_WORD: Record<Status, string> = {
  pass: 'passed',
  info: 'info',
  warn: 'warned',
  fail: 'failed',
  error: 'could not judge',
  skip: 'skipped',
};

export interface Coverage {
  checks: number;
  judged: number;
  /** Checks with no judged result: every result an error. */
  couldNotRun: { checkId: string; reasons: string[] }[];
  /** Checks judged on some targets only. */
  partial: { checkId: string; errors: number; of: number }[];
  /** Checks whose every result is skip (not applicable, waived, blocked). */
  skipped: string[];
}

export function coverage(report: Pick<Report, 'results'>): Coverage {
  const by = new Map<string, CheckResult[]>();
  for (const r of report.results) by.set(r.checkId, [...(by.get(r.checkId) ?? []), r]);
  const out: Coverage = { checks: by.size, judged: 0, couldNotRun: [], partial: [], skipped: [] };
  for (const [checkId, rs] of by) {
    const errors = rs.filter((r) => r.status === 'error');
    if (rs.every((r) => r.status === 'skip')) out.skipped.push(checkId);
    else if (errors.length === rs.length)
      out.couldNotRun.push({ checkId, reasons: [...new Set(errors.map((r) => String(r.details?.reason ?? 'error')))] });
    else {
      out.judged++;
      if (errors.length) out.partial.push({ checkId, errors: errors.length, of: rs.length });
    }
  }
  return out;
}

/** "judged 46 of 48 checks; 2 could not run (forbidden): workload.secrets, …". */
export function coverageLine(cov: Coverage, max = 3): string {
  const parts = [`judged ${cov.judged} of ${cov.checks} checks`];
  if (cov.skipped.length) parts.push(`${cov.skipped.length} skipped`);
  if (cov.couldNotRun.length) {
    const names = cov.couldNotRun.slice(0, max).map((c) => c.checkId);
    const more = cov.couldNotRun.length > max ? `, … ${cov.couldNotRun.length - max} more` : '';
    const reasons = [...new Set(cov.couldNotRun.flatMap((c) => c.reasons))].join(', ');
    parts.push(`${cov.couldNotRun.length} could not run (${reasons}): ${names.join(', ')}${more}`);
  }
  if (cov.partial.length) {
    const names = cov.partial.slice(0, max).map((c) => `${c.checkId} (${c.errors} of ${c.of})`);
    const more = cov.partial.length > max ? `, … ${cov.partial.length - max} more` : '';
    parts.push(`${cov.partial.length} not judged everywhere: ${names.join(', ')}${more}`);
  }
  return parts.join('; ');
}

/** "2 failures, 1 could not judge and 3 warnings from 4 causes" or "no findings". */
export function causeCountLine(found: readonly Cause[]): string {
  if (!found.length) return 'no findings';
  const n = (s: Cause['status']) => found.filter((c) => c.status === s).length;
  const parts = [
    n('fail') ? plural(n('fail'), 'failure') : '',
    n('error') ? `${n('error')} could not judge` : '',
    n('warn') ? plural(n('warn'), 'warning') : '',
  ].filter(Boolean);
  return `${parts.join(', ')} (${plural(found.length, 'cause')})`;
}
