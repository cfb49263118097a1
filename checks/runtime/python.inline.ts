import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'runtime.python.inline',
  title: 'python3 -c runs',
  category: 'runtime',
  scope: 'pod',
  docs: {
    what: 'Runs `python3 -c` with a one-line program and checks its exit code and output.',
    why: 'If even inline Python fails, the interpreter is broken (missing libraries, wrong architecture, seccomp denial).',
    fix: 'Run `python3 -c "print(1)"` in the runner pod and fix what it prints; use the vendor image unmodified.',
  },
  needs: ['runtimes'],
  requires: ['runtime.python.present'],
  messages: {
    ran: { status: 'pass', text: 'python3 -c ran and printed the expected output' },
    'not-run': { status: 'fail', text: 'python3 -c was not run by the probe' },
    failed: {
      status: 'fail',
      text: 'python3 -c exited with {{rc}}{{output}}',
      fix: 'run `python3 -c "print(1)"` in the runner container and fix what it reports (exit 137: killed by a security agent or the OOM killer; 159: seccomp)',
    },
  },
  judge({ runtimes }, { report }) {
    const inline = runtimes.python.inline;
    if (!inline) return report('not-run');
    if (inline.rc === 0 && inline.out.includes('rd-inline-ok')) return report('ran');
    const output = inline.out ? `: ${inline.out.slice(0, 200)}` : '';
    return report('failed', { rc: inline.rc ?? 'an unknown code', output }, { details: { exitCode: inline.rc } });
  },
});
