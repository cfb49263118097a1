import { defineCheck, fail, pass } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'runtime.python.inline',
  title: 'python3 -c runs',
  category: 'runtime',
  scope: 'pod',
  severity: 'fail',
  docs: {
    what: 'Runs `python3 -c` with a one-line program and checks its exit code and output.',
    why: 'If even inline Python fails, the interpreter is broken (missing libraries, wrong architecture, seccomp denial).',
    fix: 'Run `python3 -c "print(1)"` in the runner pod and fix what it prints; use the vendor image unmodified.',
  },
  needs: ['probe'],
  requires: ['runtime.python.present'],
  async run({ fact }) {
    const { python } = await fact('probe');
    const inline = python.inline;
    if (!inline) return fail('python3 -c was not run by the probe');
    if (inline.rc === 0 && inline.out.includes('rd-inline-ok')) return pass('python3 -c ran and printed the expected output');
    return fail(`python3 -c exited with ${inline.rc ?? 'an unknown code'}${inline.out ? `: ${inline.out.slice(0, 200)}` : ''}`, {
      details: { exitCode: inline.rc },
      remediation: 'run `python3 -c "print(1)"` in the runner container and fix what it reports (exit 137: killed by a security agent or the OOM killer; 159: seccomp)',
    });
  },
});
