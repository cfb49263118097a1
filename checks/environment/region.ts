import { defineCheck } from '../../src/engine/define.ts';
import { HELM_VALUE } from '../../src/domain/chart.ts';
import { envValue, isSet } from '../../src/domain/env.ts';
import { REGIONS } from '../../src/domain/platforms.ts';

export default defineCheck({
  id: 'environment.region',
  title: 'MATILLION_REGION names a known region',
  category: 'environment',
  scope: 'pod',
  docs: {
    what: 'Checks MATILLION_REGION against the known regions (us1, eu1, au1).',
    why: 'The region selects the control-plane endpoints (opentelemetry.<region>.core.matillion.com); an unknown value falls back to us1, which is wrong for an EU or AU account.',
    fix: "Set the region Helm value to the region shown on the runner's page in the vendor UI.",
  },
  needs: ['env'],
  messages: {
    known: { status: 'pass', text: 'MATILLION_REGION is {{region}}' },
    unknown: {
      status: 'warn',
      text: 'MATILLION_REGION is "{{value}}", not one of {{regions}}: endpoints fall back to us1',
      fix: `set the Helm value ${HELM_VALUE.MATILLION_REGION ?? 'for the region'} to the region shown on the runner's page in the vendor UI (one of ${REGIONS.join(', ')}) and run helm upgrade`,
    },
    'not-set': { status: 'skip', text: 'MATILLION_REGION is not set (see environment.required)' },
  },
  judge({ env }, { report }) {
    if (!isSet(env, 'MATILLION_REGION')) return report('not-set');
    const value = (envValue(env, 'MATILLION_REGION') ?? '').trim();
    if (REGIONS.some((r) => r === value.toLowerCase())) return report('known', { region: value });
    return report('unknown', { value, regions: REGIONS.join(', ') }, { details: { value } });
  },
});
