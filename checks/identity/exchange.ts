import { HELM } from '../../src/domain/chart.ts';
import {
  bindCommand,
  EXCHANGE_PROVIDER,
  EXCHANGE_SERVICE,
  EXPECTED_AUDIENCE,
  type ExchangeMode,
  exchangeCause,
  gkeMember,
  gsaProject,
  type IdentityExchange,
  subjectMatches,
  trustBinding,
} from '../../src/domain/identity.ts';
import type { Provider } from '../../src/domain/platforms.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const messages = {
  aws: { status: 'pass', text: '{{service}} at {{where}}: assumed {{identity}}' },
  'pod-identity': { status: 'pass', text: '{{service}} at {{where}}: {{identity}}' },
  azure: {
    status: 'pass',
    text: '{{service}} at {{where}} issued a token for client {{identity}} (tenant {{tenant}})',
  },
  gcp: { status: 'pass', text: '{{service}} at {{where}} issued a token for {{identity}}' },
  'subject-mismatch': {
    status: 'fail',
    text: "{{service}} refused the pod's token ({{code}}): it presents {{presented}}, and {{binding}} from the vendor's Terraform accepts {{expected}}",
    fix: `add {{presented}} to {{binding}}, or set the Helm value ${HELM.serviceAccountName} (and the namespace) back to what it binds; then restart the runner pods`,
    command: '{{command}}',
  },
  denied: {
    status: 'fail',
    text: "{{service}} refused {{requested}} ({{code}}: {{message}}), although the pod presents {{presented}}, the subject the vendor's Terraform binds",
    fix: '{{hint}}',
  },
  audience: {
    status: 'fail',
    text: "{{service}} refused the pod's token for its audience ({{code}}): the token is for {{audience}}, {{service}} expects {{expectedAudience}}",
    fix: '{{hint}}',
  },
  expired: {
    status: 'fail',
    text: "{{service}} refused the pod's token as expired ({{code}}: {{message}})",
    fix: "restart the pod (a new token is projected); if it recurs, the kubelet is not refreshing the projected token: check the node's clock and the token volume's expirationSeconds",
  },
  issuer: {
    status: 'fail',
    text: "{{service}} does not trust the token's issuer {{issuer}} ({{code}}: {{message}})",
    fix: '{{hint}}',
  },
  'not-found': {
    status: 'fail',
    text: '{{service}} does not know {{requested}} ({{code}}: {{message}})',
    fix: '{{hint}}',
  },
  unreachable: {
    status: 'fail',
    text: 'could not reach {{service}} at {{where}}: {{message}}',
    fix: 'network.egress shows the layer that blocks it (NetworkPolicy, firewall, proxy, DNS); allow HTTPS to {{endpoint}}, or point {{source}} at a reachable endpoint',
  },
  tls: {
    status: 'fail',
    text: '{{service}} at {{where}}: {{message}}',
    fix: 'something intercepts TLS (a proxy with its own CA): give the runner that CA (CUSTOM_CERT_LOCATION; AWS_CA_BUNDLE for the AWS SDK) or exempt {{endpoint}} from inspection',
  },
  config: {
    status: 'fail',
    text: 'the workload identity in the pod is incomplete, nothing to exchange: {{message}}',
    fix: '{{hint}}',
  },
  error: { status: 'warn', text: '{{service}} at {{where}} answered {{code}}: {{message}}', fix: '{{hint}}' },
  'static-keys': {
    status: 'skip',
    text: "no exchange: {{note}} come first in the SDK's credential chain, so the workload identity is not what the runner uses (see credentials.aws)",
  },
  'key-file': {
    status: 'skip',
    text: 'no exchange: GOOGLE_APPLICATION_CREDENTIALS names a key file, which the SDK uses instead of the metadata server',
  },
  'no-identity': { status: 'skip', text: 'no workload identity in the environment to exchange (see credentials.*)' },
  disabled: {
    status: 'skip',
    text: 'the identity exchange is turned off (--no-identity-exchange, or --no-derived-targets)',
  },
  'no-tool': {
    status: 'info',
    text: 'neither python3 nor curl in the image{{what}}: the token exchange could not be tested from inside the pod',
  },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

/** What to do about a refusal, per cloud, in its own words. */
const HINTS: Record<Provider, Partial<Record<string, string>>> = {
  AWS: {
    denied: `the role's trust policy must name this cluster's IAM OIDC provider, and the role must still exist: a Terraform destroy/apply renames it (set ${HELM.roleArn} to the current ARN)`,
    audience:
      'the projected token must have the audience sts.amazonaws.com (the EKS pod identity webhook mounts it so): check the eks.amazonaws.com/audience annotation and the token volume',
    issuer:
      "create the IAM OIDC provider for the cluster's issuer (eksctl utils associate-iam-oidc-provider --cluster <cluster> --approve) and name it in the role's trust policy",
    'not-found': `set ${HELM.roleArn} to the role the vendor's Terraform created`,
    config:
      'the EKS pod identity webhook injects AWS_ROLE_ARN and the token: annotate the ServiceAccount and restart the pods',
    error: 'see the STS error code in the AWS documentation for AssumeRoleWithWebIdentity',
  },
  AZURE: {
    denied: 'check the federated identity credential (issuer, subject, audience) of the managed identity',
    audience:
      'the federated identity credential must have the audience api://AzureADTokenExchange (the webhook projects the token for it)',
    issuer:
      "the federated identity credential's issuer must be the cluster's OIDC issuer URL (az aks show --query oidcIssuerProfile.issuerUrl)",
    'not-found': `set ${HELM.azureClientId} (the ServiceAccount's azure.workload.identity/client-id) and AZURE_TENANT_ID to the identity the vendor's Terraform created`,
    config: `set ${HELM.azureClientId}; the azure-workload-identity webhook injects AZURE_CLIENT_ID, AZURE_TENANT_ID and the token file into pods labelled azure.workload.identity/use: "true"`,
    error: 'see the AADSTS code in the Microsoft Entra error reference',
  },
  GCP: {
    denied:
      'grant roles/iam.workloadIdentityUser on the Google service account to the member the pod presents, and check the iam.gke.io/gcp-service-account annotation',
    'not-found': `set ${HELM.gcpServiceAccount} to the Google service account the vendor's Terraform created`,
    config: 'GKE workload identity must be enabled on the cluster and the node pool (GKE_METADATA)',
    error: 'see the metadata server answer; GKE workload identity must be enabled on the node pool',
  },
};

export default defineCheck({
  id: 'identity.exchange',
  title: "The pod's own token is exchanged for cloud credentials, as its SDK would",
  category: 'identity',
  scope: 'pod',
  tags: ['aws', 'azure', 'gcp'],
  docs: {
    what: "From inside each runner pod, exchanges the pod's own projected token exactly as the runner's SDK would: STS AssumeRoleWithWebIdentity at the endpoint the pod's env selects (AWS_ENDPOINT_URL_STS, else the regional endpoint for AWS_REGION), the Azure AD token endpoint (AZURE_AUTHORITY_HOST) with the token as client_assertion for AZURE_CLIENT_ID/AZURE_TENANT_ID, the GKE metadata server (GCE_METADATA_HOST), or the EKS Pod Identity agent. Reports the identity obtained, or the cause of a refusal: the subject the pod presents against the one the vendor's Terraform binds, the audience, an expired token, an unknown issuer, an unreachable endpoint. The token and the credentials never leave the pod.",
    why: 'A configuration that looks right can still be refused: the trust policy accepts only system:serviceaccount:*:matillion-runner-sa, the federated credential one namespace and ServiceAccount, the GKE binding one [namespace/ksa] pair. Another release, ServiceAccount name or namespace breaks the exchange silently and the runner fails at run time.',
    fix: 'Make the binding (trust policy, federated credential, IAM binding) accept the subject the pod presents, or install with the ServiceAccount name and namespace it binds.',
  },
  needs: ['identityExchange'],
  messages,
  judge({ identityExchange: x }, { report }) {
    if (x.skipped === 'disabled') return report('disabled');
    if (x.skipped === 'no-tool')
      return report('no-tool', { what: x.mode ? ` (${x.mode} needs python3)` : '' }, { details: details(x) });
    if (x.skipped === 'static-keys') return report('static-keys', { note: x.note ?? 'static credentials' });
    if (x.skipped === 'key-file') return report('key-file');
    if (x.skipped || !x.mode) return report('no-identity');
    return judgeExchange(x, x.mode, report);
  },
});

const PASS: Record<ExchangeMode, Id> = {
  'aws-web-identity': 'aws',
  'aws-pod-identity': 'pod-identity',
  'azure-workload-identity': 'azure',
  'gcp-metadata': 'gcp',
};

function details(x: IdentityExchange): Record<string, unknown> {
  return {
    mode: x.mode,
    tool: x.tool,
    endpoint: x.endpoint,
    endpointSource: x.endpointSource,
    region: x.region,
    regionSource: x.regionSource,
    requested: x.requested,
    identity: x.identity,
    via: x.via,
    subject: x.token?.sub,
    audience: x.token?.aud,
    tokenExpires: x.token?.exp,
    error: x.error,
  };
}

function judgeExchange(x: IdentityExchange, mode: ExchangeMode, report: JudgeContext<Id>['report']): Finding<Id> {
  const provider = EXCHANGE_PROVIDER[mode];
  const project = gsaProject(x.requested);
  const binding = trustBinding(provider, 'runner', project);
  const sub = x.token?.sub;
  const presented = sub ? (provider === 'GCP' ? gkeMember(sub, project) : sub) : 'no readable subject';
  const region = x.region ? `, region ${x.region} from ${x.regionSource ?? 'the environment'}` : '';
  const hint = (kind: string) => HINTS[provider][kind] ?? HINTS[provider].error ?? '';
  const vars = {
    service: EXCHANGE_SERVICE[mode],
    where: `${x.endpoint ?? '?'} (${x.endpointSource ?? 'default'}${region})`,
    endpoint: x.endpoint ?? '?',
    source: x.endpointSource ?? 'the endpoint variable',
    identity: x.identity ?? '?',
    requested: x.requested ?? 'the configured identity',
    tenant: x.tenant ?? '?',
    presented,
    expected: binding.display,
    binding: binding.binding,
    code: x.error?.code ?? '?',
    message: x.error?.message ?? '',
  };
  const extra = { details: details(x) };
  if (x.outcome === 'ok') return report(PASS[mode], vars, extra);
  const cause = exchangeCause(x);
  const mismatch = sub !== undefined && !subjectMatches(binding.pattern, sub);
  if (cause === 'subject' || (cause === 'denied' && mismatch))
    return report(
      'subject-mismatch',
      { ...vars, command: bindCommand(provider, sub ?? '', { project, gsa: x.requested }) },
      extra,
    );
  if (cause === 'denied') return report('denied', { ...vars, hint: hint('denied') }, extra);
  if (cause === 'audience')
    return report(
      'audience',
      {
        ...vars,
        audience: x.token?.aud?.join(', ') || 'no audience',
        expectedAudience: EXPECTED_AUDIENCE[mode] ?? 'its own audience',
        hint: hint('audience'),
      },
      extra,
    );
  if (cause === 'expired') return report('expired', vars, extra);
  if (cause === 'issuer')
    return report('issuer', { ...vars, issuer: x.token?.iss ?? '?', hint: hint('issuer') }, extra);
  if (cause === 'not-found') return report('not-found', { ...vars, hint: hint('not-found') }, extra);
  if (cause === 'unreachable') return report('unreachable', vars, extra);
  if (cause === 'tls') return report('tls', vars, extra);
  if (x.error && (x.error.code === 'config' || x.error.code.startsWith('token-')))
    return report('config', { ...vars, hint: hint('config') }, extra);
  return report('error', { ...vars, hint: hint('error') }, extra);
}
