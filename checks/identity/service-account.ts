import { PLACEHOLDER } from '../../src/domain/chart.ts';
import type { Pod, ServiceAccount } from '../../src/domain/kube.ts';
import { IRSA_ARN } from '../../src/domain/platforms.ts';
import { cloudProviderOf, literalEnv, podName, runnerContainer } from '../../src/domain/runner.ts';
import { POD_IDENTITY_ENV } from '../../src/domain/identity.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const IRSA_ANNOTATION = 'eks.amazonaws.com/role-arn';
const AZURE_CLIENT_ID = 'azure.workload.identity/client-id';
const AZURE_USE = 'azure.workload.identity/use';
const GKE_ANNOTATION = 'iam.gke.io/gcp-service-account';

const messages = {
  irsa: { status: 'pass', text: 'IRSA: ServiceAccount {{sa}} → {{arn}}' },
  azure: { status: 'pass', text: 'Azure workload identity: client id {{clientId}}, labels on ServiceAccount and pod' },
  gke: { status: 'pass', text: 'GKE workload identity: {{gsa}}' },
  'no-provider': {
    status: 'warn',
    text: 'CLOUD_PROVIDER is not set on the runner container: cannot tell which workload identity to expect',
    fix: 'set the cloud provider Helm value (AWS, AZURE or GCP)',
  },
  'no-service-account': {
    status: 'fail',
    text: 'ServiceAccount {{sa}} does not exist',
    fix: 'create it (the chart does, as matillion-runner-sa; the AWS trust policy names it)',
  },
  'aws-static-keys': {
    status: 'info',
    text: 'no IRSA role: static AWS keys are used ({{statics}}); IRSA is recommended',
    fix: `annotate ServiceAccount {{sa}} with ${IRSA_ANNOTATION} and drop the static keys`,
  },
  'pod-identity': {
    status: 'pass',
    text: 'EKS Pod Identity: the agent credentials URI and token are injected into the pod (the role comes from the Pod Identity association, not the ServiceAccount)',
  },
  'static-keys-first': {
    status: 'warn',
    text: "{{mode}} is configured, but the pod also gets static AWS keys ({{statics}}): the SDKs' default chain takes the keys first, so the role is never used",
    fix: 'remove the static keys from the runner (the <fullname>-aws-local Secret, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in its env) and restart the pods',
  },
  'irsa-missing': {
    status: 'fail',
    text: `ServiceAccount {{sa}} has no ${IRSA_ANNOTATION} annotation and the pod has no static AWS keys`,
    fix: "set the service account role ARN Helm value; the role's trust policy must allow system:serviceaccount:{{namespace}}:{{sa}}",
    command: `kubectl annotate sa -n {{namespace}} {{sa}} ${IRSA_ANNOTATION}=arn:aws:iam::<account>:role/<role>`,
  },
  'irsa-placeholder': {
    status: 'fail',
    text: 'IRSA role ARN is an unfilled placeholder ({{arn}})',
    fix: "set the service account role ARN Helm value to the runner's IAM role and run helm upgrade",
  },
  'irsa-malformed': {
    status: 'warn',
    text: 'IRSA role ARN "{{arn}}" is malformed (expected arn:aws:iam::<account>:role/<name>)',
  },
  'azure-sp-secret': {
    status: 'info',
    text: 'no workload identity: a service principal secret is used ({{statics}}); workload identity is recommended',
  },
  'azure-incomplete': {
    status: 'fail',
    text: 'Azure workload identity incomplete: missing {{missing}}',
    fix: `enable workload identity in the chart values (client id + the ${AZURE_USE} label on the ServiceAccount and the pod template), then restart the pods`,
  },
  'azure-placeholder': { status: 'fail', text: `${AZURE_CLIENT_ID} is an unfilled placeholder ({{clientId}})` },
  'azure-no-token': {
    status: 'warn',
    text: 'workload identity is configured but automountServiceAccountToken is false',
    fix: 'set automountServiceAccountToken: true for Azure workload identity (the chart does)',
  },
  'gke-static': { status: 'info', text: 'no GKE workload identity annotation; static credentials are used' },
  'gke-missing': {
    status: 'fail',
    text: `ServiceAccount {{sa}} has no ${GKE_ANNOTATION} annotation`,
    fix: `annotate ServiceAccount {{sa}} with ${GKE_ANNOTATION}=<name>@<project>.iam.gserviceaccount.com and grant roles/iam.workloadIdentityUser`,
  },
  'gke-placeholder': { status: 'fail', text: `${GKE_ANNOTATION} is an unfilled placeholder ({{gsa}})` },
  'gke-no-token': {
    status: 'warn',
    text: 'GKE workload identity is configured but automountServiceAccountToken is false',
  },
  'no-pods': { status: 'info', text: 'no runner pods to examine' },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;
type Report = JudgeContext<Id>['report'];

export default defineCheck({
  id: 'identity.service-account',
  title: 'ServiceAccount and workload identity match CLOUD_PROVIDER',
  category: 'identity',
  scope: 'cluster',
  tags: ['aws', 'azure', 'gcp'],
  docs: {
    what: 'Per runner pod: its ServiceAccount exists and carries the workload identity CLOUD_PROVIDER needs — IRSA role ARN (placeholder → fail, malformed → warn), Azure client-id annotation plus the azure.workload.identity/use label on the ServiceAccount and the pod, or the GKE annotation; static keys from Secrets are reported as info.',
    why: "Without workload identity the runner cannot reach its cloud's secrets, storage and logs; static keys work but do not rotate.",
    fix: 'Set the identity Helm values (role ARN / client id / GCP service account) and, for Azure, the azure.workload.identity/use label on the ServiceAccount and pod template.',
  },
  needs: ['runnerPods', 'serviceAccounts'],
  requires: ['workload.runner-pods'],
  messages,
  judge({ runnerPods, serviceAccounts }, { report }) {
    // No pods only when run without workload.runner-pods, which fails on none.
    if (runnerPods.length === 0) return report('no-pods');
    return runnerPods.map((p) => {
      const saName = p.spec?.serviceAccountName ?? 'default';
      const sa = serviceAccounts.find(
        (s) => s.metadata?.namespace === p.metadata?.namespace && s.metadata?.name === saName,
      );
      return judgePod(p, saName, sa, report);
    });
  },
});

/** Static credentials wired into the pod from Secrets (names only). */
function staticCredentials(p: Pod): string[] {
  const c = runnerContainer(p);
  const fromEnv = (c?.env ?? []).flatMap((e) => {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref && /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AZURE_CLIENT_SECRET/.test(e.name))
      return [`${e.name} from Secret ${ref.name}`];
    // A literal key in the pod spec (its value is masked where the pod is collected).
    return e.value && /^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY)$/.test(e.name) ? [`${e.name} in the pod spec`] : [];
  });
  const fromEnvFrom = (c?.envFrom ?? []).flatMap((e) => {
    const name = e.secretRef?.name ?? '';
    return /-(aws-local|azure-sp)$/.test(name) ? [`envFrom Secret ${name}`] : [];
  });
  return [...fromEnv, ...fromEnvFrom];
}

function judgePod(p: Pod, saName: string, sa: ServiceAccount | undefined, report: Report): Finding<Id> {
  const target = podName(p);
  const provider = cloudProviderOf(p);
  if (!provider) return report('no-provider', {}, { target });
  if (!sa) return report('no-service-account', { sa: saName }, { target });
  const id = {
    p,
    saName,
    sa,
    target,
    statics: staticCredentials(p),
    automount: p.spec?.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true,
  };
  if (provider === 'AWS') return judgeAws(id, report);
  if (provider === 'AZURE') return judgeAzure(id, report);
  return judgeGke(id, report);
}

interface Identity {
  p: Pod;
  saName: string;
  sa: ServiceAccount;
  target: string;
  statics: string[];
  automount: boolean;
}

function judgeAws({ p, saName, sa, target, statics }: Identity, report: Report): Finding<Id> {
  const arn = sa.metadata?.annotations?.[IRSA_ANNOTATION];
  // EKS Pod Identity: the webhook injects the agent's URI and token into the pod; no annotation needed.
  const podIdentity = POD_IDENTITY_ENV.every((n) => literalEnv(p).has(n));
  if (!arn) {
    if (podIdentity && statics.length)
      return report('static-keys-first', { mode: 'EKS Pod Identity', statics: statics.join(', ') }, { target });
    if (podIdentity) return report('pod-identity', {}, { target });
    if (statics.length) return report('aws-static-keys', { statics: statics.join(', '), sa: saName }, { target });
    return report('irsa-missing', { sa: saName, namespace: p.metadata?.namespace ?? 'default' }, { target });
  }
  if (PLACEHOLDER.test(arn)) return report('irsa-placeholder', { arn }, { target });
  if (!IRSA_ARN.test(arn)) return report('irsa-malformed', { arn }, { target, details: { roleArn: arn } });
  if (statics.length)
    return report(
      'static-keys-first',
      { mode: `IRSA (role ${arn})`, statics: statics.join(', ') },
      { target, details: { roleArn: arn, statics } },
    );
  return report('irsa', { sa: saName, arn }, { target, details: { roleArn: arn } });
}

function judgeAzure({ p, saName, sa, target, statics, automount }: Identity, report: Report): Finding<Id> {
  const clientId = sa.metadata?.annotations?.[AZURE_CLIENT_ID];
  const missing: string[] = [];
  if (!clientId) missing.push(`annotation ${AZURE_CLIENT_ID} on ServiceAccount ${saName}`);
  if (sa.metadata?.labels?.[AZURE_USE] !== 'true')
    missing.push(`label ${AZURE_USE}: "true" on ServiceAccount ${saName}`);
  if (p.metadata?.labels?.[AZURE_USE] !== 'true') missing.push(`label ${AZURE_USE}: "true" on the pod`);
  if (missing.length === 3 && statics.length)
    return report('azure-sp-secret', { statics: statics.join(', ') }, { target });
  if (missing.length || !clientId) return report('azure-incomplete', { missing: missing.join('; ') }, { target });
  if (PLACEHOLDER.test(clientId)) return report('azure-placeholder', { clientId }, { target });
  if (!automount) return report('azure-no-token', {}, { target });
  return report('azure', { clientId }, { target });
}

function judgeGke({ saName, sa, target, statics, automount }: Identity, report: Report): Finding<Id> {
  const gsa = sa.metadata?.annotations?.[GKE_ANNOTATION];
  if (!gsa)
    return statics.length ? report('gke-static', {}, { target }) : report('gke-missing', { sa: saName }, { target });
  if (PLACEHOLDER.test(gsa)) return report('gke-placeholder', { gsa }, { target });
  if (!automount) return report('gke-no-token', {}, { target });
  return report('gke', { gsa }, { target });
}
