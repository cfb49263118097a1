import { defineCheck } from '../../src/engine/define.ts';
import type { Limit } from '../../src/engine/facts.ts';

const MIN_NOFILE = 4096;
const MIN_NPROC = 1024;

const below = (limit: Limit | null, min: number): boolean => typeof limit?.soft === 'number' && limit.soft < min;
const show = (limit: Limit | null): string => (limit ? String(limit.soft) : 'unknown');

export default defineCheck({
  id: 'resources.ulimits',
  title: 'Open files and processes ulimits',
  category: 'resources',
  scope: 'pod',
  docs: {
    what: 'Reads the soft limits for open files (nofile) and processes (nproc) from /proc/self/limits.',
    why: 'Each task opens sockets, JDBC connections and files; a low nofile limit ends in "Too many open files", a low nproc in failed thread creation.',
    fix: "Raise the container runtime's default ulimits on the nodes (containerd: LimitNOFILE in its systemd unit) to at least 4096 open files.",
  },
  needs: ['kernel'],
  messages: {
    ok: { status: 'pass', text: 'open files {{nofile}}, processes {{nproc}}' },
    low: { status: 'warn', text: 'ulimits too low: {{low}}' },
    unknown: { status: 'info', text: 'could not read /proc/self/limits' },
  },
  judge({ kernel }, { report }) {
    const { nofile, nproc } = kernel.ulimits;
    if (!nofile && !nproc) return report('unknown');
    const details = { nofile, nproc };
    const low = [
      ...(below(nofile, MIN_NOFILE) ? [`open files ${show(nofile)} < ${MIN_NOFILE}`] : []),
      ...(below(nproc, MIN_NPROC) ? [`processes ${show(nproc)} < ${MIN_NPROC}`] : []),
    ];
    if (low.length) return report('low', { low: low.join(', ') }, { details });
    return report('ok', { nofile: show(nofile), nproc: show(nproc) }, { details });
  },
});
