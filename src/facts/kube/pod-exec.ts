// Runs the probe in a runner pod through the exec API: `sh -c <script>` (so ending stdin cannot close
// the socket on older exec protocols), a hard timeout that terminates the socket, an output cap, and
// the exit status read from the status channel. The output is then parsed as untrusted.
import { Writable } from 'node:stream';
import type { KubeConfig, V1Status } from '@kubernetes/client-node';
import { FactError, type RbacRule } from '../../engine/facts.ts';
import { boundProbeScript, newNonce } from '../pod/script.ts';
import { CappedBuffer, probeFactsFrom } from '../pod/output.ts';
import type { ProbeFacts } from '../pod/parse.ts';
import { type Access, connectionPool, forbiddenFor } from './client.ts';

export interface ExecOutcome {
  stdout: string;
  stderr: string;
  /** null when the status did not say (socket closed, timed out). */
  exitCode: number | null;
  truncated: boolean;
  timedOut: boolean;
  /** Stopped by the run's deadline rather than its own timeout. */
  aborted: boolean;
}

/** The exit code from an exec status: the standard NonZeroExitCode cause, or `exit status N` in the message (kwok). */
export function exitCodeOf(status: V1Status): number | null {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  if (cause?.message && /^\d+$/.test(cause.message)) return Number(cause.message);
  const m = status.message?.match(/exit (?:status|code) (\d+)/);
  return m ? Number(m[1]) : null;
}

export async function execInPod(
  access: Access,
  ns: string,
  pod: string,
  container: string,
  command: string[],
  opts: { timeoutMs: number; maxBytes: number; signal?: AbortSignal; onRequest?: () => void },
): Promise<ExecOutcome> {
  const { Exec } = await import('./client-node.ts');
  const out = new CappedBuffer(opts.maxBytes);
  let err = '';
  const stdout = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk);
      cb();
    },
  });
  const stderr = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (err.length < 4096) err += chunk.toString('utf8');
      cb();
    },
  });
  return new Promise<ExecOutcome>((resolve, reject) => {
    let settled = false;
    let ws: { terminate(): void; on(ev: string, f: () => void): void } | undefined;
    const finish = (exitCode: number | null, timedOut = false, aborted = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws?.terminate();
      resolve({ stdout: out.text(), stderr: err, exitCode, truncated: out.truncated, timedOut, aborted });
    };
    const timer = setTimeout(() => finish(null, true), opts.timeoutMs);
    if (opts.signal?.aborted) return finish(null, true, true);
    opts.signal?.addEventListener('abort', () => finish(null, true, true), { once: true });
    opts.onRequest?.();
    new Exec(pooledConfig(access.kc))
      .exec(ns, pod, container, command, stdout, stderr, null, false, (status) => {
        // Let buffered output drain before resolving.
        setImmediate(() => finish(exitCodeOf(status)));
      })
      .then((socket) => {
        ws = socket as never;
        if (settled) socket.terminate();
        socket.on('close', () => setImmediate(() => finish(null)));
      })
      .catch((e: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(e);
      });
  });
}

/**
 * The exec WebSocket through the run's keep-alive pool: its upgrade then goes out on a connection the
 * LISTs already opened (one round trip) instead of a new TCP and TLS handshake (three). Exec hands its
 * config to client-node's WebSocket handler, which reads the cluster and the HTTPS options from it:
 * only the latter is wrapped, to add the pool's agent.
 */
function pooledConfig(kc: KubeConfig): KubeConfig {
  const pool = connectionPool(kc);
  if (!pool) return kc;
  return Object.create(kc, {
    applyToHTTPSOptions: {
      value: async (o: Parameters<KubeConfig['applyToHTTPSOptions']>[0]) => {
        await kc.applyToHTTPSOptions(o);
        o.agent = pool;
      },
    },
  }) as KubeConfig;
}

/** The rule an exec needs: the WebSocket upgrade is a GET, and from 1.30 it must also be allowed to `create`. */
export const EXEC_RULE: RbacRule = {
  apiGroups: [''],
  resources: ['pods/exec'],
  verbs: ['get', 'create'],
  scope: 'namespace',
};

/** Classifies an exec failure (the WebSocket upgrade is refused with the HTTP status). */
export function execError(e: unknown, ns: string, pod: string): FactError {
  // client-node rejects with an Error, a WebSocket ErrorEvent or the upgrade's response: read what says why.
  const o = e as { message?: unknown; error?: { message?: unknown }; statusCode?: unknown } | undefined;
  const text =
    e instanceof Error
      ? e.message
      : typeof o?.message === 'string'
        ? o.message
        : typeof o?.error?.message === 'string'
          ? o.error.message
          : typeof o?.statusCode === 'number'
            ? `HTTP ${o.statusCode}`
            : String(e);
  const msg = text.split('\n')[0] ?? '';
  if (/403/.test(msg)) return forbiddenFor(EXEC_RULE, ns);
  if (/401/.test(msg))
    return new FactError(
      'unauthorized',
      'unauthorized: exec was refused (bad or expired credentials)',
      'refresh the kubeconfig',
    );
  if (/404/.test(msg))
    return new FactError(
      'not-found',
      `pod ${ns}/${pod} is gone (deleted or rescheduled during the run)`,
      'run the doctor again',
    );
  return new FactError(
    'exec',
    `exec into ${ns}/${pod} failed: ${msg.slice(0, 200)}`,
    'check that the pod is Running and its container has /bin/sh',
  );
}

export async function probePod(
  access: Access,
  ns: string,
  pod: string,
  container: string,
  opts: { timeoutMs: number; maxBytes?: number; signal?: AbortSignal; onRequest?: () => void },
): Promise<ProbeFacts> {
  const nonce = newNonce();
  let r: ExecOutcome;
  try {
    r = await execInPod(access, ns, pod, container, ['sh', '-c', boundProbeScript(nonce)], {
      timeoutMs: opts.timeoutMs,
      maxBytes: opts.maxBytes ?? 1024 * 1024,
      signal: opts.signal,
      onRequest: opts.onRequest,
    });
  } catch (e) {
    throw execError(e, ns, pod);
  }
  if (r.aborted)
    throw new FactError(
      'deadline',
      `the probe in ${ns}/${pod} was stopped: the run's deadline passed`,
      'raise --timeout',
    );
  if (r.timedOut && !r.stdout.includes(`@@RDP:${nonce}:end`)) {
    throw new FactError(
      'timeout',
      `the probe in ${ns}/${pod} did not finish within ${(opts.timeoutMs / 1000).toFixed(0)} s (socket terminated)`,
      'a hung python3/java/df in the container is the usual cause: run the probe by hand with `kubectl exec` to see where it stops',
    );
  }
  return probeFactsFrom(r.stdout, nonce, {
    truncated: r.truncated,
    where: ` in ${ns}/${pod}`,
    why: r.stderr ? ` (stderr: ${(r.stderr.split('\n')[0] ?? '').slice(0, 120)})` : '',
    remediation: 'the container needs a POSIX /bin/sh; a wrapper that prints to stdout breaks the probe',
  });
}
