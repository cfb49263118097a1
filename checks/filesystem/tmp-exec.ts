import { defineCheck, fail, pass } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'filesystem.tmp.exec',
  title: '/tmp is not mounted noexec',
  category: 'filesystem',
  scope: 'pod',
  severity: 'fail',
  docs: {
    what: 'Reads the mount options of the filesystem holding /tmp and tries to execute a small script there.',
    why: 'Bash Script components and some drivers execute files from /tmp; a noexec mount makes them fail with "permission denied".',
    fix: 'Mount /tmp without noexec (an emptyDir has no noexec), or remove a node/image-level noexec hardening for the runner.',
  },
  needs: ['probe'],
  requires: ['filesystem.tmp.writable'],
  async run({ fact }) {
    const { fs } = await fact('probe');
    const tmp = fs.paths['/tmp'];
    const noexecMount = tmp?.mount?.options.includes('noexec') ?? false;
    const denied = fs.tmpExecRc === 126;
    if (noexecMount || denied) {
      return fail(`/tmp is noexec${noexecMount ? ` (mount ${tmp?.mount?.mountPoint} has option noexec)` : ''}${denied ? '; a script there could not be executed (exit 126)' : ''}`, {
        details: { mount: tmp?.mount?.mountPoint, options: tmp?.mount?.options, execExitCode: fs.tmpExecRc },
        remediation: 'mount /tmp without noexec: use the chart\'s emptyDir volume for /tmp, and remove noexec from any node or image hardening that applies to it',
      });
    }
    return pass(`/tmp allows execution${fs.tmpExecRc === 0 ? ' (a test script ran)' : ''}`, { details: { mount: tmp?.mount?.mountPoint } });
  },
});
