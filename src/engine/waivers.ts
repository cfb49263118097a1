// Waivers from the config file. A waiver names a check (`security.non-root`, a prefix `security.*`) or
// one finding code (`runtime.python.file/security-agent-kill`), optionally for matching targets only,
// until its expiry date passes. A check-level waiver skips the check without running it; a code-level
// waiver runs the check and turns just the matching findings into `skip (waived)`.

export interface Waiver {
  /** A check id, an id prefix ending in `*`, or a finding code `<checkId>/<messageId>`. */
  check: string;
  reason: string;
  /** YYYY-MM-DD, inclusive (the waiver holds through that day, UTC). */
  expires?: string;
  /** Limits the waiver to matching targets (`*` wildcards), e.g. `matillion/matillion-runner-app-*`. */
  target?: string;
  /** Where it was declared, for messages. */
  line?: number;
}

export interface WaiverMatch {
  waiver: Waiver;
  active: boolean;
}

const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

/** Whether the waiver names a finding code rather than a whole check. */
export const isCodeWaiver = (w: Waiver): boolean => w.check.includes('/');

/** `subject` is a check id (for check-level waivers) or a finding code (for code-level ones). */
export function waiverMatches(w: Waiver, subject: string, target: string): boolean {
  return glob(w.check).test(subject) && (w.target === undefined || glob(w.target).test(target));
}

export function isExpired(w: Waiver, now: number): boolean {
  if (!w.expires) return false;
  return now >= Date.parse(`${w.expires}T00:00:00Z`) + 86_400_000;
}

/** The first waiver of the given level that matches; an expired one is reported as found but not active. */
export function findWaiver(
  waivers: readonly Waiver[],
  subject: string,
  target: string,
  now: number,
  level: 'check' | 'code',
): WaiverMatch | undefined {
  let expired: Waiver | undefined;
  for (const w of waivers) {
    if (isCodeWaiver(w) !== (level === 'code') || !waiverMatches(w, subject, target)) continue;
    if (!isExpired(w, now)) return { waiver: w, active: true };
    expired ??= w;
  }
  return expired ? { waiver: expired, active: false } : undefined;
}
