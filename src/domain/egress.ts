// Which endpoints the runner must reach (domain.md §3–4), derived from its own settings, plus what the
// user adds. Every target's connect address, port and expected TLS name can be overridden, which is how
// tests point the vendor's endpoints at servers on 127.0.0.1.

import { registryEndpoints } from './registries.ts';
import { telemetryRegion } from './values.ts';

export interface EgressTarget {
  /** Display name: the host, or a user-given name. */
  name: string;
  /** Host name to resolve, connect to (unless `connect` overrides it) and expect in the certificate. */
  host: string;
  port: number;
  /** TLS server name (SNI and the name the certificate must carry); defaults to host. */
  servername?: string;
  /** Connect here instead of resolving `host` (host or IP, and port). */
  connect?: { host: string; port: number };
  /** false: plain TCP + HTTP (no TLS). */
  tls: boolean;
  /** A public endpoint: its certificate must chain to a public CA; anything else means interception. */
  publicCA: boolean;
  /** Why the runner needs it. */
  purpose: string;
}

export interface RunnerSettings {
  region?: string;
  cloud?: string;
  image?: string;
  awsRegion?: string;
  /** The variable the AWS region came from (the IRSA webhook sets AWS_REGION in the pod). */
  awsRegionSource?: string;
  /** The cluster's cloud region (its nodes' topology.kubernetes.io/region): ACR's data endpoint is there. */
  clusterRegion?: string;
  keyVault?: string;
}

const HOST_RE =
  /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$|^\d{1,3}(\.\d{1,3}){3}$|^\[?[0-9a-fA-F:]+\]?$/;

export function validHost(h: string): boolean {
  return HOST_RE.test(h);
}

const t = (host: string, purpose: string, port = 443): EgressTarget => ({
  name: port === 443 ? host : `${host}:${port}`,
  host,
  port,
  tls: true,
  publicCA: true,
  purpose,
});

/** The vendor's control plane, cloud APIs and image registry for these settings. */
export function deriveTargets(s: RunnerSettings): EgressTarget[] {
  const out: EgressTarget[] = [];
  const region = (s.region ?? '').trim().toLowerCase();
  // The control plane has us1 and eu1 telemetry endpoints; every other region (au1 included) falls back to us1.
  const otel = telemetryRegion(region);
  out.push(t('keycloak.core.matillion.com', 'vendor login (OAuth client credentials)'));
  out.push(t('api.matillion.com', 'vendor control plane API'));
  out.push(t(`opentelemetry.${otel}.core.matillion.com`, `vendor telemetry for region ${region || '(unset → us1)'}`));
  const cloud = (s.cloud ?? '').trim().toUpperCase();
  if (cloud === 'AWS') {
    const r = s.awsRegion || 'us-east-1';
    // Where the region came from is part of the purpose: a wrong one sends every call to the wrong place.
    const from = s.awsRegion
      ? `region ${r} from ${s.awsRegionSource ?? 'AWS_REGION'}`
      : `region ${r}: AWS_REGION is not set`;
    out.push(t(`sts.${r}.amazonaws.com`, `IRSA token exchange (regional STS; ${from})`));
    out.push(t(`s3.${r}.amazonaws.com`, `S3 staging (${from})`));
    out.push(t(`secretsmanager.${r}.amazonaws.com`, `Secrets Manager (${from})`));
    out.push(t(`logs.${r}.amazonaws.com`, `CloudWatch Logs (${from})`));
  } else if (cloud === 'AZURE') {
    out.push(t('login.microsoftonline.com', 'workload identity token exchange'));
    if (s.keyVault && validHost(`${s.keyVault}.vault.azure.net`))
      out.push(t(`${s.keyVault}.vault.azure.net`, `Key Vault ${s.keyVault} (DEFAULT_KEYVAULT)`));
  } else if (cloud === 'GCP') {
    out.push(t('sts.googleapis.com', 'workload identity token exchange'));
    out.push(t('oauth2.googleapis.com', 'OAuth tokens'));
    out.push(t('secretmanager.googleapis.com', 'Secret Manager'));
    out.push(t('storage.googleapis.com', 'Cloud Storage'));
  }
  const pull = registryEndpoints(s.image ?? '', {
    awsRegion: s.awsRegion,
    awsRegionSource: s.awsRegionSource,
    azureRegion: s.clusterRegion,
  });
  for (const e of pull) if (validHost(e.host)) out.push(t(e.host, e.purpose, e.port));
  return out;
}

/**
 * A user target: `host`, `host:port`, `https://host[:port]`, `http://host[:port]`, optionally `name=` first.
 * Throws a one-line message for anything else.
 */
export function parseTargetSpec(spec: string): EgressTarget {
  let s = spec.trim();
  let name: string | undefined;
  const eq = s.indexOf('=');
  if (eq > 0 && !s.slice(0, eq).includes('/')) {
    name = s.slice(0, eq);
    s = s.slice(eq + 1);
  }
  let tls = true;
  const scheme = s.match(/^(https?):\/\//);
  if (scheme) {
    tls = scheme[1] === 'https';
    s = s.slice(scheme[0].length).replace(/\/.*$/, '');
  }
  const m = s.match(/^(\[[0-9a-fA-F:]+\]|[^:]+)(?::(\d{1,5}))?$/);
  if (!m || !validHost(m[1]!))
    throw new Error(`--target ${JSON.stringify(spec)}: expected host[:port] or https://host[:port]`);
  const port = m[2] ? Number(m[2]) : tls ? 443 : 80;
  if (port < 1 || port > 65535) throw new Error(`--target ${JSON.stringify(spec)}: port ${port} is out of range`);
  const host = m[1]!.replace(/^\[|\]$/g, '');
  return {
    name: name ?? (port === (tls ? 443 : 80) ? host : `${host}:${port}`),
    host,
    port,
    tls,
    publicCA: false,
    purpose: 'user target',
  };
}

export interface TargetOverride {
  connect?: string;
  servername?: string;
}

/** Applies `host → address[:port]` overrides (the name and expected certificate name stay). */
export function applyOverrides(targets: EgressTarget[], overrides: Record<string, TargetOverride>): EgressTarget[] {
  return targets.map((x) => {
    const o = overrides[x.host] ?? overrides[`${x.host}:${x.port}`];
    if (!o) return x;
    const out = { ...x };
    if (o.connect) {
      const m = o.connect.match(/^(\[[0-9a-fA-F:]+\]|[^:]+)(?::(\d{1,5}))?$/);
      if (!m || !validHost(m[1]!))
        throw new Error(`egress override for ${x.host}: ${JSON.stringify(o.connect)} is not host[:port]`);
      out.connect = { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : x.port };
    }
    if (o.servername) out.servername = o.servername;
    return out;
  });
}

export type StageName = 'dns' | 'tcp' | 'proxy' | 'tls' | 'http';

export interface StageResult {
  ok: boolean;
  ms?: number;
  /** Failure class, e.g. nxdomain, timeout, refused, expired, wrong-host, untrusted, auth-required, denied. */
  error?: string;
  detail?: string;
}

export interface EndpointResult {
  target: EgressTarget;
  /** The proxy used (credentials masked). */
  via?: string;
  /** The tool that ran the test (node in the doctor; python3/curl/wget/getent in a pod). */
  tool: string;
  dns?: StageResult & { addresses?: string[]; byProxy?: boolean };
  tcp?: StageResult & { address?: string };
  proxy?: StageResult & { status?: number };
  tls?: StageResult & {
    protocol?: string;
    subject?: string;
    issuer?: string;
    validTo?: string;
    trust?: 'system' | 'extra';
  };
  http?: StageResult & { status?: number };
  failedStage?: StageName;
  totalMs: number;
}

export interface StageTimeouts {
  dns: number;
  tcp: number;
  tls: number;
  http: number;
}

export const DEFAULT_TIMEOUTS: StageTimeouts = { dns: 3000, tcp: 3000, tls: 4000, http: 4000 };

export interface EgressView {
  /** `doctor`, `local` or the pod (`namespace/name`). */
  from: string;
  /** The tool that ran the stages: node (the doctor), python3, curl, wget, getent or none. */
  tool: string;
  results: EndpointResult[];
  /** Where the proxy settings came from, if any. */
  proxy?: string;
}

/** The runner's settings that decide its endpoints, from its env (a pod spec's literal env, or this process's). */
export function settingsFromEnv(env: Record<string, string | undefined>, image?: string): RunnerSettings {
  return {
    region: env.MATILLION_REGION,
    cloud: env.CLOUD_PROVIDER,
    awsRegion: env.AWS_REGION || env.AWS_DEFAULT_REGION,
    awsRegionSource: env.AWS_REGION ? 'AWS_REGION' : env.AWS_DEFAULT_REGION ? 'AWS_DEFAULT_REGION' : undefined,
    keyVault: env.DEFAULT_KEYVAULT,
    image,
  };
}
