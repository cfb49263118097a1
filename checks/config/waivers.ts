import { defineCheck } from '../../src/engine/define.ts';
import { isExpired } from '../../src/engine/waivers.ts';

export default defineCheck({
  id: 'config.waivers',
  title: 'Waivers in the config file are current',
  category: 'config',
  scope: 'run',
  docs: {
    what: 'Lists waivers from the config file whose expiry date has passed.',
    why: 'An expired waiver is ignored (its check runs again); this says so, so nobody is surprised by a newly failing gate.',
    fix: 'Fix what the waiver covered, or renew the waiver with a new `expires` date and reason.',
  },
  needs: ['config', 'now'],
  messages: {
    current: { status: 'pass', text: '{{count}} waiver(s) in {{file}} are current' },
    expired: {
      status: 'warn',
      text: 'waiver for {{check}}{{target}} expired on {{expires}}; it is ignored and the check ran normally',
      fix: '{{where}}: fix what it waived, or renew it with a new expires date',
    },
    none: { status: 'skip', text: 'no waivers configured' },
  },
  judge({ config, now }, { report }) {
    const { waivers, path } = config;
    if (waivers.length === 0) return report('none');
    const expired = waivers.filter((w) => isExpired(w, now));
    if (expired.length === 0) return report('current', { count: waivers.length, file: path ?? 'the config' });
    return expired.map((w) =>
      report(
        'expired',
        {
          check: w.check,
          target: w.target ? ` (${w.target})` : '',
          expires: w.expires ?? 'an unknown date',
          where: `${path ?? 'config'}${w.line ? `:${w.line}` : ''}`,
        },
        { details: { check: w.check, expires: w.expires, reason: w.reason, line: w.line } },
      ),
    );
  },
});
