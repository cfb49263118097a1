import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'runtime.restricted-mode',
  title: 'RESTRICTED script mode prerequisites (sudo, restricteduser)',
  category: 'runtime',
  scope: 'pod',
  docs: {
    what: 'Looks for /usr/bin/sudo and a `restricteduser` user and group.',
    why: 'RESTRICTED script mode runs Python and Bash scripts as `restricteduser` through sudo; without both, that mode cannot work.',
    fix: 'Use the vendor runner image (it has both), or add sudo and the restricteduser user/group to a custom image.',
  },
  needs: ['runtimes'],
  messages: {
    ready: {
      status: 'pass',
      text: 'sudo and the restricteduser user and group are present: RESTRICTED script mode can run',
    },
    unavailable: {
      status: 'info',
      text: 'no sudo and no restricteduser: RESTRICTED script mode is unavailable (the default mode is unaffected)',
    },
    incomplete: { status: 'warn', text: 'RESTRICTED script mode is half set up: missing {{missing}}' },
  },
  judge({ runtimes }, { report }) {
    const have = {
      sudo: runtimes.sudo,
      user: runtimes.restrictedUser === true,
      group: runtimes.restrictedGroup === true,
    };
    const missing = [
      ...(have.sudo ? [] : ['/usr/bin/sudo']),
      ...(have.user ? [] : ['restricteduser user']),
      ...(have.group ? [] : ['restricteduser group']),
    ];
    if (missing.length === 0) return report('ready', {}, { details: have });
    if (missing.length === 3) return report('unavailable', {}, { details: have });
    return report('incomplete', { missing: missing.join(', ') }, { details: have });
  },
});
