// Waivers from the config file: a check (optionally for one target) is not run and is reported as
// skipped with the waiver's reason, until the waiver's expiry date passes.

export interface Waiver {
  /** A check id, or a prefix ending in `*` (`security.*`). */
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

const glob = (pattern: string) => new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

export function waiverMatches(w: Waiver, checkId: string, target: string): boolean {
  return glob(w.check).test(checkId) && (w.target === undefined || glob(w.target).test(target));
}

export function isExpired(w: Waiver, now: Date): boolean {
  if (!w.expires) return false;
  return now.getTime() >= Date.parse(`${w.expires}T00:00:00Z`) + 86_400_000;
}

/** The first waiver that matches; an expired one is reported as found but not active. */
export function findWaiver(waivers: readonly Waiver[], checkId: string, target: string, now: Date): WaiverMatch | undefined {
  let expired: Waiver | undefined;
  for (const w of waivers) {
    if (!waiverMatches(w, checkId, target)) continue;
    if (!isExpired(w, now)) return { waiver: w, active: true };
    expired ??= w;
  }
  return expired ? { waiver: expired, active: false } : undefined;
}
