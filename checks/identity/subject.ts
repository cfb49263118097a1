import { HELM, SERVICE_ACCOUNT } from '../../src/domain/chart.ts';
import {
  bindCommand,
  gkeMember,
  gsaProject,
  POD_IDENTITY_ENV,
  subjectMatches,
  subjectOf,
  trustBinding,
  VENDOR_NAMESPACE,
} from '../../src/domain/identity.ts';
import type { Pod, ServiceAccount } from '../../src/domain/kube.ts';
import type { Provider } from '../../src/domain/platforms.ts';
import { cloudProviderOf, literalEnv } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const IDENTITY_ANNOTATION: Record<Provider, string> = {
  AWS: 'eks.amazonaws.com/role-arn',
  AZURE: 'azure.workload.identity/client-id',
  GCP: 'iam.gke.io/gcp-service-account',
};

const messages = {
  match: {
    status: 'pass',
    text: "the runner presents {{subject}}, which {{binding}} from the vendor's Terraform accepts ({{expected}})",
  },
  'aws-mismatch': {
    status: 'warn',
    text: "the runner presents {{subject}}, but the IAM role's trust policy from the vendor's Terraform accepts only {{expected}}: STS will refuse its token",
    fix: `put {{subject}} into the role's trust policy (StringLike on <oidc-provider>:sub), or set the Helm value ${HELM.serviceAccountName} to ${SERVICE_ACCOUNT}`,
    command: '{{command}}',
  },
  'azure-mismatch': {
    status: 'warn',
    text: "the runner presents {{subject}}, but the federated identity credential from the vendor's Terraform names {{expected}}: Azure AD will refuse its token (AADSTS70021)",
    fix: `create a federated identity credential with the subject {{subject}}, or install into namespace ${VENDOR_NAMESPACE} with ${HELM.serviceAccountName} ${SERVICE_ACCOUNT}`,
    command: '{{command}}',
  },
  'gke-mismatch': {
    status: 'warn',
    text: "the runner presents {{member}}, but the vendor's Terraform grants roles/iam.workloadIdentityUser to {{expected}}: the metadata server will refuse it a token",
    fix: `grant roles/iam.workloadIdentityUser to {{member}}, or install into namespace ${VENDOR_NAMESPACE} with ${HELM.serviceAccountName} ${SERVICE_ACCOUNT}`,
    command: '{{command}}',
  },
  'no-workload-identity': {
    status: 'skip',
    text: 'ServiceAccount {{sa}} carries no workload identity to bind (see identity.service-account)',
  },
  'no-provider': {
    status: 'skip',
    text: 'CLOUD_PROVIDER is not AWS, AZURE or GCP on the runner (see identity.service-account)',
  },
  'no-pods': { status: 'info', text: 'no runner pods to examine' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

const MISMATCH: Record<Provider, Id> = { AWS: 'aws-mismatch', AZURE: 'azure-mismatch', GCP: 'gke-mismatch' };

export default defineCheck({
  id: 'identity.subject',
  title: "The runner's ServiceAccount is the subject the cloud binding accepts",
  category: 'identity',
  scope: 'cluster',
  tags: ['aws', 'azure', 'gcp'],
  docs: {
    what: "Compares the subject each runner pod presents (system:serviceaccount:<namespace>:<ServiceAccount>) with what the vendor's Terraform binds: the IAM role's trust policy system:serviceaccount:*:matillion-runner-sa, the Azure federated identity credential system:serviceaccount:matillion:matillion-runner-sa, the GKE roles/iam.workloadIdentityUser member <project>.svc.id.goog[matillion/matillion-runner-sa].",
    why: 'Another release name, ServiceAccount name or namespace looks fine in the cluster and breaks the token exchange silently: the runner starts, then fails every cloud call at run time.',
    fix: 'Update the binding the finding names with the subject it gives, or install with the ServiceAccount name and namespace the binding names.',
  },
  needs: ['runnerPods', 'serviceAccounts'],
  requires: ['workload.runner-pods'],
  messages,
  judge({ runnerPods, serviceAccounts }, { report }) {
    if (runnerPods.length === 0) return report('no-pods');
    const seen = new Set<string>();
    const out: Finding<Id>[] = [];
    for (const p of runnerPods) {
      const ns = p.metadata?.namespace ?? 'default';
      const saName = p.spec?.serviceAccountName ?? 'default';
      if (seen.has(`${ns}/${saName}`)) continue;
      seen.add(`${ns}/${saName}`);
      const sa = serviceAccounts.find((s) => s.metadata?.namespace === ns && s.metadata?.name === saName);
      out.push(judgeSubject(p, ns, saName, sa, report));
    }
    return out;
  },
});

function judgeSubject(
  p: Pod,
  ns: string,
  saName: string,
  sa: ServiceAccount | undefined,
  report: JudgeContext<Id>['report'],
): Finding<Id> {
  const target = `${ns}/${saName}`;
  const provider = cloudProviderOf(p);
  if (!provider) return report('no-provider', {}, { target });
  const annotation = sa?.metadata?.annotations?.[IDENTITY_ANNOTATION[provider]];
  // EKS Pod Identity binds by association, not by a trust policy on the subject (unless IRSA's env, which
  // the SDKs take first, is there too).
  const env = literalEnv(p);
  const podIdentity = POD_IDENTITY_ENV.every((n) => env.has(n)) && !env.has('AWS_ROLE_ARN');
  if (!annotation || (provider === 'AWS' && podIdentity))
    return report('no-workload-identity', { sa: target }, { target });
  const project = provider === 'GCP' ? gsaProject(annotation) : undefined;
  const binding = trustBinding(provider, 'runner', project);
  const subject = subjectOf(ns, saName);
  const vars = {
    subject,
    expected: binding.display,
    binding: binding.binding,
    member: gkeMember(subject, project),
    command: bindCommand(provider, subject, { project, gsa: annotation }),
  };
  const details = { subject, bound: binding.pattern, provider };
  if (subjectMatches(binding.pattern, subject)) return report('match', vars, { target, details });
  return report(MISMATCH[provider], vars, { target, details });
}
