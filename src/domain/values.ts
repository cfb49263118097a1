// Helm values the agent cannot use (domain.md §8, §9): a `${VAR}` left by a skipped envsubst, a cloud
// provider or region the agent does not know, proxy settings it cannot parse (it crashes at start),
// PROXY_EXCLUDE written in NO_PROXY syntax, locations left as placeholders, and a `resources` override
// that sets only half of what the runnerSize block it replaces had. Each problem names the Helm value.
import { HELM, HELM_VALUE, PLACEHOLDER } from './chart.ts';
import { asProvider, REGIONS } from './platforms.ts';

export type ValueKind =
  | 'unexpanded'
  | 'cloud-provider'
  | 'region'
  | 'proxy'
  | 'proxy-exclude'
  | 'location'
  | 'resources'
  | 'token-expiration';

export interface ValueProblem {
  kind: ValueKind;
  /** The variable (or `resources`). */
  variable: string;
  /** The Helm value that sets it. */
  helm: string;
  /** What is wrong, in a few words. */
  detail: string;
  /** The value, where it may be shown (never for secret names). */
  value?: string;
}

const UNEXPANDED = /\$\{[A-Za-z_][A-Za-z0-9_]*\}/;

/** A `${VAR}` reference that envsubst should have replaced. */
export function unexpandedRef(value: string): string | undefined {
  return value.match(UNEXPANDED)?.[0];
}

/** The telemetry region the control plane uses for a MATILLION_REGION: eu1 has its own, everything else us1. */
export function telemetryRegion(region: string | undefined): 'us1' | 'eu1' {
  return (region ?? '').trim().toLowerCase() === 'eu1' ? 'eu1' : 'us1';
}

/** The variables that carry a location the agent reads (a bucket, a container, a path). */
export const LOCATION_VARS = [
  'CUSTOM_CERT_LOCATION',
  'EXTENSION_LIBRARY_LOCATION',
  'EXTERNAL_DRIVER_LOCATION',
] as const;

export type ProxyParse = { ok: true; scheme: string; host: string; port: number } | { ok: false; why: string };

/**
 * A proxy value as the agent reads it: `scheme://host:port`. It splits the value into the JVM's
 * proxyHost/proxyPort properties, so a missing port or scheme makes it fail at start
 * (`expected system property https.proxyPort to be a number but got empty string`).
 */
export function parseAgentProxy(value: string): ProxyParse {
  const v = value.trim();
  const m = v.match(/^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:[^@/]*@)?(\[[0-9A-Fa-f:]+\]|[^:/?#]+)(?::([^/?#]*))?\/?$/);
  if (!m) {
    if (!v.includes('://'))
      return { ok: false, why: 'no scheme: write it as http://host:port (the agent reads the port after the scheme)' };
    return { ok: false, why: 'not a URL of the form http://host:port' };
  }
  const [, scheme = '', host = '', port] = m;
  if (!/^https?$/i.test(scheme)) return { ok: false, why: `scheme ${scheme} is not http or https` };
  if (port === undefined || port === '')
    return {
      ok: false,
      why: 'no port: the agent stops at start with "expected system property https.proxyPort to be a number but got empty string"',
    };
  if (!/^\d+$/.test(port)) return { ok: false, why: `the port "${port}" is not a number` };
  const n = Number(port);
  if (n < 1 || n > 65535) return { ok: false, why: `the port ${n} is out of range` };
  return { ok: true, scheme: scheme.toLowerCase(), host, port: n };
}

/**
 * PROXY_EXCLUDE goes to the JVM's nonProxyHosts: host patterns separated by `|`, a `*` only at the
 * start or the end. NO_PROXY syntax (commas, `.domain`, CIDR ranges, ports, schemes) does not work there.
 */
export function proxyExcludeProblems(value: string): string[] {
  const v = value.trim();
  if (!v) return [];
  const out: string[] = [];
  if (/[,\s]/.test(v)) out.push('entries separated by commas or spaces (separate them with |)');
  for (const e of v.split(/[|,\s]+/).filter(Boolean)) {
    if (/^[a-z]+:\/\//i.test(e)) out.push(`${e}: a URL (give the host only)`);
    else if (/\/\d{1,3}$/.test(e))
      out.push(`${e}: a CIDR range (nonProxyHosts matches names: use a wildcard such as 10.*)`);
    else if (/:\d+$/.test(e) && !e.includes(']')) out.push(`${e}: a port (nonProxyHosts matches hosts only)`);
    else if (e.startsWith('.')) out.push(`${e}: a leading dot (write *${e})`);
    else if (e.slice(1, -1).includes('*')) out.push(`${e}: a * inside the pattern (only at the start or the end)`);
  }
  if (/\|\|/.test(v) || /^\||\|$/.test(v)) out.push('an empty entry (|| or a | at either end)');
  return out;
}

const helm = (name: string) => HELM_VALUE[name] ?? `the Helm value that sets ${name}`;

/**
 * Every problem in the runner's variables. `get` returns a variable's value when it may be read
 * (`undefined` when unset or withheld). `all` adds the cloud provider and region, which the in-pod
 * checks already judge on their own.
 */
export function valueProblems(
  names: readonly string[],
  get: (name: string) => string | undefined,
  o: { all?: boolean } = {},
): ValueProblem[] {
  const out: ValueProblem[] = [];
  for (const name of names) {
    const value = get(name);
    const ref = value === undefined ? undefined : unexpandedRef(value);
    if (value !== undefined && ref)
      out.push({
        kind: 'unexpanded',
        variable: name,
        helm: helm(name),
        value,
        detail: `${ref} was never substituted (envsubst did not run on the values file)`,
      });
  }
  const bad = new Set(out.map((p) => p.variable));
  const val = (n: string) => (bad.has(n) ? undefined : get(n)?.trim());

  const cloud = val('CLOUD_PROVIDER');
  if (o.all && cloud && !asProvider(cloud))
    out.push({
      kind: 'cloud-provider',
      variable: 'CLOUD_PROVIDER',
      helm: helm('CLOUD_PROVIDER'),
      value: cloud,
      detail: 'not AWS, AZURE or GCP: the agent cannot tell which cloud identity and secret store to use',
    });
  const region = val('MATILLION_REGION');
  if (o.all && region && !PLACEHOLDER.test(region) && !REGIONS.some((r) => r === region.toLowerCase()))
    out.push({
      kind: 'region',
      variable: 'MATILLION_REGION',
      helm: helm('MATILLION_REGION'),
      value: region,
      detail: `not one of ${REGIONS.join(', ')}${/^[a-z]{2}-[a-z]+-\d$/.test(region) ? ' (that is a cloud region, not the vendor region)' : ''}: the endpoints fall back to us1 (opentelemetry.${telemetryRegion(region)}.core.matillion.com)`,
    });
  for (const name of ['PROXY_HTTPS', 'PROXY_HTTP']) {
    const v = val(name);
    if (!v) continue;
    const p = parseAgentProxy(v);
    if (!p.ok) out.push({ kind: 'proxy', variable: name, helm: helm(name), value: v, detail: p.why });
  }
  const ex = val('PROXY_EXCLUDE');
  const exProblems = ex ? proxyExcludeProblems(ex) : [];
  if (ex && exProblems.length)
    out.push({
      kind: 'proxy-exclude',
      variable: 'PROXY_EXCLUDE',
      helm: helm('PROXY_EXCLUDE'),
      value: ex,
      detail: exProblems.join('; '),
    });
  for (const name of LOCATION_VARS) {
    const v = val(name);
    if (v && PLACEHOLDER.test(v))
      out.push({
        kind: 'location',
        variable: name,
        helm: helm(name),
        value: v,
        detail: `still the placeholder ${v.match(PLACEHOLDER)?.[0]}: the agent retries it in a loop (e.g. "Invalid bucket name")`,
      });
  }
  return out;
}

/** A `resources` override that sets only requests or only limits (it replaces the runnerSize block whole). */
export function resourcesOverride(
  r: { requests?: object | null; limits?: object | null } | undefined,
): ValueProblem | undefined {
  const req = Object.keys(r?.requests ?? {}).length > 0;
  const lim = Object.keys(r?.limits ?? {}).length > 0;
  if (req === lim) return undefined;
  return {
    kind: 'resources',
    variable: 'resources',
    helm: HELM.resources,
    detail: req
      ? 'sets only requests: it replaces the runnerSize block whole, so the runner has no limits (the JVM sizes its heap from the node)'
      : 'sets only limits: it replaces the runnerSize block whole, and Kubernetes copies the limits into the requests (each pod reserves its whole limit)',
  };
}

/**
 * The findings both values checks report (the in-pod one from the runner's env, the cluster one from the
 * rendered Deployment), one per kind: `{{variable}}`, `{{value}}`, `{{detail}}` and `{{helm}}` filled.
 */
export const VALUE_MESSAGES = {
  unexpanded: {
    status: 'fail',
    text: '{{variable}} is "{{value}}": {{detail}}',
    fix: 'run envsubst on the values file (or write the value in it) so {{helm}} holds the real value, then helm upgrade',
  },
  'cloud-provider': {
    status: 'fail',
    text: '{{variable}} is "{{value}}": {{detail}}',
    fix: 'set the Helm value {{helm}} to AWS, AZURE or GCP and run helm upgrade',
  },
  region: {
    status: 'warn',
    text: '{{variable}} is "{{value}}": {{detail}}',
    fix: "set the Helm value {{helm}} to the region on the runner's page in the vendor UI (us1, eu1 or au1) and run helm upgrade",
  },
  proxy: {
    status: 'fail',
    text: '{{variable}} is "{{value}}", which the agent cannot parse: {{detail}}',
    fix: 'set the Helm value {{helm}} to scheme://host:port (e.g. http://proxy.corp:3128) and run helm upgrade',
  },
  'proxy-exclude': {
    status: 'warn',
    text: '{{variable}} "{{value}}" is not in the syntax the agent reads: {{detail}}',
    fix: 'set the Helm value {{helm}} to host patterns separated by | (e.g. localhost|*.svc.cluster.local|10.*) and run helm upgrade',
  },
  location: {
    status: 'fail',
    text: '{{variable}} is {{detail}}',
    fix: 'set the Helm value {{helm}} to the real location (or leave it empty) and run helm upgrade',
  },
  resources: {
    status: 'warn',
    text: 'the resources override {{detail}}',
    fix: 'give {{helm}} both requests and limits (or remove it and use runnerSize) and run helm upgrade',
  },
  'token-expiration': {
    status: 'warn',
    text: '{{variable}} is {{value}}: {{detail}}',
    fix: 'set the pod annotation {{helm}} to a number of seconds between 3600 and 86400 (or remove it: the default is 3600)',
  },
} as const;

/** The Azure workload identity token lifetime annotation, if it is outside what the webhook accepts. */
export function tokenExpirationProblem(
  annotations: Record<string, string> | undefined,
  key: string,
  range: { min: number; max: number },
): ValueProblem | undefined {
  const v = annotations?.[key];
  if (v === undefined) return undefined;
  const n = /^\d+$/.test(v.trim()) ? Number(v) : Number.NaN;
  if (n >= range.min && n <= range.max) return undefined;
  return {
    kind: 'token-expiration',
    variable: key,
    helm: key,
    value: v,
    detail: Number.isNaN(n)
      ? 'not a number of seconds: the azure-workload-identity webhook refuses the pod'
      : `outside the ${range.min}–${range.max} s the azure-workload-identity webhook accepts: it refuses the pod (ReplicaSet FailedCreate)`,
  };
}
