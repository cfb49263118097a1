import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'runtime.python.present',
  title: 'python3 is on PATH',
  category: 'runtime',
  scope: 'pod',
  docs: {
    what: 'Looks for python3 on PATH and reads its version.',
    why: 'Python Script components run python3 inside the runner; without it every such task fails.',
    fix: 'Use the vendor runner image unmodified (it ships python3), or add python3 to a custom image.',
  },
  needs: ['runtimes'],
  messages: {
    found: { status: 'pass', text: 'python3 {{version}} at {{path}}' },
    'too-old': { status: 'warn', text: 'python3 {{version}} at {{path}} is older than 3.9 (end of life)' },
    missing: {
      status: 'fail',
      text: 'python3 was not found on PATH',
      fix: 'use the vendor runner image, which ships python3; a custom image must install python3 and put it on PATH',
    },
  },
  judge({ runtimes }, { report }) {
    const { python } = runtimes;
    if (!python.path) return report('missing');
    const version = python.version ?? 'unknown version';
    const details = { path: python.path, version };
    const [major, minor] = (python.version ?? '').split('.').map(Number);
    const endOfLife = major === 3 && minor !== undefined && minor < 9;
    return report(endOfLife ? 'too-old' : 'found', { version, path: python.path }, { details });
  },
});
