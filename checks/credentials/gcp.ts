import { defineCheck } from '../../src/engine/define.ts';
import { HELM } from '../../src/domain/chart.ts';
import { envValue, isSet, providerApplies } from '../../src/domain/env.ts';

const KEY_VAR = 'GOOGLE_APPLICATION_CREDENTIALS';

export default defineCheck({
  id: 'credentials.gcp',
  title: 'GCP credentials: workload identity rather than a key file',
  category: 'credentials',
  scope: 'pod',
  tags: ['gcp', 'identity'],
  docs: {
    what: 'Looks for GOOGLE_APPLICATION_CREDENTIALS (a static key file); without it the runner uses GKE workload identity through the metadata server.',
    why: 'Key files do not rotate and leak easily; GKE workload identity is the supported path.',
    fix: 'Annotate matillion-runner-sa with iam.gke.io/gcp-service-account and grant roles/iam.workloadIdentityUser; remove the key file.',
  },
  needs: ['env'],
  messages: {
    'workload-identity': {
      status: 'pass',
      text: 'no key file: credentials come from GKE workload identity (the ServiceAccount annotation is checked by the cluster checks)',
    },
    'key-file': {
      status: 'info',
      text: 'a static service-account key file (GOOGLE_APPLICATION_CREDENTIALS) is in use; GKE workload identity is recommended',
      fix: `move to GKE workload identity (Helm value ${HELM.gcpServiceAccount}) and remove the key file`,
    },
    'key-file-placeholder': {
      status: 'fail',
      text: 'GOOGLE_APPLICATION_CREDENTIALS is an unfilled placeholder ({{value}}): Google clients fail to load credentials',
      fix: `point GOOGLE_APPLICATION_CREDENTIALS at the mounted key file, or remove it and use GKE workload identity (Helm value ${HELM.gcpServiceAccount})`,
    },
    'not-gcp': { status: 'skip', text: 'CLOUD_PROVIDER is not GCP' },
  },
  judge({ env }, { report }) {
    if (!providerApplies(env, 'GCP', [KEY_VAR])) return report('not-gcp');
    if (!isSet(env, KEY_VAR)) return report('workload-identity');
    if (env[KEY_VAR]?.placeholder)
      return report('key-file-placeholder', { value: envValue(env, KEY_VAR) ?? 'value hidden' });
    return report('key-file', {}, { details: { keyFile: envValue(env, KEY_VAR) } });
  },
});
