import { defineCheck, info, pass } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'security.preload',
  title: 'No libraries injected through /etc/ld.so.preload',
  category: 'security',
  scope: 'pod',
  severity: 'warn',
  tags: ['security-agent'],
  docs: {
    what: 'Reads /etc/ld.so.preload in the container.',
    why: 'Runtime security and APM agents inject themselves by preloading a library into every process; when scripts fail strangely, this is where to look.',
    fix: 'If the library belongs to a security or APM agent, exclude the runner image from its injection or test with it disabled.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const { preload } = await fact('probe');
    if (preload.length) return info(`libraries preloaded into every process: ${preload.join(', ')}`, { details: { preload } });
    return pass('no preloaded libraries');
  },
});
