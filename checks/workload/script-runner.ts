import { HELM } from '../../src/domain/chart.ts';
import { subjectMatches, subjectOf, trustBinding } from '../../src/domain/identity.ts';
import type { Deployment, NetworkPolicy, Pod, ServiceAccount } from '../../src/domain/kube.ts';
import { egressVerdict, ingressVerdict, policiesFor } from '../../src/domain/netpol.ts';
import type { Provider } from '../../src/domain/platforms.ts';
import { cloudProviderOf, literalEnv, objName } from '../../src/domain/runner.ts';
import {
  SCRIPT_RUNNER_COMPONENT,
  SCRIPT_RUNNER_HOST_VAR,
  SCRIPT_RUNNER_PORT,
  SCRIPT_RUNNER_TMP_LIMIT,
  tmpSizeLimit,
} from '../../src/domain/script-runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext, MessageDef } from '../../src/engine/types.ts';

const IDENTITY_ANNOTATION: Record<Provider, string> = {
  AWS: 'eks.amazonaws.com/role-arn',
  AZURE: 'azure.workload.identity/client-id',
  GCP: 'iam.gke.io/gcp-service-account',
};

const messages = {
  ok: {
    status: 'pass',
    text: '{{name}}: {{ready}}/{{replicas}} ready, ServiceAccount {{sa}}, /tmp limited to {{tmp}}, port 2222 allowed between the runner and it',
  },
  'host-no-deployment': {
    status: 'fail',
    text: `${SCRIPT_RUNNER_HOST_VAR} is {{host}} on the runner in {{namespace}}, but no script runner Deployment (${SCRIPT_RUNNER_COMPONENT}) is there: Python and Bash script components fail`,
    fix: 'enable the script runner in the chart values (scriptRunner.*) or remove MTLN_SCRIPT_RUNNER_HOST, then helm upgrade',
  },
  'deployment-no-host': {
    status: 'warn',
    text: `{{name}} runs, but the runner pods in {{namespace}} have no ${SCRIPT_RUNNER_HOST_VAR}: the runner does not use it`,
    fix: 'enable the script runner through the chart values (scriptRunner.*), which also sets MTLN_SCRIPT_RUNNER_HOST on the runner, then helm upgrade',
  },
  'not-ready': {
    status: 'fail',
    text: '{{name}}: {{ready}} of {{replicas}} replicas ready: scripts cannot run',
    command: `kubectl -n {{namespace}} describe pods -l ${SCRIPT_RUNNER_COMPONENT}`,
  },
  'no-service-account': {
    status: 'fail',
    text: '{{name}} runs as ServiceAccount {{sa}}, which does not exist',
    fix: 'let the chart create the script runner ServiceAccount (scriptRunner.serviceAccount.*) and helm upgrade',
  },
  'no-identity': {
    status: 'warn',
    text: "{{name}}'s ServiceAccount {{sa}} has no {{annotation}}: scripts get no cloud identity",
    fix: "set the script runner's workload identity in the chart values the way the runner's is set",
  },
  'subject-mismatch': {
    status: 'warn',
    text: "{{name}} presents {{subject}}, but {{binding}} from the vendor's Terraform accepts {{expected}}: its token exchange will be refused",
    fix: `add {{subject}} to {{binding}}, or keep the release name and namespace the Terraform expects (${HELM.serviceAccountName} defaults)`,
  },
  'tmp-no-limit': {
    status: 'warn',
    text: `{{name}}: /tmp ({{volume}}) has no sizeLimit (the chart sets ${SCRIPT_RUNNER_TMP_LIMIT}): one script can fill the node's disk`,
    fix: `set the emptyDir sizeLimit of the script runner's /tmp volume to ${SCRIPT_RUNNER_TMP_LIMIT} (the chart's default) and helm upgrade`,
  },
  'egress-blocked': {
    status: 'fail',
    text: `the NetworkPolicies selecting the runner ({{policies}}) allow no egress to port ${SCRIPT_RUNNER_PORT}: the runner cannot reach {{name}}`,
    fix: `add an egress rule to TCP ${SCRIPT_RUNNER_PORT} for the script runner pods (the chart's NetworkPolicy has one when the script runner is on)`,
  },
  'ingress-blocked': {
    status: 'fail',
    text: `the NetworkPolicies selecting {{name}} ({{policies}}) admit nothing on port ${SCRIPT_RUNNER_PORT}: the runner cannot reach it`,
    fix: `allow ingress to TCP ${SCRIPT_RUNNER_PORT} from the runner pods`,
  },
  disabled: {
    status: 'skip',
    text: `the script runner is not enabled (no ${SCRIPT_RUNNER_HOST_VAR}, no script runner Deployment)`,
  },
} satisfies Record<string, MessageDef>;

type Id = keyof typeof messages;

export default defineCheck({
  id: 'workload.script-runner',
  title: 'The script runner: Deployment, identity, /tmp limit and port 2222',
  category: 'workload',
  scope: 'cluster',
  docs: {
    what: `When the script runner is enabled (${SCRIPT_RUNNER_HOST_VAR} on the runner, or a Deployment labelled ${SCRIPT_RUNNER_COMPONENT}): its replicas are ready, its ServiceAccount exists with the same kind of workload identity as the runner and the subject the vendor's Terraform binds (*-script-runner-sa), its /tmp emptyDir has a sizeLimit (${SCRIPT_RUNNER_TMP_LIMIT}), and the NetworkPolicies allow the runner to reach it on ${SCRIPT_RUNNER_PORT}. network.script-runner tests the port from inside each runner pod.`,
    why: 'Python and Bash script components run in the script runner over SSH: when it is down, unreachable or without identity, those components fail while everything else works.',
    fix: 'Enable the script runner through the chart values (scriptRunner.*), which render the Deployment, its ServiceAccount, the /tmp limit and the 2222 NetworkPolicy rule together.',
  },
  needs: ['runnerPods', 'scriptRunners', 'serviceAccounts', 'networkPolicies'],
  messages,
  judge({ runnerPods, scriptRunners, serviceAccounts, networkPolicies }, { report }) {
    const namespaces = [
      ...new Set([...runnerPods, ...scriptRunners].map((o) => o.metadata?.namespace ?? 'default')),
    ].sort();
    const out = namespaces.flatMap((ns) => {
      const pods = runnerPods.filter((p) => p.metadata?.namespace === ns);
      const runners = scriptRunners.filter((d) => d.metadata?.namespace === ns);
      return judgeNamespace(ns, pods, runners, serviceAccounts, networkPolicies, report);
    });
    return out.length ? out : report('disabled');
  },
});

function judgeNamespace(
  ns: string,
  pods: Pod[],
  runners: Deployment[],
  sas: ServiceAccount[],
  policies: NetworkPolicy[],
  report: JudgeContext<Id>['report'],
): Finding<Id>[] {
  const host = pods.map((p) => literalEnv(p).get(SCRIPT_RUNNER_HOST_VAR)).find((v) => v !== undefined && v !== '');
  if (runners.length === 0) return host ? [report('host-no-deployment', { host, namespace: ns }, { target: ns })] : [];
  return runners.flatMap((d) => {
    const name = objName(d);
    const target = name;
    const out: Finding<Id>[] = [];
    if (!host) out.push(report('deployment-no-host', { name, namespace: ns }, { target }));
    const replicas = d.spec?.replicas ?? 1;
    const ready = d.status?.readyReplicas ?? 0;
    if (ready < replicas || replicas === 0)
      out.push(report('not-ready', { name, ready, replicas, namespace: ns }, { target }));
    const saName = d.spec?.template?.spec?.serviceAccountName ?? 'default';
    const sa = sas.find((s) => s.metadata?.namespace === ns && s.metadata?.name === saName);
    const provider = pods.map(cloudProviderOf).find((p) => p !== undefined);
    if (!sa) out.push(report('no-service-account', { name, sa: `${ns}/${saName}` }, { target }));
    else if (provider) {
      const annotation = IDENTITY_ANNOTATION[provider];
      const subject = subjectOf(ns, saName);
      const binding = trustBinding(provider, 'script-runner');
      if (!sa.metadata?.annotations?.[annotation])
        out.push(report('no-identity', { name, sa: `${ns}/${saName}`, annotation }, { target }));
      else if (!subjectMatches(binding.pattern, subject))
        out.push(
          report(
            'subject-mismatch',
            { name, subject, binding: binding.binding, expected: binding.display },
            { target, details: { subject, bound: binding.pattern } },
          ),
        );
    }
    const tmp = tmpSizeLimit(d);
    if (!tmp.sizeLimit) out.push(report('tmp-no-limit', { name, volume: tmp.volume ?? 'no /tmp volume' }, { target }));
    const runnerPod = pods[0];
    if (runnerPod) {
      const selecting = policiesFor(runnerPod, policies);
      if (egressVerdict(selecting, SCRIPT_RUNNER_PORT, 'TCP').allowed === 'none')
        out.push(
          report(
            'egress-blocked',
            { name, policies: selecting.map((p) => p.metadata?.name ?? '?').join(', ') },
            { target },
          ),
        );
    }
    const srPod: Pod = { metadata: { namespace: ns, labels: d.spec?.template?.metadata?.labels ?? {} } };
    const selectingSr = policiesFor(srPod, policies);
    if (ingressVerdict(selectingSr, SCRIPT_RUNNER_PORT, ['ssh']).allowed === 'none')
      out.push(
        report(
          'ingress-blocked',
          { name, policies: selectingSr.map((p) => p.metadata?.name ?? '?').join(', ') },
          { target },
        ),
      );
    if (out.length === 0)
      out.push(report('ok', { name, ready, replicas, sa: `${ns}/${saName}`, tmp: tmp.sizeLimit ?? '?' }, { target }));
    return out;
  });
}
