import { defineCheck } from '../../src/engine/define.ts';

export default defineCheck({
  id: 'security.preload',
  title: 'No libraries injected through /etc/ld.so.preload',
  category: 'security',
  scope: 'pod',
  tags: ['security-agent'],
  docs: {
    what: 'Reads /etc/ld.so.preload in the container.',
    why: 'Runtime security and APM agents inject themselves by preloading a library into every process; when scripts fail strangely, this is where to look.',
    fix: 'If the library belongs to a security or APM agent, exclude the runner image from its injection or test with it disabled.',
  },
  needs: ['runtimes'],
  messages: {
    none: { status: 'pass', text: 'no preloaded libraries' },
    preloaded: { status: 'warn', text: 'libraries preloaded into every process: {{libraries}}' },
  },
  judge({ runtimes }, { report }) {
    const { preload } = runtimes;
    if (preload.length) return report('preloaded', { libraries: preload.join(', ') }, { details: { preload } });
    return report('none');
  },
});
