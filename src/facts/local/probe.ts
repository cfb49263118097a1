// The doctor's own environment as a runner environment: the same probe a runner pod gets, run here
// under /bin/sh (every file it reads under a root prefix, which is how tests use fixture trees).
import { spawn } from 'node:child_process';
import { FactError } from '../../engine/facts.ts';
import { CappedBuffer, probeFactsFrom } from '../pod/output.ts';
import type { ProbeFacts } from '../pod/parse.ts';
import { newNonce, probeScript } from '../pod/script.ts';

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
  const shell = opts.shell ?? '/bin/sh';
  const { code, stderr } = await new Promise<{ stderr: string; code: number | null }>((resolve, reject) => {
    const child = spawn(shell, ['-c', probeScript()], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal,
      timeout: opts.timeoutMs ?? 30_000,
    });
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 2000) stderr += b.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError')
        reject(new FactError('deadline', "the local probe was stopped: the run's deadline passed", 'raise --timeout'));
      else
        reject(
          new FactError(
            'probe',
            `could not start ${shell}: ${e.message}`,
            'runner-doctor needs a POSIX shell at /bin/sh',
          ),
        );
    });
    child.on('close', (code) => resolve({ stderr, code }));
  });
  return probeFactsFrom(out.text(), nonce, {
    truncated: out.truncated,
    where: '',
    why: code === null ? ' (killed: timed out)' : stderr ? ` (stderr: ${stderr.split('\n')[0]})` : '',
    remediation: 'run the probe by hand with `sh -x` to see where it stops; see `runner-doctor explain <check>`',
  });
}
