import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'runtime.python.file',
  title: 'python3 runs a script file',
  category: 'runtime',
  scope: 'pod',
  tags: ['security-agent'],
  docs: {
    what: 'Writes a one-line script to /tmp and runs `python3 <file>`, the way Python Script components run.',
    why: 'A runtime security agent (CrowdStrike Falcon drift prevention and similar) kills interpreters that execute files written after the container started: exit 137 on the file run while inline Python works is its signature.',
    fix: 'Create an exclusion in the security agent for the runner image (or its /tmp), e.g. a Falcon sensor-visibility / drift-prevention exclusion for the runner namespace.',
  },
  needs: ['runtimes'],
  requires: ['runtime.python.present'],
  messages: {
    ran: { status: 'pass', text: 'python3 ran a script file from {{dir}}' },
    'not-run': {
      status: 'fail',
      text: 'the probe did not run python3 on a file',
      fix: 'run `python3 /tmp/x.py` in the runner container by hand to see why',
    },
    unwritable: {
      status: 'fail',
      text: 'could not write a script file to /tmp to run it',
      fix: 'make /tmp writable (the chart mounts an emptyDir there); see filesystem.tmp.writable',
    },
    'security-agent-kill': {
      status: 'fail',
      text: 'python3 was killed (exit 137) running a script file while inline python3 -c works: a runtime security agent is blocking file execution',
      fix: 'a runtime security agent (e.g. CrowdStrike Falcon drift prevention) kills interpreters that run newly written files; add an exclusion for the runner image / namespace, then re-run runner-doctor. The security.agents check names the DaemonSet on the runner nodes.',
    },
    killed: {
      status: 'fail',
      text: 'python3 was killed (exit 137) running a script file; inline python3 failed too, so memory pressure (OOM) is as likely as a security agent',
      fix: 'check resources.oom-kills and the memory limit, then the security agents on the node (security.agents)',
    },
    'permission-denied': {
      status: 'warn',
      text: 'python3 could not execute the script file (exit 126: permission denied)',
      fix: 'mount /tmp without noexec and check the file permissions (filesystem.tmp.exec)',
    },
    failed: {
      status: 'fail',
      text: 'python3 <file> exited with {{rc}}{{output}}',
      fix: 'run `python3 /tmp/x.py` in the runner container and fix what it prints',
    },
  },
  judge({ runtimes }, { report }) {
    const { python } = runtimes;
    const file = python.file;
    if (!file) return report('not-run');
    if (file.rc === 'unwritable') return report('unwritable');
    if (file.rc === 0 && file.out.includes('rd-file-ok')) return report('ran', { dir: file.dir ?? '/tmp' });
    const inlineOk = python.inline?.rc === 0;
    if (file.rc === 137 && inlineOk)
      return report('security-agent-kill', {}, { details: { exitCode: 137, inlineExitCode: 0 } });
    if (file.rc === 137) return report('killed', {}, { details: { exitCode: 137 } });
    if (file.rc === 126) return report('permission-denied', {}, { details: { exitCode: 126 } });
    return report(
      'failed',
      { rc: file.rc ?? 'an unknown code', output: file.out ? `: ${file.out.slice(0, 200)}` : '' },
      { details: { exitCode: file.rc } },
    );
  },
});
