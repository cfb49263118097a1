import { defineCheck } from '../../src/engine/define.ts';

/** The UID the guides promise (nobody). */
const PROMISED_UID = 65534;

export default defineCheck({
  id: 'security.non-root',
  title: 'Runs as a non-root user (guides promise UID 65534)',
  category: 'security',
  scope: 'pod',
  tags: ['hardening'],
  docs: {
    what: 'Reads the effective UID and GID from /proc/self/status.',
    why: "The guides promise the runner runs as UID 65534 (non-root); the chart does not set runAsUser, so the image's user decides.",
    fix: 'Set `securityContext.runAsNonRoot: true` and `runAsUser: 65534` on the runner container.',
  },
  needs: ['identity'],
  messages: {
    'promised-uid': { status: 'pass', text: 'runs as non-root {{who}}, as the guides promise' },
    'non-root': { status: 'pass', text: 'runs as non-root {{who}}' },
    root: { status: 'warn', text: 'runs as root ({{who}}); the guides promise UID 65534' },
    unknown: { status: 'info', text: 'could not read the effective UID' },
  },
  judge({ identity }, { report }) {
    const { uid, gid, user } = identity;
    const details = { uid, gid, user };
    if (uid === null) return report('unknown', {}, { details });
    const who = `uid ${uid}${user ? ` (${user})` : ''}, gid ${gid ?? 'unknown'}`;
    if (uid === 0) return report('root', { who }, { details });
    return report(uid === PROMISED_UID ? 'promised-uid' : 'non-root', { who }, { details });
  },
});
