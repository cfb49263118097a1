import { defineCheck } from '../../src/engine/define.ts';
import { isSet, providerApplies } from '../../src/domain/env.ts';

const TOKEN_VAR = 'AZURE_FEDERATED_TOKEN_FILE';
const IDS = ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID'] as const;

export default defineCheck({
  id: 'credentials.azure',
  title: 'Azure credentials: workload identity token and ids, or a service principal',
  category: 'credentials',
  scope: 'pod',
  tags: ['azure', 'identity'],
  docs: {
    what: 'Looks for Azure workload identity (AZURE_FEDERATED_TOKEN_FILE readable + AZURE_CLIENT_ID + AZURE_TENANT_ID) or a service principal secret (AZURE_CLIENT_SECRET).',
    why: 'Without credentials the runner cannot read its Key Vault or write to Blob storage; a service principal secret works but expires and does not rotate.',
    fix: 'Enable workload identity: azure.workload.identity/client-id on the ServiceAccount, azure.workload.identity/use: "true" on the ServiceAccount and the pod, and a federated credential for system:serviceaccount:<namespace>:matillion-runner-sa.',
  },
  needs: ['env', 'credentials'],
  messages: {
    'workload-identity': {
      status: 'pass',
      text: 'Azure workload identity: token file readable, client and tenant ids set',
    },
    'service-principal': {
      status: 'info',
      text: 'Azure service principal secret in use: it expires and does not rotate; workload identity is recommended',
      fix: 'move to workload identity and remove the azure-sp Secret',
    },
    'token-file-unusable': {
      status: 'fail',
      text: 'the workload identity token file is {{state}}',
      fix: 'the azure-workload-identity webhook must mount the projected token: label the pod azure.workload.identity/use: "true" and restart it',
    },
    'wi-ids-missing': {
      status: 'fail',
      text: 'workload identity token present but {{missing}} missing',
      fix: 'set azure.workload.identity/client-id on the ServiceAccount (the webhook injects AZURE_CLIENT_ID and AZURE_TENANT_ID)',
    },
    'sp-ids-missing': { status: 'fail', text: 'service principal secret set but {{missing}} missing' },
    'no-credentials': {
      status: 'fail',
      text: 'no Azure credentials: no workload identity token file (is the pod labelled azure.workload.identity/use: "true"?) and no service principal secret',
      fix: 'label the ServiceAccount and the pod template with azure.workload.identity/use: "true", annotate the ServiceAccount with azure.workload.identity/client-id, then restart the pods',
    },
    'not-azure': { status: 'skip', text: 'CLOUD_PROVIDER is not AZURE' },
  },
  judge({ env, credentials }, { report }) {
    if (!providerApplies(env, 'AZURE', ['AZURE_CLIENT_ID', TOKEN_VAR, 'AZURE_CLIENT_SECRET']))
      return report('not-azure');
    const missing = IDS.filter((n) => !isSet(env, n)).join(' and ');
    if (isSet(env, TOKEN_VAR)) {
      const token = credentials.tokens[TOKEN_VAR];
      if (token?.state !== 'ok') return report('token-file-unusable', { state: token?.state ?? 'missing' });
      if (missing) return report('wi-ids-missing', { missing });
      return report('workload-identity');
    }
    if (isSet(env, 'AZURE_CLIENT_SECRET'))
      return missing ? report('sp-ids-missing', { missing }) : report('service-principal');
    return report('no-credentials');
  },
});
