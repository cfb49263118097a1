import { defineCheck, fail, info, pass, skip } from '../../src/engine/define.ts';
import { isSet, providerApplies } from '../../src/probe/env.ts';

export default defineCheck({
  id: 'credentials.azure',
  title: 'Azure credentials: workload identity token and ids, or a service principal',
  category: 'credentials',
  scope: 'pod',
  severity: 'fail',
  tags: ['azure', 'identity'],
  docs: {
    what: 'Looks for Azure workload identity (AZURE_FEDERATED_TOKEN_FILE readable + AZURE_CLIENT_ID + AZURE_TENANT_ID) or a service principal secret (AZURE_CLIENT_SECRET).',
    why: 'Without credentials the runner cannot read its Key Vault or write to Blob storage; a service principal secret works but expires and does not rotate.',
    fix: 'Enable workload identity: azure.workload.identity/client-id on the ServiceAccount, azure.workload.identity/use: "true" on the ServiceAccount and the pod, and a federated credential for system:serviceaccount:<namespace>:matillion-runner-sa.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const p = await fact('probe');
    if (!providerApplies(p, 'AZURE', ['AZURE_CLIENT_ID', 'AZURE_FEDERATED_TOKEN_FILE', 'AZURE_CLIENT_SECRET'])) return skip('not applicable: CLOUD_PROVIDER is not AZURE');
    const token = p.tokens.AZURE_FEDERATED_TOKEN_FILE;
    const ids = ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID'].filter((n) => !isSet(p, n));
    if (isSet(p, 'AZURE_FEDERATED_TOKEN_FILE')) {
      if (!token || token.state !== 'ok') return fail(`the workload identity token file is ${token?.state ?? 'missing'}`, { remediation: 'the azure-workload-identity webhook must mount the projected token: label the pod azure.workload.identity/use: "true" and restart it' });
      if (ids.length) return fail(`workload identity token present but ${ids.join(' and ')} missing`, { remediation: 'set azure.workload.identity/client-id on the ServiceAccount (the webhook injects AZURE_CLIENT_ID and AZURE_TENANT_ID)' });
      return pass('Azure workload identity: token file readable, client and tenant ids set');
    }
    if (isSet(p, 'AZURE_CLIENT_SECRET')) {
      if (ids.length) return fail(`service principal secret set but ${ids.join(' and ')} missing`);
      return info('Azure service principal secret in use: it expires and does not rotate; workload identity is recommended', { remediation: 'move to workload identity and remove the azure-sp Secret' });
    }
    return fail('no Azure credentials: no workload identity token file (is the pod labelled azure.workload.identity/use: "true"?) and no service principal secret', {
      remediation: 'label the ServiceAccount and the pod template with azure.workload.identity/use: "true", annotate the ServiceAccount with azure.workload.identity/client-id, then restart the pods',
    });
  },
});
