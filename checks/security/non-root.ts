import { defineCheck, info, pass, warn } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'security.non-root',
  title: 'Runs as a non-root user (guides promise UID 65534)',
  category: 'security',
  scope: 'pod',
  severity: 'warn',
  tags: ['hardening'],
  docs: {
    what: 'Reads the effective UID and GID from /proc/self/status.',
    why: 'The guides promise the runner runs as UID 65534 (non-root); the chart does not set runAsUser, so the image\'s user decides.',
    fix: 'Set `securityContext.runAsNonRoot: true` and `runAsUser: 65534` on the runner container.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const { identity: id } = await fact('probe');
    const details = { uid: id.uid, gid: id.gid, user: id.user };
    if (id.uid === null) return info('could not read the effective UID', { details });
    const who = `uid ${id.uid}${id.user ? ` (${id.user})` : ''}, gid ${id.gid}`;
    if (id.uid === 0) return warn(`runs as root (${who}); the guides promise UID 65534`, { details });
    return pass(`runs as non-root ${who}${id.uid === 65534 ? ', as the guides promise' : ''}`, { details });
  },
});
