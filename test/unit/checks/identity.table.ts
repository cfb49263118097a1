import serviceAccount from '../../../checks/identity/service-account.ts';
import type { FactMap } from '../../../src/engine/facts.ts';
import type { CheckResult } from '../../../src/engine/types.ts';
import { table } from '../../helpers/check-table.ts';
import { everyRunnerContainer, everyRunnerPod } from './fixtures-cluster.ts';
import { edit, healthyCluster, runnerPod, runnerServiceAccount } from './fixtures.ts';

const message = (re: RegExp) => (rs: CheckResult[]) => {
  if (!re.test(rs[0]?.message ?? '')) throw new Error(rs[0]?.message);
};

/** The healthy cluster with its ServiceAccount's annotations (and labels) replaced. */
const withSa = (annotations: Record<string, string>, labels?: Record<string, string>, facts = healthyCluster()) =>
  edit(facts, (f) => {
    const sa = runnerServiceAccount(annotations);
    if (labels && sa.metadata) sa.metadata.labels = labels;
    f.serviceAccounts = [sa];
  });

/** Runner pods rendered for another cloud (CLOUD_PROVIDER and automount as the chart sets them). */
const onCloud = (cloud: 'AZURE' | 'GCP', podLabels: Record<string, string> = {}) =>
  edit(healthyCluster(), (f) => {
    f.runnerPods = ['aaaaa', 'bbbbb'].map((s) => {
      const p = runnerPod(`matillion-runner-app-7d9f-${s}`, { cloud });
      if (p.metadata) p.metadata.labels = { ...p.metadata.labels, ...podLabels };
      return p;
    });
  });

const AZURE_ID = { 'azure.workload.identity/client-id': '00000000-1111-2222-3333-444444444444' };
const AZURE_USE = { 'azure.workload.identity/use': 'true' };
const GSA = { 'iam.gke.io/gcp-service-account': 'runner@proj-1.iam.gserviceaccount.com' };
const noAutomount = (facts: Partial<FactMap>) =>
  everyRunnerPod((spec) => {
    spec.automountServiceAccountToken = false;
  }, facts);
const staticAws = (facts = healthyCluster()) =>
  everyRunnerContainer((c) => {
    c.envFrom = [...(c.envFrom ?? []), { secretRef: { name: 'matillion-runner-aws-local' } }];
  }, facts);

export const tables = [
  table(serviceAccount, {
    valid: [
      {
        name: 'IRSA: the chart ServiceAccount with a role ARN',
        facts: healthyCluster(),
        codes: ['irsa', 'irsa'],
        expect: message(
          /^IRSA: ServiceAccount matillion-runner-sa → arn:aws:iam::123456789012:role\/matillion-runner$/,
        ),
      },
      {
        name: 'static AWS keys from the chart Secret instead of IRSA',
        facts: staticAws(withSa({})),
        codes: ['aws-static-keys', 'aws-static-keys'],
        expect: message(/static AWS keys are used \(envFrom Secret matillion-runner-aws-local\)/),
      },
      {
        name: 'Azure workload identity complete',
        facts: withSa(AZURE_ID, AZURE_USE, onCloud('AZURE', AZURE_USE)),
        codes: ['azure', 'azure'],
      },
      {
        name: 'Azure with a service principal secret',
        facts: everyRunnerContainer(
          (c) => {
            c.env = [
              ...(c.env ?? []),
              {
                name: 'AZURE_CLIENT_SECRET',
                valueFrom: { secretKeyRef: { name: 'matillion-runner-azure-sp', key: 'client-secret' } },
              },
            ];
          },
          withSa({}, undefined, onCloud('AZURE')),
        ),
        codes: ['azure-sp-secret', 'azure-sp-secret'],
        expect: message(/\(AZURE_CLIENT_SECRET from Secret matillion-runner-azure-sp\)/),
      },
      { name: 'GKE workload identity', facts: withSa(GSA, undefined, onCloud('GCP')), codes: ['gke', 'gke'] },
      {
        name: 'no runner pods (run without workload.runner-pods)',
        facts: edit(healthyCluster(), (f) => {
          f.runnerPods = [];
        }),
        codes: ['no-pods'],
      },
      {
        name: 'GKE without the annotation, static credentials instead',
        facts: staticAws(withSa({}, undefined, onCloud('GCP'))),
        codes: ['gke-static', 'gke-static'],
      },
    ],
    invalid: [
      {
        name: 'IRSA role ARN left as the placeholder',
        facts: withSa({ 'eks.amazonaws.com/role-arn': '<ServiceAccountRoleArn>' }),
        codes: ['irsa-placeholder', 'irsa-placeholder'],
        expect: message(/unfilled placeholder \(<ServiceAccountRoleArn>\)/),
      },
      {
        name: 'IRSA role ARN malformed',
        facts: withSa({ 'eks.amazonaws.com/role-arn': 'matillion-role' }),
        codes: ['irsa-malformed', 'irsa-malformed'],
        expect: message(/^IRSA role ARN "matillion-role" is malformed/),
      },
      {
        name: 'no IRSA annotation and no static keys',
        facts: withSa({}),
        codes: ['irsa-missing', 'irsa-missing'],
        expect: (rs) => {
          const r = rs[0]?.remediation;
          if (!r?.text.includes('system:serviceaccount:matillion:matillion-runner-sa')) throw new Error(r?.text);
          if (
            r.command !==
            'kubectl annotate sa -n matillion matillion-runner-sa eks.amazonaws.com/role-arn=arn:aws:iam::<account>:role/<role>'
          )
            throw new Error(r.command);
        },
      },
      {
        name: 'CLOUD_PROVIDER missing',
        facts: everyRunnerContainer((c) => {
          c.env = (c.env ?? []).filter((e) => e.name !== 'CLOUD_PROVIDER');
        }),
        codes: ['no-provider', 'no-provider'],
        expect: message(/CLOUD_PROVIDER is not set/),
      },
      {
        name: 'the ServiceAccount the pods name does not exist',
        facts: edit(healthyCluster(), (f) => {
          f.serviceAccounts = [];
        }),
        codes: ['no-service-account', 'no-service-account'],
        expect: message(/^ServiceAccount matillion-runner-sa does not exist$/),
      },
      {
        name: 'Azure workload identity without the pod label',
        facts: withSa(AZURE_ID, AZURE_USE, onCloud('AZURE')),
        codes: ['azure-incomplete', 'azure-incomplete'],
        expect: message(
          /^Azure workload identity incomplete: missing label azure\.workload\.identity\/use: "true" on the pod$/,
        ),
      },
      {
        name: 'Azure client id left as the placeholder',
        facts: withSa(
          { 'azure.workload.identity/client-id': '<AzureClientId>' },
          AZURE_USE,
          onCloud('AZURE', AZURE_USE),
        ),
        codes: ['azure-placeholder', 'azure-placeholder'],
      },
      {
        name: 'Azure workload identity without a token',
        facts: noAutomount(withSa(AZURE_ID, AZURE_USE, onCloud('AZURE', AZURE_USE))),
        codes: ['azure-no-token', 'azure-no-token'],
      },
      {
        name: 'GKE without the annotation',
        facts: withSa({}, undefined, onCloud('GCP')),
        codes: ['gke-missing', 'gke-missing'],
        expect: message(/no iam\.gke\.io\/gcp-service-account annotation$/),
      },
      {
        name: 'GKE service account left as the placeholder',
        facts: withSa({ 'iam.gke.io/gcp-service-account': '<GcpServiceAccount>' }, undefined, onCloud('GCP')),
        codes: ['gke-placeholder', 'gke-placeholder'],
      },
      {
        name: 'GKE workload identity without a token',
        facts: noAutomount(withSa(GSA, undefined, onCloud('GCP'))),
        codes: ['gke-no-token', 'gke-no-token'],
      },
    ],
  }),
];
