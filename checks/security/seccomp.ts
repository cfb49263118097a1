import { defineCheck } from '../../src/engine/define.ts';

const MODES = { 0: 'disabled', 1: 'strict', 2: 'filter' } as const;

export default defineCheck({
  id: 'security.seccomp',
  title: 'A seccomp profile is applied (guides promise RuntimeDefault)',
  category: 'security',
  scope: 'pod',
  tags: ['hardening'],
  docs: {
    what: 'Reads the Seccomp mode from /proc/self/status (0 disabled, 1 strict, 2 filter).',
    why: 'The guides promise seccompProfile RuntimeDefault; without one, the runner can make every syscall, which restricted Pod Security rejects.',
    fix: 'Set `securityContext.seccompProfile.type: RuntimeDefault` on the runner pod or container.',
  },
  needs: ['identity'],
  messages: {
    applied: { status: 'pass', text: 'seccomp mode {{mode}}' },
    disabled: { status: 'warn', text: 'seccomp is disabled (Unconfined); the guides promise RuntimeDefault' },
    unknown: { status: 'info', text: 'could not read the seccomp mode' },
  },
  judge({ identity }, { report }) {
    const mode = identity.seccomp;
    if (mode === null) return report('unknown');
    const details = { seccomp: MODES[mode] };
    if (mode === 0) return report('disabled', {}, { details });
    return report('applied', { mode: MODES[mode] }, { details });
  },
});
