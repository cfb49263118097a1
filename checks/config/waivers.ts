import { defineCheck, pass, skip, warn } from '../../src/engine/define.ts';
import { isExpired } from '../../src/engine/waivers.ts';

export default defineCheck({
  id: 'config.waivers',
  title: 'Waivers in the config file are current',
  category: 'config',
  scope: 'local',
  severity: 'warn',
  docs: {
    what: 'Lists waivers from the config file whose expiry date has passed.',
    why: 'An expired waiver is ignored (its check runs again); this says so, so nobody is surprised by a newly failing gate.',
    fix: 'Fix what the waiver covered, or renew the waiver with a new `expires` date and reason.',
  },
  needs: ['config'],
  async run({ fact }) {
    const { waivers, now, path } = await fact('config');
    if (waivers.length === 0) return skip('not applicable: no waivers configured');
    const expired = waivers.filter((w) => isExpired(w, now));
    if (expired.length === 0) return pass(`${waivers.length} waiver(s) in ${path ?? 'the config'} are current`);
    return expired.map((w) =>
      warn(`waiver for ${w.check}${w.target ? ` (${w.target})` : ''} expired on ${w.expires}; it is ignored and the check ran normally`, {
        details: { check: w.check, expires: w.expires, reason: w.reason, line: w.line },
        remediation: `${path ?? 'config'}${w.line ? `:${w.line}` : ''}: fix what it waived, or renew it with a new expires date`,
      }),
    );
  },
});
