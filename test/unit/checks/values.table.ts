// Values the agent cannot use: from the runner's env in a pod (environment.values) and from the rendered
// Deployment (workload.values), each finding naming the Helm value.
import envValues from '../../../checks/environment/values.ts';
import workloadValues from '../../../checks/workload/values.ts';
import type { FactMap } from '../../../src/engine/facts.ts';
import { table } from '../../helpers/check-table.ts';
import { everyRunnerContainer, everyRunnerPod } from './fixtures-cluster.ts';
import { all, details, message, remediation, withEnv } from './fixtures-pod.ts';
import { edit, healthyCluster } from './fixtures.ts';

/** The healthy cluster with the runner container's literal env changed (null removes a variable). */
const withVars = (over: Record<string, string | null>, facts: Partial<FactMap> = healthyCluster()) =>
  everyRunnerContainer((c) => {
    const env = (c.env ?? []).filter((e) => !(e.name in over));
    for (const [name, value] of Object.entries(over)) if (value !== null) env.push({ name, value });
    c.env = env;
  }, facts);
const codesOf = (facts: Partial<FactMap>) => facts;

export const tables = [
  table(envValues, {
    valid: [
      {
        name: 'the chart defaults (empty proxy and locations)',
        facts: withEnv({ PROXY_HTTPS: '', PROXY_EXCLUDE: '', EXTENSION_LIBRARY_LOCATION: '' }),
        codes: ['ok'],
      },
      {
        name: 'a proxy with scheme and port, PROXY_EXCLUDE in the JVM syntax, real locations',
        facts: withEnv({
          PROXY_HTTPS: 'http://proxy.corp:3128',
          PROXY_HTTP: 'http://***@proxy.corp:3128',
          PROXY_EXCLUDE: 'localhost|*.svc.cluster.local|10.*|169.254.169.254',
          EXTENSION_LIBRARY_LOCATION: 's3://acme-runner/extensions',
          CUSTOM_CERT_LOCATION: '/etc/ssl/corp',
        }),
        codes: ['ok'],
      },
    ],
    invalid: [
      {
        name: `envsubst never ran: \${MATILLION_REGION} and \${PROXY_HTTPS} literally`,
        facts: withEnv({ MATILLION_REGION: `\${MATILLION_REGION}`, PROXY_HTTPS: `\${PROXY_HTTPS}` }),
        codes: ['unexpanded', 'unexpanded'],
        expect: all(
          message(
            `MATILLION_REGION is "\${MATILLION_REGION}": \${MATILLION_REGION} was never substituted (envsubst did not run on the values file)`,
          ),
          remediation(/dpcAgent\.dpcAgent\.env\.matillionRegion/),
          details({ helmValue: 'dpcAgent.dpcAgent.env.matillionRegion' }),
        ),
      },
      {
        name: 'a proxy without a port: the agent crashes at start',
        facts: withEnv({ PROXY_HTTPS: 'http://proxy.corp' }),
        codes: ['proxy'],
        expect: all(
          message(
            /^PROXY_HTTPS is "http:\/\/proxy\.corp", which the agent cannot parse: no port: the agent stops at start with "expected system property https\.proxyPort to be a number but got empty string"$/,
          ),
          remediation(/dpcAgent\.dpcAgent\.env\.proxyHttps to scheme:\/\/host:port/),
        ),
      },
      {
        name: 'a proxy without a scheme',
        facts: withEnv({ PROXY_HTTP: 'proxy.corp:3128' }),
        codes: ['proxy'],
        expect: message(/no scheme/),
      },
      {
        name: 'a proxy port that is not a number',
        facts: withEnv({ PROXY_HTTPS: 'http://proxy.corp:http' }),
        codes: ['proxy'],
        expect: message(/the port "http" is not a number/),
      },
      {
        name: 'PROXY_EXCLUDE in NO_PROXY syntax',
        facts: withEnv({ PROXY_EXCLUDE: 'localhost,.svc.cluster.local,10.0.0.0/8' }),
        codes: ['proxy-exclude'],
        expect: message(
          /commas or spaces .* \.svc\.cluster\.local: a leading dot \(write \*\.svc\.cluster\.local\); 10\.0\.0\.0\/8: a CIDR range/,
        ),
      },
      {
        name: 'EXTENSION_LIBRARY_LOCATION left as the placeholder',
        facts: withEnv({ EXTENSION_LIBRARY_LOCATION: '<ExtensionLibraryLocation>' }),
        codes: ['location'],
        expect: all(
          message(/^EXTENSION_LIBRARY_LOCATION is still the placeholder <ExtensionLibraryLocation>/),
          remediation(/extensionLibraryLocation/),
        ),
      },
    ],
  }),

  table(workloadValues, {
    valid: [
      { name: "the chart's rendered values", facts: healthyCluster(), codes: ['ok'] },
      {
        name: 'Azure token expiration inside 3600–86400 s',
        facts: everyRunnerPod((_s, meta) => {
          meta.annotations = {
            ...meta.annotations,
            'azure.workload.identity/service-account-token-expiration': '86400',
          };
        }),
        codes: ['ok'],
      },
      {
        name: 'no runner Deployment',
        facts: edit(healthyCluster(), (f) => (f.runnerDeployments = [])),
        codes: ['no-deployment'],
      },
    ],
    invalid: [
      {
        name: 'CLOUD_PROVIDER outside AWS/AZURE/GCP',
        facts: withVars({ CLOUD_PROVIDER: 'EKS' }),
        codes: ['cloud-provider'],
        expect: remediation(/^set the Helm value cloudProvider to AWS, AZURE or GCP/),
      },
      {
        name: "MATILLION_REGION is an AWS region (the guide's example): the endpoints fall back to us1",
        facts: withVars({ MATILLION_REGION: 'us-east-1' }),
        codes: ['region'],
        expect: message(
          'MATILLION_REGION is "us-east-1": not one of us1, eu1, au1 (that is a cloud region, not the vendor region): the endpoints fall back to us1 (opentelemetry.us1.core.matillion.com)',
        ),
      },
      {
        name: `\${CLOUD_PROVIDER} literally`,
        facts: withVars({ CLOUD_PROVIDER: `\${CLOUD_PROVIDER}` }),
        codes: ['unexpanded'],
      },
      { name: 'a proxy without a port', facts: withVars({ PROXY_HTTPS: 'https://proxy.corp' }), codes: ['proxy'] },
      {
        name: 'PROXY_EXCLUDE with ports',
        facts: withVars({ PROXY_EXCLUDE: 'localhost|api.internal:8443' }),
        codes: ['proxy-exclude'],
      },
      {
        name: 'a placeholder driver location',
        facts: withVars({ EXTERNAL_DRIVER_LOCATION: 's3://<DriverBucket>/drivers' }),
        codes: ['location'],
      },
      {
        name: 'a resources override with only requests',
        facts: everyRunnerContainer((c) => {
          c.resources = { requests: { cpu: '1', memory: '4Gi' } };
        }),
        codes: ['resources'],
        expect: all(
          message(/^the resources override sets only requests/),
          remediation(/dpcAgent\.dpcAgent\.resources both requests and limits/),
        ),
      },
      {
        name: 'a resources override with only limits',
        facts: everyRunnerContainer((c) => {
          c.resources = { limits: { cpu: '2', memory: '4Gi' } };
        }),
        codes: ['resources'],
        expect: message(/only limits: .* Kubernetes copies the limits into the requests/),
      },
      {
        name: 'Azure token expiration of 120 s: the webhook refuses the pod',
        facts: codesOf(
          everyRunnerPod((_s, meta) => {
            meta.annotations = {
              ...meta.annotations,
              'azure.workload.identity/service-account-token-expiration': '120',
            };
          }),
        ),
        codes: ['token-expiration'],
        expect: message(
          /^azure\.workload\.identity\/service-account-token-expiration is 120: outside the 3600–86400 s/,
        ),
      },
    ],
  }),
];
