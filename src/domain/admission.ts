// What admission says when it refuses the runner's pods, read from the API server's own words (the
// ReplicaSet's FailedCreate event or ReplicaFailure condition): which Pod Security level and which fields,
// a forbidden sysctl, an exhausted quota, a missing ServiceAccount.

export interface Violation {
  /** `allowPrivilegeEscalation != false`, `unrestricted capabilities`, `forbidden sysctls (…)` … */
  what: string;
  /** What admission asks for: `must set securityContext.allowPrivilegeEscalation=false` … */
  asks: string[];
}

export interface PodSecurityRejection {
  level: string;
  version: string;
  violations: Violation[];
}

/** Splits at commas outside parentheses and quotes. */
function topLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '(') depth++;
    else if (!quoted && ch === ')') depth--;
    if (ch === ',' && depth === 0 && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** `violates PodSecurity "restricted:latest": a (…), b (…)` → the level and each violation with what it asks. */
export function podSecurityRejection(message: string): PodSecurityRejection | undefined {
  const m = message.match(/violates PodSecurity "([a-z]+):([^"]+)": (.*)$/s);
  if (!m) return undefined;
  const [, level = '', version = '', rest = ''] = m;
  const violations = topLevel(rest).map((v) => {
    const paren = v.indexOf('(');
    const what = (paren > 0 ? v.slice(0, paren) : v).trim();
    const asks = [...v.matchAll(/must (?:not )?set [^,)]+?(?= or |\)|,|$)/g)].map((x) => x[0].trim());
    // `forbidden sysctls (net.ipv4.tcp_keepalive_time)` names the value in parentheses, asking nothing.
    const named = paren > 0 && !asks.length ? v.slice(paren + 1, v.lastIndexOf(')')) : '';
    return { what: named ? `${what} (${named})` : what, asks };
  });
  return { level, version, violations };
}

export type CreateRefusal =
  | { kind: 'pod-security'; rejection: PodSecurityRejection }
  | { kind: 'sysctl'; sysctl: string }
  | { kind: 'quota'; detail: string }
  | { kind: 'service-account'; name: string }
  | { kind: 'other'; detail: string };

/** Why pods could not be created, from a FailedCreate message. */
export function createRefusal(message: string): CreateRefusal {
  const psa = podSecurityRejection(message);
  if (psa) {
    const sysctl = psa.violations.find((v) => /^forbidden sysctls/.test(v.what));
    if (sysctl && psa.violations.length === 1)
      return { kind: 'sysctl', sysctl: sysctl.what.match(/\(([^)]+)\)/)?.[1] ?? sysctl.what };
    return { kind: 'pod-security', rejection: psa };
  }
  const sysctl = message.match(
    /(?:forbidden )?sysctl[^"]*"([a-z0-9_.]+)"[^,]*not (?:allowed|allowlisted|whitelisted)|unsafe sysctl "?([a-z0-9_.]+)"?/i,
  );
  if (sysctl) return { kind: 'sysctl', sysctl: sysctl[1] ?? sysctl[2] ?? '' };
  if (/exceeded quota/i.test(message)) return { kind: 'quota', detail: message.replace(/^.*?exceeded quota: /i, '') };
  const sa = message.match(/serviceaccount "([^"]+)" not found/i);
  if (sa) return { kind: 'service-account', name: sa[1] ?? '' };
  return { kind: 'other', detail: message };
}
