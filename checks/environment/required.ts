import { defineCheck, fail, pass } from '../../src/engine/define.ts';
import { REQUIRED_ENV, isSet } from '../../src/probe/env.ts';

export default defineCheck({
  id: 'environment.required',
  title: 'Required runner environment variables are set',
  category: 'environment',
  scope: 'pod',
  severity: 'fail',
  docs: {
    what: `Checks that ${REQUIRED_ENV.join(', ')} are set and not empty. Values are never shown for secret names.`,
    why: 'The runner cannot register with the control plane without its account, agent id, region, cloud provider and OAuth client credentials.',
    fix: 'Set the matching Helm values (account id, agent id, region, cloud provider, OAuth client id/secret from the runner\'s page in the vendor UI) and re-run `helm upgrade`.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const p = await fact('probe');
    const missing = REQUIRED_ENV.filter((n) => !isSet(p, n));
    if (missing.length) return fail(`missing or empty: ${missing.join(', ')}`, { details: { missing }, remediation: `set ${missing.join(', ')} through the chart's values (the config Secret holds OAUTH_CLIENT_ID/OAUTH_CLIENT_SECRET) and run helm upgrade` });
    return pass(`all ${REQUIRED_ENV.length} required variables are set`, { details: { checked: REQUIRED_ENV } });
  },
});
