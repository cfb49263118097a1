import { defineCheck, info, pass, skip } from '../../src/engine/define.ts';
import { isSet, providerApplies } from '../../src/probe/env.ts';

export default defineCheck({
  id: 'credentials.gcp',
  title: 'GCP credentials: workload identity rather than a key file',
  category: 'credentials',
  scope: 'pod',
  severity: 'warn',
  tags: ['gcp', 'identity'],
  docs: {
    what: 'Looks for GOOGLE_APPLICATION_CREDENTIALS (a static key file); without it the runner uses GKE workload identity through the metadata server.',
    why: 'Key files do not rotate and leak easily; GKE workload identity is the supported path.',
    fix: 'Annotate matillion-runner-sa with iam.gke.io/gcp-service-account and grant roles/iam.workloadIdentityUser; remove the key file.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const p = await fact('probe');
    if (!providerApplies(p, 'GCP', ['GOOGLE_APPLICATION_CREDENTIALS'])) return skip('not applicable: CLOUD_PROVIDER is not GCP');
    if (isSet(p, 'GOOGLE_APPLICATION_CREDENTIALS')) return info('a static service-account key file (GOOGLE_APPLICATION_CREDENTIALS) is in use; GKE workload identity is recommended');
    return pass('no key file: credentials come from GKE workload identity (the ServiceAccount annotation is checked by the cluster checks)');
  },
});
