import aws from '../../../checks/credentials/aws.ts';
import azure from '../../../checks/credentials/azure.ts';
import gcp from '../../../checks/credentials/gcp.ts';
import tokenExpiry from '../../../checks/credentials/token-expiry.ts';
import type { CredentialsFact } from '../../../src/engine/facts.ts';
import { table } from '../../helpers/check-table.ts';
import { AZURE_TOKEN_PATH, all, details, message, pod, remediation, withEnv } from './fixtures-pod.ts';
import { NOW, healthyPodFacts } from './fixtures.ts';

const AWS_TOKEN_PATH = '/var/run/secrets/eks.amazonaws.com/serviceaccount/token';
const inADay = Math.floor(NOW / 1000) + 86400;
/** A readable token file; `exp: null` for a token whose claim could not be read. */
const ok = (exp: number | null = inADay) => ({ state: 'ok' as const, ...(exp === null ? {} : { exp }) });

/** Without the IRSA variables EKS injects. */
const NO_IRSA = { AWS_ROLE_ARN: null, AWS_WEB_IDENTITY_TOKEN_FILE: null, AWS_REGION: null } as const;

/** An AKS runner: CLOUD_PROVIDER=AZURE, no AWS variables, plus `over`. */
const azureEnv = (over: Record<string, string | null>, tokens: CredentialsFact['tokens'] = {}) =>
  withEnv({ ...NO_IRSA, CLOUD_PROVIDER: 'AZURE', ...over }, tokens);
const WI = {
  AZURE_FEDERATED_TOKEN_FILE: AZURE_TOKEN_PATH,
  AZURE_CLIENT_ID: 'c0ffee00-client',
  AZURE_TENANT_ID: 'feed0000-tenant',
};

const gcpEnv = (over: Record<string, string | null> = {}) =>
  withEnv({ ...NO_IRSA, CLOUD_PROVIDER: 'GCP', ...over }, {});

export const tables = [
  table(aws, {
    valid: [
      {
        name: 'IRSA with a readable token',
        facts: healthyPodFacts(),
        codes: ['irsa'],
        expect: all(
          message('IRSA: role arn:aws:iam::123456789012:role/matillion-runner, token file readable'),
          details({ tokenFile: AWS_TOKEN_PATH }),
        ),
      },
      {
        name: 'IRSA without CLOUD_PROVIDER: the AWS variables decide',
        facts: withEnv({ CLOUD_PROVIDER: null }),
        codes: ['irsa'],
      },
      { name: 'not AWS', facts: withEnv({ CLOUD_PROVIDER: 'AZURE' }), codes: ['not-aws'] },
      {
        name: 'static keys work but do not rotate',
        facts: withEnv(
          { ...NO_IRSA, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE', AWS_SECRET_ACCESS_KEY: 'static-secret-value' },
          {},
        ),
        codes: ['static-keys'],
        expect: remediation(/move to IRSA/),
      },
    ],
    invalid: [
      {
        name: 'IRSA ARN placeholder',
        facts: withEnv({ AWS_ROLE_ARN: '<ServiceAccountRoleArn>' }),
        codes: ['arn-placeholder'],
        expect: all(
          message('AWS_ROLE_ARN is an unfilled placeholder (<ServiceAccountRoleArn>)'),
          remediation(/serviceAccount\.roleArn/),
        ),
      },
      {
        name: 'IRSA ARN malformed',
        facts: withEnv({ AWS_ROLE_ARN: 'matillion-runner-role' }),
        codes: ['arn-malformed'],
        expect: message(/^AWS_ROLE_ARN "matillion-runner-role" does not look like/),
      },
      {
        name: 'IRSA token file missing',
        facts: withEnv(
          { AWS_WEB_IDENTITY_TOKEN_FILE: '/var/run/secrets/none/token' },
          { AWS_WEB_IDENTITY_TOKEN_FILE: { state: 'missing' } },
        ),
        codes: ['token-file-unusable'],
        expect: all(message('the IRSA token file is missing'), details({ tokenFile: '/var/run/secrets/none/token' })),
      },
      {
        name: 'IRSA token file unreadable (no fsGroup)',
        facts: withEnv({}, { AWS_WEB_IDENTITY_TOKEN_FILE: { state: 'unreadable' } }),
        codes: ['token-file-unusable'],
      },
      {
        name: 'role ARN without the token the webhook injects',
        facts: withEnv({ AWS_WEB_IDENTITY_TOKEN_FILE: null }, {}),
        codes: ['no-token-file'],
      },
      { name: 'token file without a role ARN', facts: withEnv({ AWS_ROLE_ARN: null }), codes: ['no-role-arn'] },
      {
        name: 'an access key without its secret',
        facts: withEnv({ ...NO_IRSA, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE' }, {}),
        codes: ['secret-key-missing'],
      },
      {
        name: 'no credentials at all',
        facts: withEnv({ ...NO_IRSA, AWS_WEB_IDENTITY_TOKEN_FILE: '' }, {}),
        codes: ['no-credentials'],
      },
    ],
  }),
  table(azure, {
    valid: [
      { name: 'not Azure', facts: healthyPodFacts(), codes: ['not-azure'] },
      {
        name: 'workload identity: token and ids',
        facts: azureEnv(WI, { AZURE_FEDERATED_TOKEN_FILE: ok() }),
        codes: ['workload-identity'],
      },
      {
        name: 'workload identity without CLOUD_PROVIDER: the Azure variables decide',
        facts: azureEnv({ ...WI, CLOUD_PROVIDER: null }, { AZURE_FEDERATED_TOKEN_FILE: ok() }),
        codes: ['workload-identity'],
      },
      {
        name: 'a service principal works but expires',
        facts: azureEnv({ AZURE_CLIENT_ID: 'c', AZURE_TENANT_ID: 't', AZURE_CLIENT_SECRET: 'sp-secret-value' }),
        codes: ['service-principal'],
        expect: remediation(/move to workload identity/),
      },
    ],
    invalid: [
      {
        name: 'Azure without workload identity or a secret',
        facts: azureEnv({}),
        codes: ['no-credentials'],
        expect: remediation(/azure\.workload\.identity\/use/),
      },
      {
        name: 'workload identity token file unreadable',
        facts: azureEnv(WI, { AZURE_FEDERATED_TOKEN_FILE: { state: 'unreadable' } }),
        codes: ['token-file-unusable'],
        expect: message('the workload identity token file is unreadable'),
      },
      {
        name: 'the token file variable without a probe result',
        facts: azureEnv(WI),
        codes: ['token-file-unusable'],
        expect: message('the workload identity token file is missing'),
      },
      {
        name: 'workload identity token without the ids',
        facts: azureEnv({ AZURE_FEDERATED_TOKEN_FILE: AZURE_TOKEN_PATH }, { AZURE_FEDERATED_TOKEN_FILE: ok() }),
        codes: ['wi-ids-missing'],
        expect: message('workload identity token present but AZURE_CLIENT_ID and AZURE_TENANT_ID missing'),
      },
      {
        name: 'a service principal secret without the tenant id',
        facts: azureEnv({ AZURE_CLIENT_ID: 'c', AZURE_CLIENT_SECRET: 'sp-secret-value' }),
        codes: ['sp-ids-missing'],
        expect: message('service principal secret set but AZURE_TENANT_ID missing'),
      },
    ],
  }),
  table(gcp, {
    valid: [
      { name: 'not GCP', facts: healthyPodFacts(), codes: ['not-gcp'] },
      { name: 'GKE workload identity (no key file)', facts: gcpEnv(), codes: ['workload-identity'] },
      {
        name: 'a static key file is information',
        facts: gcpEnv({ GOOGLE_APPLICATION_CREDENTIALS: '/var/secrets/key.json' }),
        codes: ['key-file'],
        expect: all(
          details({ keyFile: '/var/secrets/key.json' }),
          remediation(/gcp\.workloadIdentity\.serviceAccountEmail/),
        ),
      },
    ],
    invalid: [
      {
        name: 'the key file variable is an unfilled placeholder',
        facts: gcpEnv({ GOOGLE_APPLICATION_CREDENTIALS: '<GcpKeyFile>' }),
        codes: ['key-file-placeholder'],
        expect: message(/^GOOGLE_APPLICATION_CREDENTIALS is an unfilled placeholder \(<GcpKeyFile>\)/),
      },
    ],
  }),
  table(tokenExpiry, {
    valid: [
      {
        name: 'the IRSA token is valid for a day',
        facts: healthyPodFacts(),
        codes: ['valid'],
        expect: all(
          message('AWS_WEB_IDENTITY_TOKEN_FILE: token valid until 2026-12-02T12:00:00.000Z (1440 min left)'),
          details({ secondsLeft: 86400 }),
        ),
      },
      {
        name: 'no readable token file',
        facts: pod((f) => {
          f.credentials.tokens = { AWS_WEB_IDENTITY_TOKEN_FILE: { state: 'missing' } };
        }),
        codes: ['no-token'],
      },
    ],
    invalid: [
      {
        name: 'expired token',
        facts: pod((f) => {
          f.credentials.tokens = { AWS_WEB_IDENTITY_TOKEN_FILE: ok(1_600_000_000) };
        }),
        codes: ['expired'],
        expect: all(
          message('AWS_WEB_IDENTITY_TOKEN_FILE: token expired at 2020-09-13T12:26:40.000Z'),
          details({ expiresAt: '2020-09-13T12:26:40.000Z' }),
        ),
      },
      {
        name: 'expiring exactly now counts as expired',
        facts: pod((f) => {
          f.credentials.tokens = { AWS_WEB_IDENTITY_TOKEN_FILE: ok(Math.floor(NOW / 1000)) };
        }),
        codes: ['expired'],
      },
      {
        name: 'a token without a readable exp claim',
        facts: pod((f) => {
          f.credentials.tokens = { AWS_WEB_IDENTITY_TOKEN_FILE: ok(null) };
        }),
        codes: ['no-expiry'],
      },
      {
        name: 'one result per readable token',
        facts: pod((f) => {
          f.credentials.tokens = { AWS_WEB_IDENTITY_TOKEN_FILE: ok(), AZURE_FEDERATED_TOKEN_FILE: ok(1_600_000_000) };
        }),
        codes: ['valid', 'expired'],
      },
    ],
  }),
];
