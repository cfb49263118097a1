import { defineCheck, fail, pass, warn } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'runtime.python.present',
  title: 'python3 is on PATH',
  category: 'runtime',
  scope: 'pod',
  severity: 'fail',
  docs: {
    what: 'Looks for python3 on PATH and reads its version.',
    why: 'Python Script components run python3 inside the runner; without it every such task fails.',
    fix: 'Use the vendor runner image unmodified (it ships python3), or add python3 to a custom image.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const { python } = await fact('probe');
    if (!python.path) return fail('python3 was not found on PATH', { remediation: 'use the vendor runner image, which ships python3; a custom image must install python3 and put it on PATH' });
    const version = python.version ?? 'unknown version';
    const [major, minor] = (python.version ?? '').split('.').map(Number);
    if (major === 3 && minor !== undefined && minor < 9) {
      return warn(`python3 ${version} at ${python.path} is older than 3.9 (end of life)`, { details: { path: python.path, version } });
    }
    return pass(`python3 ${version} at ${python.path}`, { details: { path: python.path, version } });
  },
});
