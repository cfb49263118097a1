import { defineCheck, pass, skip, warn } from '../../src/engine/define.ts';
import { envValue, isSet } from '../../src/probe/env.ts';

export const REGIONS = ['us1', 'eu1', 'au1'] as const;

export default defineCheck({
  id: 'environment.region',
  title: 'MATILLION_REGION names a known region',
  category: 'environment',
  scope: 'pod',
  severity: 'warn',
  docs: {
    what: 'Checks MATILLION_REGION against the known regions (us1, eu1, au1).',
    why: 'The region selects the control-plane endpoints (opentelemetry.<region>.core.matillion.com); an unknown value falls back to us1, which is wrong for an EU or AU account.',
    fix: 'Set the region Helm value to the region shown on the runner\'s page in the vendor UI.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const p = await fact('probe');
    if (!isSet(p, 'MATILLION_REGION')) return skip('not applicable: MATILLION_REGION is not set (see environment.required)');
    const v = (envValue(p, 'MATILLION_REGION') ?? '').trim();
    if ((REGIONS as readonly string[]).includes(v.toLowerCase())) return pass(`MATILLION_REGION is ${v}`);
    return warn(`MATILLION_REGION is "${v}", not one of ${REGIONS.join(', ')}: endpoints fall back to us1`, { details: { value: v } });
  },
});
