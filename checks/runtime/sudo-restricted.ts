import { defineCheck, info, pass, warn } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'runtime.restricted-mode',
  title: 'RESTRICTED script mode prerequisites (sudo, restricteduser)',
  category: 'runtime',
  scope: 'pod',
  severity: 'warn',
  docs: {
    what: 'Looks for /usr/bin/sudo and a `restricteduser` user and group.',
    why: 'RESTRICTED script mode runs Python and Bash scripts as `restricteduser` through sudo; without both, that mode cannot work.',
    fix: 'Use the vendor runner image (it has both), or add sudo and the restricteduser user/group to a custom image.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const p = await fact('probe');
    const have = { sudo: p.sudo, user: p.restrictedUser === true, group: p.restrictedGroup === true };
    const present = Object.values(have).filter(Boolean).length;
    if (present === 3) return pass('sudo and the restricteduser user and group are present: RESTRICTED script mode can run', { details: have });
    if (present === 0) return info('no sudo and no restricteduser: RESTRICTED script mode is unavailable (the default mode is unaffected)', { details: have });
    const missing = Object.entries(have).filter(([, v]) => !v).map(([k]) => (k === 'sudo' ? '/usr/bin/sudo' : `restricteduser ${k}`));
    return warn(`RESTRICTED script mode is half set up: missing ${missing.join(', ')}`, { details: have });
  },
});
