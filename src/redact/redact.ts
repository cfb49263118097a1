// The one gate that decides what may be printed. Everything that can carry data from a pod, a host or a
// cluster — messages, remediations, targets, details — passes through a Redactor before any reporter or
// the snapshot sees it: control and ANSI sequences stripped, URL credentials masked, and every secret
// value the run has seen in memory (the doctor's own secret-named variables, secret-like env values in
// pod specs) replaced by `***`.

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences, then C0/C1 controls.
const ANSI =
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Strips ANSI sequences and control characters (keeps \n and \t), caps the length. */
export function cleanText(s: string, max = 4096): string {
  let out = s.replace(ANSI, '').replace(CONTROL, '');
  if (out.length > max) out = `${out.slice(0, max)}… [truncated ${out.length - max} chars]`;
  return out;
}

/** Env var names whose values must never be shown (domain: *SECRET*, *TOKEN*, *PASSWORD*, *KEY*, and known credentials). */
const SECRET_NAME =
  /SECRET|TOKEN|PASSWORD|PASSWD|KEY|CREDENTIAL|OAUTH_CLIENT_ID|AWS_ACCESS_KEY_ID|SESSION|CONNECTION_STRING/i;
/** Names that match the secret pattern but hold only a path or a vault name. */
const NOT_SECRET = new Set([
  'DEFAULT_KEYVAULT',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AZURE_FEDERATED_TOKEN_FILE',
  'AZURE_CLIENT_CERTIFICATE_PATH',
]);

export function isSecretName(name: string): boolean {
  return !NOT_SECRET.has(name) && SECRET_NAME.test(name);
}

/** Removes credentials embedded in URLs (`http://user:pass@proxy:3128` → `http://***@proxy:3128`). */
export function redactUrlCredentials(s: string): string {
  return s.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@');
}

/** What may be kept of an env value: nothing for secret names, no URL credentials otherwise. */
export function displayEnvValue(name: string, value: string | undefined): string | undefined {
  if (value === undefined || isSecretName(name)) return undefined;
  return redactUrlCredentials(cleanText(value, 512));
}

export const MASK = '***';

/**
 * Credentials that show up inside free text the doctor did not write — log lines above all: bearer and
 * basic authorization values, JWTs, `key=value` / `"key": "value"` secrets (passwords, tokens, client
 * secrets, storage account keys, SAS signatures), AWS access key ids, PEM private keys. Over-masking is
 * the safe side: this runs on text whose secrets the run never saw, so it cannot know them by value.
 */
const SECRETS_IN_TEXT: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, MASK],
  [/\b(Bearer|Basic|Negotiate)\s+[A-Za-z0-9._~+/=-]{6,}/gi, `$1 ${MASK}`],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, MASK],
  [
    /(["']?)\b([A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|account[_-]?key|shared[_-]?access[_-]?key|sharedaccesssignature|credential|sig))\1(\s*[=:]\s*)(["']?)[^\s"'&;,]+/gi,
    `$1$2$1$3$4${MASK}`,
  ],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, MASK],
];

/** Masks credentials recognisable by their form in free text (see SECRETS_IN_TEXT); known values are `scrub`'s job. */
export function redactSecretsInText(s: string): string {
  let out = s;
  for (const [re, to] of SECRETS_IN_TEXT) out = out.replace(re, to);
  return out;
}

export class Redactor {
  readonly #values = new Set<string>();
  #pattern?: RegExp;

  /** Remembers a secret value (values shorter than 6 characters are ignored: too many false hits). */
  add(value: string | undefined | null): void {
    if (!value || value.length < 6 || value === MASK) return;
    this.#values.add(value);
    this.#pattern = undefined;
  }

  /** Every secret-looking value of an environment (the doctor's own). */
  addEnv(env: Record<string, string | undefined>): this {
    for (const [k, v] of Object.entries(env)) if (isSecretName(k)) this.add(v);
    return this;
  }

  /** Replaces every known secret value and URL credential; no cleaning. */
  scrub(s: string): string {
    let out = redactUrlCredentials(s);
    if (this.#values.size === 0) return out;
    this.#pattern ??= new RegExp(
      [...this.#values]
        .sort((a, b) => b.length - a.length)
        .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    out = out.replace(this.#pattern, MASK);
    return out;
  }

  /** Cleaned, capped and scrubbed: for one line of text from anywhere. */
  text(s: string, max = 4096): string {
    return this.scrub(cleanText(s, max));
  }

  /** A details object, every string in it (keys included) through `text`. */
  details<T>(v: T, depth = 0): T {
    if (typeof v === 'string') return this.text(v, 2048) as T;
    if (depth > 12 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.slice(0, 500).map((x) => this.details(x, depth + 1)) as T;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[this.text(k, 200)] = this.details(x, depth + 1);
    return out as T;
  }
}
