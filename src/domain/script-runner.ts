// The optional script runner (domain.md §1): its own Deployment `<fullname>-script-runner` labelled
// app.kubernetes.io/component=script-runner, sshd on 2222 reached by every runner pod at
// MTLN_SCRIPT_RUNNER_HOST, a /tmp emptyDir limited to 5Gi, its own ServiceAccount.
import type { Deployment } from './kube.ts';

export const SCRIPT_RUNNER_COMPONENT = 'app.kubernetes.io/component=script-runner';
export const SCRIPT_RUNNER_PORT = 2222;
export const SCRIPT_RUNNER_HOST_VAR = 'MTLN_SCRIPT_RUNNER_HOST';
export const SCRIPT_RUNNER_TMP_LIMIT = '5Gi';

/** The host (and port, if given) of MTLN_SCRIPT_RUNNER_HOST. */
export function scriptRunnerAddress(value: string): { host: string; port: number } | undefined {
  const v = value
    .trim()
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '');
  const m = v.match(/^(\[[0-9a-fA-F:]+\]|[^:]+)(?::(\d{1,5}))?$/);
  if (!m?.[1]) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : SCRIPT_RUNNER_PORT };
}

/** The size limit of the volume the script runner's container mounts at /tmp (undefined: none). */
export function tmpSizeLimit(d: Deployment): { volume?: string; sizeLimit?: string } {
  const spec = d.spec?.template?.spec;
  const mount = (spec?.containers ?? []).flatMap((c) => c.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
  const vol = spec?.volumes?.find((v) => v.name === mount?.name);
  const limit = vol?.emptyDir?.sizeLimit;
  return { ...(mount ? { volume: mount.name } : {}), ...(limit !== undefined ? { sizeLimit: String(limit) } : {}) };
}

/** What the TCP test from a runner pod to the script runner found. */
export interface ScriptRunnerReach {
  /** Whether the runner pod is configured for a script runner at all. */
  enabled: boolean;
  tool: string;
  /** `host:port` tried. */
  address?: string;
  outcome?: 'ok' | 'refused' | 'timeout' | 'dns' | 'unreachable' | 'error' | 'no-tool';
  /** The first line the server sent (`SSH-2.0-OpenSSH_9.6`), when it sent one. */
  banner?: string;
  detail?: string;
}
