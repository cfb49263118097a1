// Facts about the doctor's own environment: runs the same probe a runner pod gets, under /bin/sh here.
import { spawn } from 'node:child_process';
import { FactError, factSource, type FactSource, type RunConfigFacts } from './fact-map.ts';
import { newNonce, probeScript } from '../probe/script.ts';
import { CappedBuffer, probeFactsFrom } from '../probe/output.ts';
import type { ProbeFacts } from '../probe/facts.ts';
import type { EgressView } from '../egress/plan.ts';

export interface LocalOptions {
  /** Prefix for every file the probe reads (fixture trees in tests); '' = this host. */
  root?: string;
  /** Environment the probe sees (defaults to this process's). */
  env?: NodeJS.ProcessEnv;
  shell?: string;
  timeoutMs?: number;
  /** Output cap in bytes; beyond it the output is truncated and the facts say so. */
  maxBytes?: number;
}

export async function runLocalProbe(opts: LocalOptions, signal?: AbortSignal): Promise<ProbeFacts> {
  const nonce = newNonce();
  const out = new CappedBuffer(opts.maxBytes ?? 1024 * 1024);
  const env = { ...(opts.env ?? process.env), RD_NONCE: nonce, RD_ROOT: opts.root ?? '' };
  const { code, stderr } = await new Promise<{ stderr: string; code: number | null }>(
    (resolve, reject) => {
      const child = spawn(opts.shell ?? '/bin/sh', ['-c', probeScript()], { env, stdio: ['ignore', 'pipe', 'pipe'], signal, timeout: opts.timeoutMs ?? 30_000 });
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => {
        if (stderr.length < 2000) stderr += b.toString('utf8');
      });
      child.on('error', (e) => reject(new FactError('probe', `could not start ${opts.shell ?? '/bin/sh'}: ${e.message}`, 'runner-doctor needs a POSIX shell at /bin/sh')));
      child.on('close', (code) => resolve({ stderr, code }));
    },
  );
  return probeFactsFrom(out.text(), nonce, {
    truncated: out.truncated,
    where: '',
    why: code === null ? ' (killed: timed out)' : stderr ? ` (stderr: ${stderr.split('\n')[0]})` : '',
    remediation: 'run the probe by hand with `sh -x` to see where it stops; see `runner-doctor explain <check>`',
  });
}

/** The doctor's own host as a target: the probe run here, plus the run's configuration. */
export function localFactSource(opts: LocalOptions, config: RunConfigFacts, egress?: () => Promise<EgressView>): FactSource {
  return factSource({ probe: (signal) => runLocalProbe(opts, signal), config: () => config, ...(egress ? { egress } : {}) }, 'the local host');
}
