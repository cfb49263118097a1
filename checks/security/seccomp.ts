import { defineCheck, info, pass, warn } from '../../src/engine/define.ts';

const MODES = { 0: 'disabled', 1: 'strict', 2: 'filter' } as const;

export default defineCheck({
  id: 'security.seccomp',
  title: 'A seccomp profile is applied (guides promise RuntimeDefault)',
  category: 'security',
  scope: 'pod',
  severity: 'warn',
  tags: ['hardening'],
  docs: {
    what: 'Reads the Seccomp mode from /proc/self/status (0 disabled, 1 strict, 2 filter).',
    why: 'The guides promise seccompProfile RuntimeDefault; without one, the runner can make every syscall, which restricted Pod Security rejects.',
    fix: 'Set `securityContext.seccompProfile.type: RuntimeDefault` on the runner pod or container.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const mode = (await fact('probe')).identity.seccomp;
    if (mode === null) return info('could not read the seccomp mode');
    if (mode === 0) return warn('seccomp is disabled (Unconfined); the guides promise RuntimeDefault', { details: { seccomp: MODES[mode] } });
    return pass(`seccomp mode ${MODES[mode]}`, { details: { seccomp: MODES[mode] } });
  },
});
