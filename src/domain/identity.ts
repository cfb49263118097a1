// Workload identity as the vendor's Terraform binds it (domain.md §1, §9) and as the clouds answer a
// token exchange: the subjects each cloud's binding accepts, the modes the SDKs pick from the pod's env,
// and what an STS, Azure AD or metadata-server error means. The exchange itself runs inside the pod
// (src/facts/identity/); this is the knowledge its fact is judged with.
import { SERVICE_ACCOUNT } from './chart.ts';
import type { Provider } from './platforms.ts';

/** The namespace the vendor's guides and Terraform install into. */
export const VENDOR_NAMESPACE = 'matillion';
/** The script runner's ServiceAccount as the chart's fullname helper renders it for the default release. */
export const SCRIPT_RUNNER_SERVICE_ACCOUNT = 'matillion-runner-script-runner-sa';

export type Workload = 'runner' | 'script-runner';

/** `system:serviceaccount:<namespace>:<name>`: the `sub` of a projected ServiceAccount token. */
export const subjectOf = (namespace: string, serviceAccount: string): string =>
  `system:serviceaccount:${namespace}:${serviceAccount}`;

export function parseSubject(sub: string): { namespace: string; name: string } | undefined {
  const m = sub.match(/^system:serviceaccount:([^:]+):([^:]+)$/);
  return m?.[1] && m[2] ? { namespace: m[1], name: m[2] } : undefined;
}

/** What the vendor's Terraform binds for one cloud, and how to say what to update. */
export interface TrustBinding {
  provider: Provider;
  /** The subject pattern, as a glob over `system:serviceaccount:<ns>:<sa>` (`*` matches anything, as IAM's StringLike). */
  pattern: string;
  /** The binding to update, in the cloud's own words. */
  binding: string;
  /** How the accepted subject is written in that binding. */
  display: string;
}

const BINDINGS: Record<Provider, Record<Workload, string>> = {
  // The IAM role's trust policy: StringLike on `<oidc-provider>:sub`, any namespace.
  AWS: {
    runner: subjectOf('*', SERVICE_ACCOUNT),
    'script-runner': subjectOf('*', '*-script-runner-sa'),
  },
  // One federated identity credential per ServiceAccount: an exact subject.
  AZURE: {
    runner: subjectOf(VENDOR_NAMESPACE, SERVICE_ACCOUNT),
    'script-runner': subjectOf(VENDOR_NAMESPACE, SCRIPT_RUNNER_SERVICE_ACCOUNT),
  },
  // roles/iam.workloadIdentityUser for `serviceAccount:<project>.svc.id.goog[<ns>/<ksa>]`.
  GCP: {
    runner: subjectOf(VENDOR_NAMESPACE, SERVICE_ACCOUNT),
    'script-runner': subjectOf(VENDOR_NAMESPACE, SCRIPT_RUNNER_SERVICE_ACCOUNT),
  },
};

const BINDING_NAME: Record<Provider, string> = {
  AWS: "the IAM role's trust policy (condition <oidc-provider>:sub)",
  AZURE: "the managed identity's federated identity credential (subject)",
  GCP: 'the roles/iam.workloadIdentityUser binding on the Google service account (member)',
};

/** `serviceAccount:<project>.svc.id.goog[<ns>/<ksa>]`, the member GKE workload identity binds. */
export function gkeMember(subject: string, project = '<project>'): string {
  const s = parseSubject(subject);
  return s ? `serviceAccount:${project}.svc.id.goog[${s.namespace}/${s.name}]` : subject;
}

export function trustBinding(provider: Provider, workload: Workload = 'runner', project?: string): TrustBinding {
  const pattern = BINDINGS[provider][workload];
  return {
    provider,
    pattern,
    binding: BINDING_NAME[provider],
    display: provider === 'GCP' ? gkeMember(pattern, project) : pattern,
  };
}

/** Whether a subject is what a binding accepts (`*` as IAM StringLike: any run of characters). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('.*')}$`);
  return re.test(subject);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** How to put a subject into the binding, as a command where the cloud has one. */
export function bindCommand(provider: Provider, subject: string, o: { project?: string; gsa?: string } = {}): string {
  if (provider === 'AWS')
    return `aws iam update-assume-role-policy --role-name <role> --policy-document file://trust.json   # "StringLike": {"<oidc-provider>:sub": "${subject}"}`;
  if (provider === 'AZURE')
    return `az identity federated-credential create --identity-name <identity> --resource-group <rg> --name runner --issuer <cluster-oidc-issuer> --subject ${subject} --audiences api://AzureADTokenExchange`;
  return `gcloud iam service-accounts add-iam-policy-binding ${o.gsa ?? '<gsa>'} --role roles/iam.workloadIdentityUser --member "${gkeMember(subject, o.project)}"`;
}

/** The project of a Google service account email (`name@project.iam.gserviceaccount.com`). */
export function gsaProject(email: string | undefined): string | undefined {
  return email?.match(/@([a-z][a-z0-9-]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$/)?.[1];
}

// --- the exchange, as the in-pod program reports it ------------------------------------------------

/** How the pod's SDK would authenticate, decided from its env the way the SDKs' default chains do. */
export type ExchangeMode = 'aws-web-identity' | 'aws-pod-identity' | 'azure-workload-identity' | 'gcp-metadata';

/** Why nothing was exchanged. */
export type ExchangeSkip = 'disabled' | 'no-identity' | 'static-keys' | 'key-file' | 'no-tool';

export interface TokenClaims {
  /** Where the token was read from (the variable that names it). */
  source?: string;
  state: 'ok' | 'missing' | 'unreadable';
  sub?: string;
  aud?: string[];
  iss?: string;
  exp?: number;
}

/** One exchange from inside one pod: what was tried and what came back. No token or credential is ever in it. */
export interface IdentityExchange {
  /** python3, curl, or none. */
  tool: string;
  skipped?: ExchangeSkip;
  /** For `static-keys`: what the SDK would use instead of the configured role or identity. */
  note?: string;
  mode?: ExchangeMode;
  /** `scheme://host[:port]` the request went to. */
  endpoint?: string;
  /** Which variable (or default) chose the endpoint. */
  endpointSource?: string;
  region?: string;
  regionSource?: string;
  /** The identity asked for: the role ARN, the client id, the metadata server's default account. */
  requested?: string;
  tenant?: string;
  /** The proxy the request went through (credentials masked). */
  via?: string;
  token?: TokenClaims;
  outcome: 'ok' | 'refused' | 'unreachable' | 'error' | 'skipped';
  /** What was obtained: the assumed role ARN, the client id, the Google service account. */
  identity?: string;
  /** Seconds the obtained credential is valid for (it is discarded in the pod). */
  expiresIn?: number;
  error?: { code: string; message: string; status?: number; stage?: 'dns' | 'connect' | 'tls' | 'http' };
}

/** What a failed exchange means, from the service's own error. */
export type ExchangeCause =
  | 'subject'
  | 'denied'
  | 'audience'
  | 'expired'
  | 'issuer'
  | 'not-found'
  | 'unreachable'
  | 'tls'
  | 'other';

export function exchangeCause(x: IdentityExchange): ExchangeCause {
  const e = x.error;
  if (!e) return 'other';
  if (e.stage === 'dns' || e.stage === 'connect') return 'unreachable';
  if (e.stage === 'tls') return 'tls';
  const code = e.code;
  const msg = e.message;
  // Azure AD: the AADSTS number says it.
  if (/^AADSTS70021$/.test(code)) return 'subject';
  if (/^AADSTS700212$/.test(code)) return 'audience';
  if (/^AADSTS700211$/.test(code)) return 'issuer';
  if (/^AADSTS(700024|50013)$/.test(code)) return 'expired';
  if (/^AADSTS(700016|90002|900023)$/.test(code)) return 'not-found';
  // STS.
  if (code === 'ExpiredTokenException' || /expired/i.test(msg)) return 'expired';
  if (code === 'InvalidIdentityToken') {
    if (/audience/i.test(msg)) return 'audience';
    if (/OpenIDConnect provider|issuer|thumbprint/i.test(msg)) return 'issuer';
    return 'other';
  }
  if (code === 'AccessDenied' || code === 'AccessDeniedException') return 'denied';
  // The metadata server (GKE) and the pod identity agent answer with HTTP statuses.
  if (e.status === 403) return 'denied';
  if (e.status === 404) return 'not-found';
  return 'other';
}

/** The name of the service that answered, for messages. */
export const EXCHANGE_SERVICE: Record<ExchangeMode, string> = {
  'aws-web-identity': 'STS AssumeRoleWithWebIdentity',
  'aws-pod-identity': 'the EKS Pod Identity agent',
  'azure-workload-identity': 'the Azure AD token endpoint',
  'gcp-metadata': 'the GKE metadata server',
};

export const EXCHANGE_PROVIDER: Record<ExchangeMode, Provider> = {
  'aws-web-identity': 'AWS',
  'aws-pod-identity': 'AWS',
  'azure-workload-identity': 'AZURE',
  'gcp-metadata': 'GCP',
};

/** The audience each token must carry for its exchange. */
export const EXPECTED_AUDIENCE: Partial<Record<ExchangeMode, string>> = {
  'aws-web-identity': 'sts.amazonaws.com',
  'aws-pod-identity': 'pods.eks.amazonaws.com',
  'azure-workload-identity': 'api://AzureADTokenExchange',
};

// --- identity, configured ------------------------------------------------------------------------

/** The azure-workload-identity webhook's token lifetime annotation, and the range it accepts (seconds). */
export const AZURE_TOKEN_EXPIRATION_ANNOTATION = 'azure.workload.identity/service-account-token-expiration';
export const AZURE_TOKEN_EXPIRATION_RANGE = { min: 3600, max: 86400 } as const;

/** EKS Pod Identity: the agent's credentials URI and the token the SDK presents to it. */
export const POD_IDENTITY_ENV = [
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
] as const;

/** Static AWS keys: the SDKs' default chains take them before a web identity token or Pod Identity. */
export const AWS_STATIC_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
