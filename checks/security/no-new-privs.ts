import { defineCheck, info, pass, warn } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'security.no-new-privileges',
  title: 'Privilege escalation is disabled (no_new_privs)',
  category: 'security',
  scope: 'pod',
  severity: 'warn',
  tags: ['hardening'],
  docs: {
    what: 'Reads NoNewPrivs from /proc/self/status.',
    why: 'The guides promise allowPrivilegeEscalation: false; the chart renders an empty securityContext. Note that RESTRICTED script mode relies on sudo, which no_new_privs disables.',
    fix: 'Set `securityContext.allowPrivilegeEscalation: false` on the runner container (not compatible with RESTRICTED script mode).',
  },
  needs: ['probe'],
  async run({ fact }) {
    const p = await fact('probe');
    const nnp = p.identity.noNewPrivs;
    if (nnp === null) return info('could not read NoNewPrivs');
    if (nnp) {
      if (p.sudo && p.restrictedUser) return warn('no_new_privs is set, but sudo is present for RESTRICTED script mode: sudo cannot gain privileges, so that mode will fail', { details: { noNewPrivs: true } });
      return pass('no_new_privs is set (allowPrivilegeEscalation: false)', { details: { noNewPrivs: true } });
    }
    return warn('privilege escalation is allowed (no_new_privs not set); the guides promise allowPrivilegeEscalation: false', { details: { noNewPrivs: false } });
  },
});
