// The probe's text: inlined by the bundler, read from beside this file when running from sources.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

declare const __RD_PROBE__: string | undefined;

let cached: string | undefined;
export function probeScript(): string {
  cached ??=
    typeof __RD_PROBE__ === 'string' ? __RD_PROBE__ : readFileSync(new URL('./probe.sh', import.meta.url), 'utf8');
  return cached;
}

/** A per-run nonce, so file contents cannot be mistaken for the probe's own markers. */
export function newNonce(): string {
  return randomBytes(6).toString('hex');
}

/**
 * The script with its nonce bound, for `sh -c` where no environment can be passed (exec in a pod).
 * RD_ROOT is left to the pod's environment (empty in a real pod; a fixture tree for fake pods in tests).
 */
export function boundProbeScript(nonce: string): string {
  return `RD_NONCE='${nonce.replace(/[^a-f0-9]/g, '')}'\n${probeScript()}`;
}
