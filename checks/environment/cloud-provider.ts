import { defineCheck } from '../../src/engine/define.ts';
import { HELM_VALUE } from '../../src/domain/chart.ts';
import { cloudProvider, envValue, isSet } from '../../src/domain/env.ts';

const SET_IT = `set the Helm value ${HELM_VALUE.CLOUD_PROVIDER ?? 'for the cloud provider'} to AWS, AZURE or GCP and run helm upgrade`;

export default defineCheck({
  id: 'environment.cloud-provider',
  title: 'CLOUD_PROVIDER is AWS, AZURE or GCP',
  category: 'environment',
  scope: 'pod',
  docs: {
    what: 'Checks that CLOUD_PROVIDER is set to AWS, AZURE or GCP.',
    why: 'It selects how the runner authenticates to its cloud (IRSA, Azure workload identity, GKE workload identity) and where it stores secrets and logs.',
    fix: 'Set the cloud provider Helm value to AWS, AZURE or GCP and run helm upgrade.',
  },
  needs: ['env'],
  messages: {
    set: { status: 'pass', text: 'CLOUD_PROVIDER is {{provider}}' },
    'not-set': {
      status: 'warn',
      text: 'CLOUD_PROVIDER is not set: the runner cannot tell which cloud identity to use',
      fix: SET_IT,
    },
    invalid: { status: 'fail', text: 'CLOUD_PROVIDER is "{{value}}", not AWS, AZURE or GCP', fix: SET_IT },
  },
  judge({ env }, { report }) {
    if (!isSet(env, 'CLOUD_PROVIDER')) return report('not-set');
    const provider = cloudProvider(env);
    if (!provider) return report('invalid', { value: envValue(env, 'CLOUD_PROVIDER') ?? '' });
    return report('set', { provider });
  },
});
