import { defineCheck } from '../../src/engine/define.ts';

/** The shell's exit code for "found but not executable". */
const EXEC_DENIED = 126;

export default defineCheck({
  id: 'filesystem.tmp.exec',
  title: '/tmp is not mounted noexec',
  category: 'filesystem',
  scope: 'pod',
  docs: {
    what: 'Reads the mount options of the filesystem holding /tmp and tries to execute a small script there.',
    why: 'Bash Script components and some drivers execute files from /tmp; a noexec mount makes them fail with "permission denied".',
    fix: 'Mount /tmp without noexec (an emptyDir has no noexec), or remove a node/image-level noexec hardening for the runner.',
  },
  needs: ['filesystem'],
  requires: ['filesystem.tmp.writable'],
  messages: {
    executable: { status: 'pass', text: '/tmp allows execution{{ran}}' },
    noexec: {
      status: 'fail',
      text: '/tmp is noexec{{mountNote}}{{execNote}}',
      fix: "mount /tmp without noexec: use the chart's emptyDir volume for /tmp, and remove noexec from any node or image hardening that applies to it",
    },
  },
  judge({ filesystem }, { report }) {
    const mount = filesystem.paths['/tmp']?.mount;
    const noexecMount = mount?.options.includes('noexec') ?? false;
    const denied = filesystem.tmpExecRc === EXEC_DENIED;
    if (noexecMount || denied) {
      return report(
        'noexec',
        {
          mountNote: noexecMount ? ` (mount ${mount?.mountPoint ?? '/tmp'} has option noexec)` : '',
          execNote: denied ? '; a script there could not be executed (exit 126)' : '',
        },
        { details: { mount: mount?.mountPoint, options: mount?.options, execExitCode: filesystem.tmpExecRc } },
      );
    }
    return report(
      'executable',
      { ran: filesystem.tmpExecRc === 0 ? ' (a test script ran)' : '' },
      { details: { mount: mount?.mountPoint } },
    );
  },
});
