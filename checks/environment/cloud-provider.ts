import { defineCheck, fail, pass, warn } from '../../src/engine/define.ts';
import { cloudProvider, envValue, isSet } from '../../src/probe/env.ts';

export default defineCheck({
  id: 'environment.cloud-provider',
  title: 'CLOUD_PROVIDER is AWS, AZURE or GCP',
  category: 'environment',
  scope: 'pod',
  severity: 'warn',
  docs: {
    what: 'Checks that CLOUD_PROVIDER is set to AWS, AZURE or GCP.',
    why: 'It selects how the runner authenticates to its cloud (IRSA, Azure workload identity, GKE workload identity) and where it stores secrets and logs.',
    fix: 'Set the cloud provider Helm value to AWS, AZURE or GCP and run helm upgrade.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const p = await fact('probe');
    if (!isSet(p, 'CLOUD_PROVIDER')) return warn('CLOUD_PROVIDER is not set: the runner cannot tell which cloud identity to use');
    const provider = cloudProvider(p);
    if (!provider) return fail(`CLOUD_PROVIDER is "${envValue(p, 'CLOUD_PROVIDER') ?? ''}", not AWS, AZURE or GCP`);
    return pass(`CLOUD_PROVIDER is ${provider}`);
  },
});
