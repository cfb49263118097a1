import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'security.no-new-privileges',
  title: 'Privilege escalation is disabled (no_new_privs)',
  category: 'security',
  scope: 'pod',
  tags: ['hardening'],
  docs: {
    what: 'Reads NoNewPrivs from /proc/self/status.',
    why: 'The guides promise allowPrivilegeEscalation: false; the chart renders an empty securityContext. Note that RESTRICTED script mode relies on sudo, which no_new_privs disables.',
    fix: 'Set `securityContext.allowPrivilegeEscalation: false` on the runner container (not compatible with RESTRICTED script mode).',
  },
  needs: ['identity', 'runtimes'],
  messages: {
    set: { status: 'pass', text: 'no_new_privs is set (allowPrivilegeEscalation: false)' },
    'escalation-allowed': {
      status: 'warn',
      text: 'privilege escalation is allowed (no_new_privs not set); the guides promise allowPrivilegeEscalation: false',
    },
    'breaks-restricted-mode': {
      status: 'warn',
      text: 'no_new_privs is set, but sudo is present for RESTRICTED script mode: sudo cannot gain privileges, so that mode will fail',
      fix: 'choose one: keep allowPrivilegeEscalation: false and do not use RESTRICTED script mode, or allow privilege escalation on the runner container so sudo can switch to restricteduser',
    },
    unknown: { status: 'info', text: 'could not read NoNewPrivs' },
  },
  judge({ identity, runtimes }, { report }) {
    const nnp = identity.noNewPrivs;
    if (nnp === null) return report('unknown');
    if (!nnp) return report('escalation-allowed', {}, { details: { noNewPrivs: false } });
    const restrictedMode = runtimes.sudo && runtimes.restrictedUser === true;
    return report(restrictedMode ? 'breaks-restricted-mode' : 'set', {}, { details: { noNewPrivs: true } });
  },
});
