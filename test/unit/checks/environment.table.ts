import cloudProvider from '../../../checks/environment/cloud-provider.ts';
import placeholders from '../../../checks/environment/placeholders.ts';
import region from '../../../checks/environment/region.ts';
import required from '../../../checks/environment/required.ts';
import type { CheckResult } from '../../../src/engine/types.ts';
import { table } from '../../helpers/check-table.ts';
import { all, details, message, remediation, withEnv } from './fixtures-pod.ts';
import { healthyPodFacts } from './fixtures.ts';

/** A secret's value must not reach the message, the remediation or the details. */
const neverShows = (secret: string) => (rs: CheckResult[]) => {
  if (JSON.stringify(rs).includes(secret)) throw new Error(`the result shows ${secret}`);
};

export const tables = [
  table(required, {
    valid: [
      {
        name: 'the chart env and the config Secret',
        facts: healthyPodFacts(),
        codes: ['set'],
        expect: message('all 6 required variables are set'),
      },
    ],
    invalid: [
      {
        name: 'AGENT_ID missing',
        facts: withEnv({ AGENT_ID: null }),
        codes: ['missing'],
        expect: all(
          message('missing or empty: AGENT_ID'),
          details({ missing: ['AGENT_ID'] }),
          remediation(/^set AGENT_ID \(dpcAgent\.dpcAgent\.env\.agentId\) through the chart's values/),
        ),
      },
      {
        name: 'the OAuth secret empty and the region missing',
        facts: withEnv({ OAUTH_CLIENT_SECRET: '', MATILLION_REGION: null }),
        codes: ['missing'],
        expect: message('missing or empty: MATILLION_REGION, OAUTH_CLIENT_SECRET'),
      },
    ],
  }),
  table(placeholders, {
    valid: [
      {
        name: 'every value filled in',
        facts: healthyPodFacts(),
        codes: ['none'],
        expect: message('no placeholders among 9 runner variables'),
      },
    ],
    invalid: [
      {
        name: 'region never configured',
        facts: withEnv({ MATILLION_REGION: '<MatillionRegion>' }),
        codes: ['found'],
        expect: all(
          message('unfilled placeholders: MATILLION_REGION=<MatillionRegion>'),
          details({ variables: ['MATILLION_REGION'] }),
          remediation(/MATILLION_REGION is set by dpcAgent\.dpcAgent\.env\.matillionRegion$/),
        ),
      },
      {
        name: "a secret's placeholder is named, its value never shown",
        facts: withEnv({ OAUTH_CLIENT_SECRET: '<AgentClientSecret>', ACCOUNT_ID: '<AccountId>' }),
        codes: ['found'],
        expect: all(
          message('unfilled placeholders: ACCOUNT_ID=<AccountId>, OAUTH_CLIENT_SECRET'),
          neverShows('<AgentClientSecret>'),
        ),
      },
    ],
  }),
  table(region, {
    valid: [
      { name: 'eu1', facts: healthyPodFacts(), codes: ['known'], expect: message('MATILLION_REGION is eu1') },
      {
        name: 'case and spaces do not matter',
        facts: withEnv({ MATILLION_REGION: ' AU1 ' }),
        codes: ['known'],
        expect: message('MATILLION_REGION is AU1'),
      },
      {
        name: 'not set: environment.required reports it',
        facts: withEnv({ MATILLION_REGION: null }),
        codes: ['not-set'],
      },
    ],
    invalid: [
      {
        name: 'unknown region',
        facts: withEnv({ MATILLION_REGION: 'xx9' }),
        codes: ['unknown'],
        expect: all(
          message('MATILLION_REGION is "xx9", not one of us1, eu1, au1: endpoints fall back to us1'),
          remediation(/dpcAgent\.dpcAgent\.env\.matillionRegion/),
        ),
      },
    ],
  }),
  table(cloudProvider, {
    valid: [
      { name: 'AWS', facts: healthyPodFacts(), codes: ['set'], expect: message('CLOUD_PROVIDER is AWS') },
      {
        name: 'lower case is accepted',
        facts: withEnv({ CLOUD_PROVIDER: 'azure' }),
        codes: ['set'],
        expect: message('CLOUD_PROVIDER is AZURE'),
      },
    ],
    invalid: [
      {
        name: 'CLOUD_PROVIDER missing',
        facts: withEnv({ CLOUD_PROVIDER: null }),
        codes: ['not-set'],
        expect: remediation(/cloudProvider/),
      },
      {
        name: 'CLOUD_PROVIDER invalid',
        facts: withEnv({ CLOUD_PROVIDER: 'ORACLE' }),
        codes: ['invalid'],
        expect: message('CLOUD_PROVIDER is "ORACLE", not AWS, AZURE or GCP'),
      },
    ],
  }),
];
