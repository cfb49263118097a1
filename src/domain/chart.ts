// What the vendor's Helm chart `matillion-runner` renders (domain.md §1, §8), once: names, labels,
// sizes, Secrets, the env var → Helm value table, placeholders. Checks and collectors import it from here.
import { GiB } from './format.ts';

/** Every runner pod carries this label; `app.kubernetes.io/instance=<release>` narrows it to one release. */
export const RUNNER_NAME_LABEL = 'app.kubernetes.io/name';
export const RUNNER_SELECTOR = `${RUNNER_NAME_LABEL}=matillion-runner`;
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

/**
 * The chart's script runner (`scriptRunner.enabled`) carries the runner's name label too, told apart by
 * `app.kubernetes.io/component=script-runner`: runner pods are those without it.
 */
export const NOT_SCRIPT_RUNNER = 'app.kubernetes.io/component!=script-runner';

export function runnerSelector(release?: string): string {
  return release
    ? `${RUNNER_SELECTOR},${NOT_SCRIPT_RUNNER},${INSTANCE_LABEL}=${release}`
    : `${RUNNER_SELECTOR},${NOT_SCRIPT_RUNNER}`;
}

/** The ServiceAccount the chart creates; the vendor's AWS trust policy hard-codes it. */
export const SERVICE_ACCOUNT = 'matillion-runner-sa';

/** One runner pod runs at most this many concurrent tasks: capacity = pods × 20. */
export const TASKS_PER_POD = 20;
/** The HPA target the chart's comments recommend. */
export const HPA_TARGET_RECOMMENDED = { min: 15, max: 17 } as const;

/** The custom metrics API the chart's HPA reads app_active_task_count through. */
export const CUSTOM_METRICS_API = 'v1beta1.custom.metrics.k8s.io';

export const METRICS_PORT = 8080;
export const METRICS_PATH = '/actuator/prometheus';

/** The chart's runnerSize table: CPU cores and memory bytes, requests and limits; AWS values add ephemeral storage. */
export const RUNNER_SIZES = [
  { name: 'small', req: { cpu: 1, memory: 4 * GiB }, lim: { cpu: 2, memory: 4 * GiB }, ephemeralAws: 50 * GiB },
  { name: 'medium', req: { cpu: 2, memory: 8 * GiB }, lim: { cpu: 4, memory: 8 * GiB }, ephemeralAws: 75 * GiB },
  { name: 'large', req: { cpu: 4, memory: 16 * GiB }, lim: { cpu: 8, memory: 16 * GiB }, ephemeralAws: 100 * GiB },
  { name: 'xlarge', req: { cpu: 8, memory: 32 * GiB }, lim: { cpu: 16, memory: 32 * GiB }, ephemeralAws: 150 * GiB },
] as const;

/** Keys the chart's own Secrets must hold, by name suffix. */
export const SECRET_KEYS: readonly (readonly [RegExp, readonly string[]])[] = [
  [/-config$/, ['OAUTH_CLIENT_ID', 'OAUTH_CLIENT_SECRET']],
  [/-aws-local$/, ['aws-region', 'aws-access-key-id', 'aws-secret-access-key']],
  [/-azure-sp$/, ['client-id', 'client-secret', 'tenant-id']],
];

/** Variables every runner needs (chart env + the config Secret). */
export const REQUIRED_ENV = [
  'ACCOUNT_ID',
  'AGENT_ID',
  'MATILLION_REGION',
  'CLOUD_PROVIDER',
  'OAUTH_CLIENT_ID',
  'OAUTH_CLIENT_SECRET',
] as const;

/** An unfilled chart placeholder: `<ServiceAccountRoleArn>`, `<MatillionRegion>` … */
export const PLACEHOLDER = /<[A-Za-z][^>]*>/;

/** The Helm value that sets each runner variable (domain.md §8): remediations name it. */
export const HELM_VALUE: Readonly<Record<string, string>> = {
  ACCOUNT_ID: 'dpcAgent.dpcAgent.env.accountId',
  AGENT_ID: 'dpcAgent.dpcAgent.env.agentId',
  MATILLION_REGION: 'dpcAgent.dpcAgent.env.matillionRegion',
  CLOUD_PROVIDER: 'cloudProvider',
  PROXY_HTTP: 'dpcAgent.dpcAgent.env.proxyHttp',
  PROXY_HTTPS: 'dpcAgent.dpcAgent.env.proxyHttps',
  PROXY_EXCLUDE: 'dpcAgent.dpcAgent.env.proxyExclude',
  CUSTOM_CERT_LOCATION: 'dpcAgent.dpcAgent.env.customCertLocation',
  EXTENSION_LIBRARY_LOCATION: 'dpcAgent.dpcAgent.env.extensionLibraryLocation',
  EXTERNAL_DRIVER_LOCATION: 'dpcAgent.dpcAgent.env.externalDriverLocation',
  DEFAULT_KEYVAULT: 'dpcAgent.dpcAgent.env.defaultKeyvault',
  DEFAULT_GCP_PROJECT: 'dpcAgent.dpcAgent.env.defaultGcpProject',
  OAUTH_CLIENT_ID: 'config.oauthClientId',
  OAUTH_CLIENT_SECRET: 'config.oauthClientSecret',
  AWS_ROLE_ARN: 'serviceAccount.roleArn',
  AZURE_CLIENT_ID: 'azure.workloadIdentity.clientId',
};

/** Other values remediations name. */
export const HELM = {
  roleArn: 'serviceAccount.roleArn',
  serviceAccountName: 'serviceAccount.name',
  azureClientId: 'azure.workloadIdentity.clientId',
  gcpServiceAccount: 'gcp.workloadIdentity.serviceAccountEmail',
  imageRepository: 'dpcAgent.dpcAgent.image.repository',
  imageTag: 'dpcAgent.dpcAgent.image.tag',
  imageDigest: 'dpcAgent.dpcAgent.image.digest',
  pullPolicy: 'dpcAgent.dpcAgent.imagePullPolicy',
  runnerSize: 'runnerSize',
  resources: 'dpcAgent.dpcAgent.resources',
  gracePeriod: 'dpcAgent.dpcAgent.gracePeriodSeconds',
  hpaMin: 'hpa.minReplicas',
  hpaMax: 'hpa.maxReplicas',
  hpaTarget: 'hpa.metrics.target.averageValue',
  nodeSelector: 'nodeSelector',
} as const;

/** Pod-level sysctl the chart sets; a safe sysctl only from Kubernetes 1.29. */
export const KEEPALIVE_SYSCTL = 'net.ipv4.tcp_keepalive_time';
