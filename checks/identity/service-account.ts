import { defineCheck, fail, info, pass, warn } from '../../src/engine/define.ts';
import type { Outcome } from '../../src/engine/types.ts';
import type { V1Pod, V1ServiceAccount } from '@kubernetes/client-node';
import { cloudProviderOf, podName, runnerContainer } from '../../src/facts/kube/runner.ts';
import { IRSA_ARN, PLACEHOLDER } from '../../src/probe/env.ts';

/** Static credentials wired into the pod from Secrets (names only). */
function staticCredentials(p: V1Pod): string[] {
  const c = runnerContainer(p);
  const fromEnv = (c?.env ?? []).filter((e) => e.valueFrom?.secretKeyRef && /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AZURE_CLIENT_SECRET/.test(e.name)).map((e) => `${e.name} from Secret ${e.valueFrom!.secretKeyRef!.name}`);
  const fromEnvFrom = (c?.envFrom ?? []).filter((e) => /-(aws-local|azure-sp)$/.test(e.secretRef?.name ?? '')).map((e) => `envFrom Secret ${e.secretRef!.name}`);
  return [...fromEnv, ...fromEnvFrom];
}

function judge(p: V1Pod, sa: V1ServiceAccount | undefined): Outcome {
  const target = podName(p);
  const provider = cloudProviderOf(p);
  const ann = sa?.metadata?.annotations ?? {};
  const saName = p.spec?.serviceAccountName ?? 'default';
  const statics = staticCredentials(p);
  const automount = p.spec?.automountServiceAccountToken ?? sa?.automountServiceAccountToken ?? true;
  if (!provider) return warn('CLOUD_PROVIDER is not set on the runner container: cannot tell which workload identity to expect', { target, remediation: 'set the cloud provider Helm value (AWS, AZURE or GCP)' });
  if (!sa) return fail(`ServiceAccount ${saName} does not exist`, { target, remediation: `create it (the chart does, as matillion-runner-sa; the AWS trust policy names it)` });
  if (provider === 'AWS') {
    const arn = ann['eks.amazonaws.com/role-arn'];
    if (!arn) {
      if (statics.length) return info(`no IRSA role: static AWS keys are used (${statics.join(', ')}); IRSA is recommended`, { target, remediation: `annotate ServiceAccount ${saName} with eks.amazonaws.com/role-arn and drop the static keys` });
      return fail(`ServiceAccount ${saName} has no eks.amazonaws.com/role-arn annotation and the pod has no static AWS keys`, { target, remediation: { text: `set the service account role ARN Helm value; the role's trust policy must allow system:serviceaccount:${p.metadata?.namespace}:${saName}`, command: `kubectl annotate sa -n ${p.metadata?.namespace} ${saName} eks.amazonaws.com/role-arn=arn:aws:iam::<account>:role/<role>` } });
    }
    if (PLACEHOLDER.test(arn)) return fail(`IRSA role ARN is an unfilled placeholder (${arn})`, { target, remediation: 'set the service account role ARN Helm value to the runner\'s IAM role and run helm upgrade' });
    if (!IRSA_ARN.test(arn)) return warn(`IRSA role ARN "${arn}" is malformed (expected arn:aws:iam::<account>:role/<name>)`, { target, details: { roleArn: arn } });
    return pass(`IRSA: ServiceAccount ${saName} → ${arn}`, { target, details: { roleArn: arn } });
  }
  if (provider === 'AZURE') {
    const clientId = ann['azure.workload.identity/client-id'];
    const saUse = sa.metadata?.labels?.['azure.workload.identity/use'] === 'true';
    const podUse = p.metadata?.labels?.['azure.workload.identity/use'] === 'true';
    const missing = [!clientId && `annotation azure.workload.identity/client-id on ServiceAccount ${saName}`, !saUse && `label azure.workload.identity/use: "true" on ServiceAccount ${saName}`, !podUse && 'label azure.workload.identity/use: "true" on the pod'].filter(Boolean) as string[];
    if (missing.length === 3 && statics.length) return info(`no workload identity: a service principal secret is used (${statics.join(', ')}); workload identity is recommended`, { target });
    if (missing.length) return fail(`Azure workload identity incomplete: missing ${missing.join('; ')}`, { target, remediation: 'enable workload identity in the chart values (client id + the azure.workload.identity/use label on the ServiceAccount and the pod template), then restart the pods' });
    if (PLACEHOLDER.test(clientId!)) return fail(`azure.workload.identity/client-id is an unfilled placeholder (${clientId})`, { target });
    if (!automount) return warn('workload identity is configured but automountServiceAccountToken is false', { target, remediation: 'set automountServiceAccountToken: true for Azure workload identity (the chart does)' });
    return pass(`Azure workload identity: client id ${clientId}, labels on ServiceAccount and pod`, { target });
  }
  const gsa = ann['iam.gke.io/gcp-service-account'];
  if (!gsa) return statics.length ? info('no GKE workload identity annotation; static credentials are used', { target }) : fail(`ServiceAccount ${saName} has no iam.gke.io/gcp-service-account annotation`, { target, remediation: `annotate ServiceAccount ${saName} with iam.gke.io/gcp-service-account=<name>@<project>.iam.gserviceaccount.com and grant roles/iam.workloadIdentityUser` });
  if (PLACEHOLDER.test(gsa)) return fail(`iam.gke.io/gcp-service-account is an unfilled placeholder (${gsa})`, { target });
  if (!automount) return warn('GKE workload identity is configured but automountServiceAccountToken is false', { target });
  return pass(`GKE workload identity: ${gsa}`, { target });
}

export default defineCheck({
  id: 'identity.service-account',
  title: 'ServiceAccount and workload identity match CLOUD_PROVIDER',
  category: 'identity',
  scope: 'cluster',
  severity: 'fail',
  tags: ['aws', 'azure', 'gcp'],
  docs: {
    what: 'Per runner pod: its ServiceAccount exists and carries the workload identity CLOUD_PROVIDER needs — IRSA role ARN (placeholder → fail, malformed → warn), Azure client-id annotation plus the azure.workload.identity/use label on the ServiceAccount and the pod, or the GKE annotation; static keys from Secrets are reported as info.',
    why: 'Without workload identity the runner cannot reach its cloud\'s secrets, storage and logs; static keys work but do not rotate.',
    fix: 'Set the identity Helm values (role ARN / client id / GCP service account) and, for Azure, the azure.workload.identity/use label on the ServiceAccount and pod template.',
  },
  needs: ['kube'],
  requires: ['workload.runner-pods'],
  async run({ fact }) {
    const snap = await fact('kube');
    const [pods, sas] = await Promise.all([snap.runnerPods(), snap.serviceAccounts()]);
    return pods.map((p) => judge(p, sas.find((s) => s.metadata?.namespace === p.metadata?.namespace && s.metadata?.name === (p.spec?.serviceAccountName ?? 'default'))));
  },
});
