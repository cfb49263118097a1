import { defineCheck, fail, pass, warn } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'runtime.python.file',
  title: 'python3 runs a script file',
  category: 'runtime',
  scope: 'pod',
  severity: 'fail',
  tags: ['security-agent'],
  docs: {
    what: 'Writes a one-line script to /tmp and runs `python3 <file>`, the way Python Script components run.',
    why: 'A runtime security agent (CrowdStrike Falcon drift prevention and similar) kills interpreters that execute files written after the container started: exit 137 on the file run while inline Python works is its signature.',
    fix: 'Create an exclusion in the security agent for the runner image (or its /tmp), e.g. a Falcon sensor-visibility / drift-prevention exclusion for the runner namespace.',
  },
  needs: ['probe'],
  requires: ['runtime.python.present'],
  async run({ fact }) {
    const { python } = await fact('probe');
    const file = python.file;
    if (!file) return fail('the probe did not run python3 on a file');
    if (file.rc === 'unwritable') return fail('could not write a script file to /tmp to run it', { remediation: 'make /tmp writable (the chart mounts an emptyDir there); see filesystem.tmp.writable' });
    if (file.rc === 0 && file.out.includes('rd-file-ok')) return pass(`python3 ran a script file from ${file.dir ?? '/tmp'}`);
    const inlineOk = python.inline?.rc === 0;
    if (file.rc === 137 && inlineOk) {
      return fail('python3 was killed (exit 137) running a script file while inline python3 -c works: a runtime security agent is blocking file execution', {
        details: { exitCode: 137, inlineExitCode: 0, signature: 'security-agent-kill' },
        remediation: {
          text: 'a runtime security agent (e.g. CrowdStrike Falcon drift prevention) kills interpreters that run newly written files; add an exclusion for the runner image / namespace, then re-run runner-doctor. The security.agents check names the DaemonSet on the runner nodes.',
        },
      });
    }
    if (file.rc === 137) return fail('python3 was killed (exit 137) running a script file; inline python3 failed too, so memory pressure (OOM) is as likely as a security agent', { details: { exitCode: 137 } });
    if (file.rc === 126) return warn('python3 could not execute the script file (exit 126: permission denied)', { details: { exitCode: 126 } });
    return fail(`python3 <file> exited with ${file.rc ?? 'an unknown code'}${file.out ? `: ${file.out.slice(0, 200)}` : ''}`, { details: { exitCode: file.rc } });
  },
});
