import { defineCheck } from '../../src/engine/define.ts';
import { HELM_VALUE, REQUIRED_ENV } from '../../src/domain/chart.ts';
import { isSet } from '../../src/domain/env.ts';

/** `AGENT_ID (dpcAgent.dpcAgent.env.agentId)`: the variable with the Helm value that sets it. */
const withHelmValue = (name: string): string => (HELM_VALUE[name] ? `${name} (${HELM_VALUE[name]})` : name);

export default defineCheck({
  id: 'environment.required',
  title: 'Required runner environment variables are set',
  category: 'environment',
  scope: 'pod',
  docs: {
    what: `Checks that ${REQUIRED_ENV.join(', ')} are set and not empty. Values are never shown for secret names.`,
    why: 'The runner cannot register with the control plane without its account, agent id, region, cloud provider and OAuth client credentials.',
    fix: "Set the matching Helm values (account id, agent id, region, cloud provider, OAuth client id/secret from the runner's page in the vendor UI) and re-run `helm upgrade`.",
  },
  needs: ['env'],
  messages: {
    set: { status: 'pass', text: 'all {{count}} required variables are set' },
    missing: {
      status: 'fail',
      text: 'missing or empty: {{missing}}',
      fix: "set {{values}} through the chart's values (the config Secret holds OAUTH_CLIENT_ID/OAUTH_CLIENT_SECRET) and run helm upgrade",
    },
  },
  judge({ env }, { report }) {
    const missing = REQUIRED_ENV.filter((n) => !isSet(env, n));
    if (missing.length) {
      return report(
        'missing',
        { missing: missing.join(', '), values: missing.map(withHelmValue).join(', ') },
        { details: { missing } },
      );
    }
    return report('set', { count: REQUIRED_ENV.length }, { details: { checked: REQUIRED_ENV } });
  },
});
