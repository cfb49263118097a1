// The one place that decides what may be printed. Everything that can carry data from a pod, a host or
// a cluster passes through `cleanText` before a reporter sees it; environment values pass `isSecretName`.

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences, then C0/C1 controls.
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Strips ANSI sequences and control characters (keeps \n and \t), caps the length. */
export function cleanText(s: string, max = 4096): string {
  let out = s.replace(ANSI, '').replace(CONTROL, '');
  if (out.length > max) out = `${out.slice(0, max)}… [truncated ${out.length - max} chars]`;
  return out;
}

/** Env var names whose values must never be shown (domain: *SECRET*, *TOKEN*, *PASSWORD*, *KEY*, and known credentials). */
const SECRET_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|KEY|CREDENTIAL|OAUTH_CLIENT_ID|AWS_ACCESS_KEY_ID|SESSION/i;
/** Names that match the secret pattern but hold only a path or a vault name. */
const NOT_SECRET = new Set(['DEFAULT_KEYVAULT', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AZURE_FEDERATED_TOKEN_FILE']);

export function isSecretName(name: string): boolean {
  return !NOT_SECRET.has(name) && SECRET_NAME.test(name);
}

/** Removes credentials embedded in URLs (`http://user:pass@proxy:3128` → `http://***@proxy:3128`). */
export function redactUrlCredentials(s: string): string {
  return s.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@');
}

/** What a report may show of an env value: nothing for secret names, cleaned text without URL credentials otherwise. */
export function displayEnvValue(name: string, value: string | undefined): string | undefined {
  if (value === undefined || isSecretName(name)) return undefined;
  return redactUrlCredentials(cleanText(value, 512));
}

/**
 * Defence in depth for reporters: replaces any occurrence of known secret values (collected while the
 * run was in memory) in a final string. Values shorter than 6 characters are ignored (too many false hits).
 */
export class SecretScrubber {
  readonly #values = new Set<string>();
  add(value: string | undefined): void {
    if (value && value.length >= 6) this.#values.add(value);
  }
  scrub(s: string): string {
    let out = s;
    for (const v of this.#values) if (out.includes(v)) out = out.split(v).join('***');
    return out;
  }
}
