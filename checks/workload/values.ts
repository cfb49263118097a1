import { AZURE_TOKEN_EXPIRATION_ANNOTATION, AZURE_TOKEN_EXPIRATION_RANGE } from '../../src/domain/identity.ts';
import type { Deployment } from '../../src/domain/kube.ts';
import { literalEnv, objName, runnerContainer } from '../../src/domain/runner.ts';
import {
  resourcesOverride,
  tokenExpirationProblem,
  VALUE_MESSAGES,
  type ValueProblem,
  valueProblems,
} from '../../src/domain/values.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { Finding, JudgeContext } from '../../src/engine/types.ts';

const messages = {
  ok: { status: 'pass', text: '{{deployment}}: every value the chart rendered is one the agent can use' },
  ...VALUE_MESSAGES,
  'no-deployment': { status: 'info', text: 'no runner Deployment found' },
} as const;

type Id = keyof typeof messages;

export default defineCheck({
  id: 'workload.values',
  title: 'Helm values the agent cannot use, as the chart rendered them',
  category: 'workload',
  scope: 'cluster',
  docs: {
    what: `The runner Deployment's rendered env and resources: a literal \${VAR} left by a skipped envsubst, CLOUD_PROVIDER outside AWS/AZURE/GCP, MATILLION_REGION not us1/eu1/au1 (and what the endpoints fall back to), PROXY_HTTP(S) the agent cannot parse, PROXY_EXCLUDE in NO_PROXY syntax, *_LOCATION placeholders, a resources override with only requests or only limits, and an Azure token-expiration annotation outside 3600–86400 s. Each finding names the Helm value to change.`,
    why: 'These values look set but do not work: the agent crashes at start on a proxy without a port — so its pods never run and no in-pod check can see why — talks to the wrong region, loops on a placeholder bucket, or runs without limits. Read from the Deployment, they are found even when no pod runs.',
    fix: 'Set the Helm value the finding names and run helm upgrade.',
  },
  needs: ['runnerDeployments'],
  messages,
  judge({ runnerDeployments }, { report }) {
    if (runnerDeployments.length === 0) return report('no-deployment');
    return runnerDeployments.flatMap((d) => judgeDeployment(d, report));
  },
});

function judgeDeployment(d: Deployment, report: JudgeContext<Id>['report']): Finding<Id>[] {
  const template = d.spec?.template;
  const env = literalEnv(template ?? {});
  const problems: ValueProblem[] = [
    ...valueProblems([...env.keys()].sort(), (n) => env.get(n), { all: true }),
    ...[resourcesOverride(runnerContainer(template ?? {})?.resources)].flatMap((p) => (p ? [p] : [])),
    ...[
      tokenExpirationProblem(
        template?.metadata?.annotations,
        AZURE_TOKEN_EXPIRATION_ANNOTATION,
        AZURE_TOKEN_EXPIRATION_RANGE,
      ),
    ].flatMap((p) => (p ? [p] : [])),
  ];
  const target = objName(d);
  if (problems.length === 0) return [report('ok', { deployment: target }, { target })];
  return problems.map((p) =>
    report(
      p.kind,
      { variable: p.variable, value: p.value ?? 'hidden', detail: p.detail, helm: p.helm },
      { target, details: { variable: p.variable, helmValue: p.helm } },
    ),
  );
}
