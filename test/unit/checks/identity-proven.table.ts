// Identity, proven and configured: the in-pod token exchange (identity.exchange) judged from what the
// exchange program reports — success per cloud, each refusal the services give, unreachable endpoints —
// and the configured identity (identity.subject, identity.token-exposure, the new outcomes of
// identity.service-account and credentials.aws: static keys next to IRSA, EKS Pod Identity).
import aws from '../../../checks/credentials/aws.ts';
import exchange from '../../../checks/identity/exchange.ts';
import serviceAccount from '../../../checks/identity/service-account.ts';
import subject from '../../../checks/identity/subject.ts';
import tokenExposure from '../../../checks/identity/token-exposure.ts';
import type { BindingInfo } from '../../../src/domain/bindings.ts';
import type { IdentityExchange } from '../../../src/domain/identity.ts';
import type { FactMap } from '../../../src/engine/facts.ts';
import { table } from '../../helpers/check-table.ts';
import { everyRunnerContainer, everyRunnerPod } from './fixtures-cluster.ts';
import { all, details, message, remediation, withEnv } from './fixtures-pod.ts';
import { NOW, NS, edit, healthyCluster, runnerPod, runnerServiceAccount } from './fixtures.ts';

const ROLE = 'arn:aws:iam::123456789012:role/matillion-runner';
const RUNNER_SUB = 'system:serviceaccount:matillion:matillion-runner-sa';
const exp = Math.floor(NOW / 1000) + 3600;

/** What the in-pod exchange reports for AWS web identity, as the python3 program prints it. */
const awsX = (over: Partial<IdentityExchange> = {}): IdentityExchange => ({
  tool: 'python3',
  mode: 'aws-web-identity',
  endpoint: 'https://sts.eu-west-1.amazonaws.com',
  endpointSource: 'the regional endpoint for AWS_REGION',
  region: 'eu-west-1',
  regionSource: 'AWS_REGION',
  requested: ROLE,
  token: { source: 'AWS_WEB_IDENTITY_TOKEN_FILE', state: 'ok', sub: RUNNER_SUB, aud: ['sts.amazonaws.com'], exp },
  outcome: 'ok',
  identity: 'arn:aws:sts::123456789012:assumed-role/matillion-runner/runner-doctor-1',
  expiresIn: 900,
  ...over,
});
const refusedBy = (code: string, message: string, status = 400) => ({
  outcome: 'refused' as const,
  identity: undefined,
  error: { code, message, status, stage: 'http' as const },
});
const azureX = (over: Partial<IdentityExchange> = {}): IdentityExchange => ({
  tool: 'python3',
  mode: 'azure-workload-identity',
  endpoint: 'https://login.microsoftonline.com',
  endpointSource: 'AZURE_AUTHORITY_HOST',
  requested: '00000000-1111-2222-3333-444444444444',
  tenant: 'tenant-1',
  token: {
    source: 'AZURE_FEDERATED_TOKEN_FILE',
    state: 'ok',
    sub: RUNNER_SUB,
    aud: ['api://AzureADTokenExchange'],
    exp,
  },
  outcome: 'ok',
  identity: '00000000-1111-2222-3333-444444444444',
  ...over,
});
const gcpX = (over: Partial<IdentityExchange> = {}): IdentityExchange => ({
  tool: 'python3',
  mode: 'gcp-metadata',
  endpoint: 'http://metadata.google.internal',
  endpointSource: 'the default metadata server (GCE_METADATA_HOST is not set)',
  requested: 'runner@acme-data.iam.gserviceaccount.com',
  token: { source: 'ServiceAccount token', state: 'ok', sub: RUNNER_SUB, exp },
  outcome: 'ok',
  identity: 'runner@acme-data.iam.gserviceaccount.com',
  ...over,
});
const x = (v: IdentityExchange): Partial<FactMap> => ({ identityExchange: v });
const OTHER_SUB = 'system:serviceaccount:data:runner';

// --- cluster helpers -------------------------------------------------------------------------------

/** The healthy cluster with the runner's ServiceAccount renamed (pods and Deployment follow). */
const withSaName = (name: string, facts = healthyCluster(), ns = NS) =>
  edit(
    everyRunnerPod((spec, meta) => {
      spec.serviceAccountName = name;
      meta.namespace = ns;
    }, facts),
    (f) => {
      const sa = f.serviceAccounts?.[0];
      if (sa?.metadata) {
        sa.metadata.name = name;
        sa.metadata.namespace = ns;
      }
    },
  );
const onCloud = (cloud: 'AZURE' | 'GCP', annotations: Record<string, string>) =>
  edit(healthyCluster(), (f) => {
    f.runnerPods = ['aaaaa', 'bbbbb'].map((s) => runnerPod(`matillion-runner-app-7d9f-${s}`, { cloud }));
    f.serviceAccounts = [runnerServiceAccount(annotations)];
  });
const AZURE_ID = { 'azure.workload.identity/client-id': '00000000-1111-2222-3333-444444444444' };
const GSA = { 'iam.gke.io/gcp-service-account': 'runner@acme-data.iam.gserviceaccount.com' };
const podIdentityEnv = [
  { name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI', value: 'http://169.254.170.23/v1/credentials' },
  { name: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', value: '***' },
];
const bindings = (rb: BindingInfo[], crb: BindingInfo[] = [], facts = healthyCluster()): Partial<FactMap> => ({
  ...facts,
  roleBindings: rb,
  clusterRoleBindings: crb,
});
const saSubject = { kind: 'ServiceAccount', name: 'matillion-runner-sa', namespace: NS };

export const tables = [
  table(exchange, {
    valid: [
      {
        name: 'IRSA: STS at the regional endpoint the pod is configured for assumes the role',
        facts: x(awsX()),
        codes: ['aws'],
        expect: all(
          message(
            'STS AssumeRoleWithWebIdentity at https://sts.eu-west-1.amazonaws.com (the regional endpoint for AWS_REGION, region eu-west-1 from AWS_REGION): assumed arn:aws:sts::123456789012:assumed-role/matillion-runner/runner-doctor-1',
          ),
          details({ subject: RUNNER_SUB, regionSource: 'AWS_REGION' }),
        ),
      },
      {
        name: 'EKS Pod Identity: the agent hands out credentials',
        facts: x(
          awsX({
            mode: 'aws-pod-identity',
            endpoint: 'http://169.254.170.23',
            endpointSource: 'AWS_CONTAINER_CREDENTIALS_FULL_URI',
            region: undefined,
            identity: 'credentials for account 123456789012',
          }),
        ),
        codes: ['pod-identity'],
      },
      {
        name: 'Azure AD issues a token for the client id',
        facts: x(azureX()),
        codes: ['azure'],
        expect: message(/issued a token for client 00000000-1111-2222-3333-444444444444 \(tenant tenant-1\)$/),
      },
      {
        name: 'the GKE metadata server issues a token for the Google service account',
        facts: x(gcpX()),
        codes: ['gcp'],
      },
      {
        name: 'turned off: skipped, saying so',
        facts: x({ tool: 'none', outcome: 'skipped', skipped: 'disabled' }),
        codes: ['disabled'],
      },
      {
        name: 'static keys come first: nothing exchanged',
        facts: x({
          tool: 'python3',
          outcome: 'skipped',
          skipped: 'static-keys',
          note: 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY next to AWS_ROLE_ARN',
        }),
        codes: ['static-keys'],
      },
      {
        name: 'a GCP key file',
        facts: x({ tool: 'python3', outcome: 'skipped', skipped: 'key-file' }),
        codes: ['key-file'],
      },
      {
        name: 'no workload identity at all',
        facts: x({ tool: 'python3', outcome: 'skipped', skipped: 'no-identity' }),
        codes: ['no-identity'],
      },
      {
        name: 'no python3 or curl in the image',
        facts: x({ tool: 'none', outcome: 'skipped', skipped: 'no-tool' }),
        codes: ['no-tool'],
      },
    ],
    invalid: [
      {
        name: 'AWS: another ServiceAccount name, refused by the trust policy',
        facts: x(
          awsX({
            token: { state: 'ok', sub: 'system:serviceaccount:matillion:custom-sa', aud: ['sts.amazonaws.com'], exp },
            ...refusedBy('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403),
          }),
        ),
        codes: ['subject-mismatch'],
        expect: all(
          message(
            "STS AssumeRoleWithWebIdentity refused the pod's token (AccessDenied): it presents system:serviceaccount:matillion:custom-sa, and the IAM role's trust policy (condition <oidc-provider>:sub) from the vendor's Terraform accepts system:serviceaccount:*:matillion-runner-sa",
          ),
          remediation(
            /add system:serviceaccount:matillion:custom-sa to the IAM role's trust policy .* serviceAccount\.name/,
          ),
        ),
      },
      {
        name: 'AWS: AccessDenied although the subject is the bound one (stale role ARN, other OIDC provider)',
        facts: x(awsX(refusedBy('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403))),
        codes: ['denied'],
        expect: remediation(/Terraform destroy\/apply renames it \(set serviceAccount\.roleArn/),
      },
      {
        name: 'AWS: wrong audience',
        facts: x(
          awsX({
            token: { state: 'ok', sub: RUNNER_SUB, aud: ['https://kubernetes.default.svc'], exp },
            ...refusedBy('InvalidIdentityToken', 'Incorrect token audience'),
          }),
        ),
        codes: ['audience'],
        expect: message(
          /the token is for https:\/\/kubernetes\.default\.svc, STS AssumeRoleWithWebIdentity expects sts\.amazonaws\.com$/,
        ),
      },
      {
        name: 'AWS: expired token',
        facts: x(
          awsX(
            refusedBy(
              'ExpiredTokenException',
              'Token expired: current date/time 1796000000 must be before the expiration date/time 1795990000',
            ),
          ),
        ),
        codes: ['expired'],
      },
      {
        name: 'AWS: no OIDC provider for the issuer',
        facts: x(
          awsX(
            refusedBy(
              'InvalidIdentityToken',
              'No OpenIDConnect provider found in your account for https://oidc.eks.eu-west-1.amazonaws.com/id/ABC',
            ),
          ),
        ),
        codes: ['issuer'],
      },
      {
        name: 'AWS: STS endpoint unreachable → see egress',
        facts: x(
          awsX({
            outcome: 'unreachable',
            identity: undefined,
            error: {
              code: 'timeout',
              message: 'connecting to sts.eu-west-1.amazonaws.com:443 timed out after 7 s',
              stage: 'connect',
            },
          }),
        ),
        codes: ['unreachable'],
        expect: remediation(/^network\.egress shows the layer that blocks it/),
      },
      {
        name: 'AWS: a TLS-intercepting proxy',
        facts: x(
          awsX({
            outcome: 'error',
            identity: undefined,
            error: {
              code: 'tls',
              message: 'TLS with sts.eu-west-1.amazonaws.com: unable to get local issuer certificate',
              stage: 'tls',
            },
          }),
        ),
        codes: ['tls'],
      },
      {
        name: 'AWS: the token file is missing',
        facts: x(
          awsX({
            outcome: 'error',
            identity: undefined,
            token: { state: 'missing' },
            error: { code: 'token-missing', message: 'the token file AWS_WEB_IDENTITY_TOKEN_FILE names is missing' },
          }),
        ),
        codes: ['config'],
      },
      {
        name: 'AWS: an STS error nothing else explains',
        facts: x(
          awsX(refusedBy('IDPCommunicationError', "Couldn't retrieve verification key from your identity provider")),
        ),
        codes: ['error'],
      },
      {
        name: 'Azure: the federated credential names another namespace (AADSTS70021)',
        facts: x(
          azureX({
            token: {
              state: 'ok',
              sub: 'system:serviceaccount:data:matillion-runner-sa',
              aud: ['api://AzureADTokenExchange'],
              exp,
            },
            ...refusedBy(
              'AADSTS70021',
              "AADSTS70021: No matching federated identity record found for presented assertion subject 'system:serviceaccount:data:matillion-runner-sa'.",
            ),
          }),
        ),
        codes: ['subject-mismatch'],
        expect: all(
          message(
            /it presents system:serviceaccount:data:matillion-runner-sa, and the managed identity's federated identity credential \(subject\) from the vendor's Terraform accepts system:serviceaccount:matillion:matillion-runner-sa$/,
          ),
          (rs) => {
            if (!rs[0]?.remediation?.command?.startsWith('az identity federated-credential create'))
              throw new Error(rs[0]?.remediation?.command);
          },
        ),
      },
      {
        name: 'Azure: the app is not in the tenant (AADSTS700016)',
        facts: x(
          azureX(
            refusedBy(
              'AADSTS700016',
              "AADSTS700016: Application with identifier 'x' was not found in the directory 'y'.",
            ),
          ),
        ),
        codes: ['not-found'],
      },
      {
        name: 'Azure: expired assertion (AADSTS700024)',
        facts: x(
          azureX(refusedBy('AADSTS700024', 'AADSTS700024: Client assertion is not within its valid time range.')),
        ),
        codes: ['expired'],
      },
      {
        name: 'Azure: wrong audience (AADSTS700212)',
        facts: x(
          azureX(
            refusedBy(
              'AADSTS700212',
              "AADSTS700212: No matching federated identity record found for presented assertion audience 'x'.",
            ),
          ),
        ),
        codes: ['audience'],
      },
      {
        name: 'GKE: the metadata server refuses a token to a KSA without the IAM binding',
        facts: x(
          gcpX({
            token: { state: 'ok', sub: OTHER_SUB, exp },
            ...refusedBy(
              'HTTP403',
              "Unable to generate access token; IAM returned 403 Forbidden: Permission 'iam.serviceAccounts.getAccessToken' denied",
              403,
            ),
          }),
        ),
        codes: ['subject-mismatch'],
        expect: message(
          /it presents serviceAccount:acme-data\.svc\.id\.goog\[data\/runner\], .* accepts serviceAccount:acme-data\.svc\.id\.goog\[matillion\/matillion-runner-sa\]$/,
        ),
      },
    ],
  }),

  table(subject, {
    valid: [
      {
        name: 'AWS: the chart ServiceAccount in any namespace',
        facts: withSaName('matillion-runner-sa', healthyCluster(), 'data'),
        codes: ['match'],
      },
      { name: 'Azure: matillion/matillion-runner-sa', facts: onCloud('AZURE', AZURE_ID), codes: ['match'] },
      { name: 'GKE: [matillion/matillion-runner-sa]', facts: onCloud('GCP', GSA), codes: ['match'] },
      {
        name: 'no workload identity annotation: nothing to bind',
        facts: edit(healthyCluster(), (f) => {
          f.serviceAccounts = [runnerServiceAccount({})];
        }),
        codes: ['no-workload-identity'],
      },
      {
        name: 'EKS Pod Identity binds by association, not by subject',
        facts: everyRunnerContainer((c) => {
          c.env = [
            ...(c.env ?? []).filter((e) => !e.name.startsWith('AWS_ROLE') && e.name !== 'AWS_WEB_IDENTITY_TOKEN_FILE'),
            ...podIdentityEnv,
          ];
        }, withSaName('custom-sa')),
        codes: ['no-workload-identity'],
      },
      {
        name: 'no CLOUD_PROVIDER',
        facts: everyRunnerContainer((c) => {
          c.env = (c.env ?? []).filter((e) => e.name !== 'CLOUD_PROVIDER');
        }),
        codes: ['no-provider'],
      },
      { name: 'no runner pods', facts: edit(healthyCluster(), (f) => (f.runnerPods = [])), codes: ['no-pods'] },
    ],
    invalid: [
      {
        name: 'AWS: another ServiceAccount name than the trust policy names',
        facts: withSaName('custom-sa'),
        codes: ['aws-mismatch'],
        expect: all(
          message(
            /presents system:serviceaccount:matillion:custom-sa, but the IAM role's trust policy from the vendor's Terraform accepts only system:serviceaccount:\*:matillion-runner-sa/,
          ),
          remediation(/serviceAccount\.name to matillion-runner-sa/),
        ),
      },
      {
        name: 'Azure: another namespace than the federated credential names',
        facts: withSaName('matillion-runner-sa', onCloud('AZURE', AZURE_ID), 'data'),
        codes: ['azure-mismatch'],
      },
      {
        name: 'GKE: another ServiceAccount than the IAM binding names',
        facts: withSaName('runner', onCloud('GCP', GSA)),
        codes: ['gke-mismatch'],
        expect: (rs) => {
          if (
            rs[0]?.remediation?.command !==
            'gcloud iam service-accounts add-iam-policy-binding runner@acme-data.iam.gserviceaccount.com --role roles/iam.workloadIdentityUser --member "serviceAccount:acme-data.svc.id.goog[matillion/runner]"'
          )
            throw new Error(rs[0]?.remediation?.command);
        },
      },
    ],
  }),

  table(tokenExposure, {
    valid: [
      {
        name: 'no binding names the runner ServiceAccount',
        facts: bindings(
          [],
          [
            {
              name: 'system:basic-user',
              roleRef: { kind: 'ClusterRole', name: 'system:basic-user' },
              subjects: [{ kind: 'Group', name: 'system:serviceaccounts' }],
            },
          ],
        ),
        codes: ['none'],
      },
      {
        name: 'AWS: bound, but the chart does not mount the API token',
        facts: bindings([
          { namespace: NS, name: 'runner-edit', roleRef: { kind: 'ClusterRole', name: 'edit' }, subjects: [saSubject] },
        ]),
        codes: ['bound-no-token'],
      },
      {
        name: 'no runner pods',
        facts: bindings(
          [],
          [],
          edit(healthyCluster(), (f) => (f.runnerPods = [])),
        ),
        codes: ['no-pods'],
      },
    ],
    invalid: [
      {
        name: 'Azure (token mounted) and a RoleBinding to edit',
        facts: bindings(
          [
            {
              namespace: NS,
              name: 'runner-edit',
              roleRef: { kind: 'ClusterRole', name: 'edit' },
              subjects: [{ kind: 'ServiceAccount', name: 'matillion-runner-sa' }],
            },
          ],
          [],
          onCloud('AZURE', AZURE_ID),
        ),
        codes: ['exposed'],
        expect: message(
          'ServiceAccount matillion/matillion-runner-sa has its Kubernetes API token mounted in the runner pods (automountServiceAccountToken) and is granted RoleBinding matillion/runner-edit → ClusterRole edit: any script the runner executes can use those rights',
        ),
      },
      {
        name: 'a ClusterRoleBinding to every ServiceAccount of the namespace, token in a projected volume',
        facts: bindings(
          [],
          [
            {
              name: 'ns-readers',
              roleRef: { kind: 'ClusterRole', name: 'view' },
              subjects: [{ kind: 'Group', name: `system:serviceaccounts:${NS}` }],
            },
          ],
          everyRunnerPod((spec) => {
            spec.volumes = [
              ...(spec.volumes ?? []),
              { name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
            ];
          }),
        ),
        codes: ['exposed'],
        expect: message(
          /\(projected volume kube-api-access\) and is granted ClusterRoleBinding ns-readers → ClusterRole view/,
        ),
      },
    ],
  }),

  table(serviceAccount, {
    valid: [
      {
        name: 'EKS Pod Identity without an IRSA annotation',
        facts: everyRunnerContainer(
          (c) => {
            c.env = [
              ...(c.env ?? []).filter(
                (e) => !e.name.startsWith('AWS_ROLE') && e.name !== 'AWS_WEB_IDENTITY_TOKEN_FILE',
              ),
              ...podIdentityEnv,
            ];
          },
          edit(healthyCluster(), (f) => (f.serviceAccounts = [runnerServiceAccount({})])),
        ),
        codes: ['pod-identity', 'pod-identity'],
      },
    ],
    invalid: [
      {
        name: 'IRSA and static keys from the aws-local Secret: the SDK uses the keys',
        facts: everyRunnerContainer((c) => {
          c.envFrom = [...(c.envFrom ?? []), { secretRef: { name: 'matillion-runner-aws-local' } }];
        }),
        codes: ['static-keys-first', 'static-keys-first'],
        expect: message(
          /^IRSA \(role arn:aws:iam::123456789012:role\/matillion-runner\) is configured, but the pod also gets static AWS keys \(envFrom Secret matillion-runner-aws-local\)/,
        ),
      },
      {
        name: 'EKS Pod Identity and literal static keys in the pod spec',
        facts: everyRunnerContainer(
          (c) => {
            c.env = [...(c.env ?? []), ...podIdentityEnv, { name: 'AWS_ACCESS_KEY_ID', value: '***' }];
          },
          edit(healthyCluster(), (f) => (f.serviceAccounts = [runnerServiceAccount({})])),
        ),
        codes: ['static-keys-first', 'static-keys-first'],
        expect: message(
          /^EKS Pod Identity is configured, but the pod also gets static AWS keys \(AWS_ACCESS_KEY_ID in the pod spec\)/,
        ),
      },
    ],
  }),

  table(aws, {
    valid: [
      {
        name: 'EKS Pod Identity: URI and token file',
        facts: withEnv(
          {
            AWS_ROLE_ARN: null,
            AWS_WEB_IDENTITY_TOKEN_FILE: null,
            AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
            AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE:
              '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
          },
          { AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: { state: 'ok', exp } },
        ),
        codes: ['pod-identity'],
      },
    ],
    invalid: [
      {
        name: 'IRSA with static keys next to it',
        facts: withEnv({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret-example' }),
        codes: ['static-keys-first'],
        expect: message(
          /^IRSA \(role arn:aws:iam::123456789012:role\/matillion-runner\) is configured, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are in the environment too/,
        ),
      },
      {
        name: 'EKS Pod Identity URI without its token file',
        facts: withEnv(
          {
            AWS_ROLE_ARN: null,
            AWS_WEB_IDENTITY_TOKEN_FILE: null,
            AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
          },
          {},
        ),
        codes: ['pod-identity-incomplete'],
      },
    ],
  }),
];
