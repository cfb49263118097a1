import { defineCheck, info, pass, warn } from '../../src/engine/define.ts';

const MIN_NOFILE = 4096;
const MIN_NPROC = 1024;
const show = (n: number) => (n === Infinity ? 'unlimited' : String(n));

export default defineCheck({
  id: 'resources.ulimits',
  title: 'Open files and processes ulimits',
  category: 'resources',
  scope: 'pod',
  severity: 'warn',
  docs: {
    what: 'Reads the soft limits for open files (nofile) and processes (nproc) from /proc/self/limits.',
    why: 'Each task opens sockets, JDBC connections and files; a low nofile limit ends in "Too many open files", a low nproc in failed thread creation.',
    fix: 'Raise the container runtime\'s default ulimits on the nodes (containerd: LimitNOFILE in its systemd unit) to at least 4096 open files.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const { limits } = await fact('probe');
    if (!limits.nofile && !limits.nproc) return info('could not read /proc/self/limits');
    const details = { nofile: limits.nofile && { soft: show(limits.nofile.soft), hard: show(limits.nofile.hard) }, nproc: limits.nproc && { soft: show(limits.nproc.soft), hard: show(limits.nproc.hard) } };
    const low: string[] = [];
    if (limits.nofile && limits.nofile.soft < MIN_NOFILE) low.push(`open files ${show(limits.nofile.soft)} < ${MIN_NOFILE}`);
    if (limits.nproc && limits.nproc.soft < MIN_NPROC) low.push(`processes ${show(limits.nproc.soft)} < ${MIN_NPROC}`);
    if (low.length) return warn(`ulimits too low: ${low.join(', ')}`, { details });
    return pass(`open files ${show(limits.nofile?.soft ?? NaN)}, processes ${show(limits.nproc?.soft ?? NaN)}`, { details });
  },
});
