import waivers from '../../../checks/config/waivers.ts';
import type { Waiver } from '../../../src/engine/waivers.ts';
import { table } from '../../helpers/check-table.ts';
import { all, details, message, pod, remediation } from './fixtures-pod.ts';
import { healthyPodFacts } from './fixtures.ts';

/** The run's config with these waivers; NOW is 2026-12-01T12:00Z. */
const withWaivers = (ws: Waiver[], path: string | null = 'runner-doctor.yaml') =>
  pod((f) => {
    f.config = { ...(path ? { path } : {}), waivers: ws };
  });

const agents: Waiver = {
  check: 'security.agents',
  reason: 'Falcon exclusion requested (SEC-142)',
  expires: '2026-12-31',
  line: 4,
};

export const tables = [
  table(waivers, {
    valid: [
      { name: 'no waivers configured', facts: healthyPodFacts(), codes: ['none'] },
      {
        name: 'a waiver that has not expired',
        facts: withWaivers([agents]),
        codes: ['current'],
        expect: message('1 waiver(s) in runner-doctor.yaml are current'),
      },
      {
        name: 'a waiver through today (expiry inclusive) and one without expiry',
        facts: withWaivers(
          [
            { ...agents, expires: '2026-12-01' },
            { check: 'security.*', reason: 'lab cluster' },
          ],
          null,
        ),
        codes: ['current'],
        expect: message('2 waiver(s) in the config are current'),
      },
    ],
    invalid: [
      {
        name: 'an expired waiver',
        facts: withWaivers([{ ...agents, expires: '2026-11-30' }]),
        codes: ['expired'],
        expect: all(
          message('waiver for security.agents expired on 2026-11-30; it is ignored and the check ran normally'),
          remediation(/^runner-doctor\.yaml:4: fix what it waived/),
          details({ check: 'security.agents', expires: '2026-11-30', line: 4 }),
        ),
      },
      {
        name: 'one result per expired waiver, with its target',
        facts: withWaivers(
          [
            {
              check: 'runtime.python.file/security-agent-kill',
              target: 'matillion/*',
              reason: 'known',
              expires: '2026-01-01',
            },
            agents,
            { check: 'resources.memory', reason: 'sizing', expires: '2025-06-30' },
          ],
          null,
        ),
        codes: ['expired', 'expired'],
        expect: all(
          message(
            'waiver for runtime.python.file/security-agent-kill (matillion/*) expired on 2026-01-01; it is ignored and the check ran normally',
          ),
          remediation(/^config: fix/),
        ),
      },
    ],
  }),
];
