import { VALUE_MESSAGES, type ValueProblem, valueProblems } from '../../src/domain/values.ts';
import { defineCheck } from '../../src/engine/define.ts';
import type { JudgeContext } from '../../src/engine/types.ts';

const messages = {
  ok: {
    status: 'pass',
    text: `the proxy, PROXY_EXCLUDE and location values are usable, and none is a left-over \${VAR}`,
  },
  unexpanded: VALUE_MESSAGES.unexpanded,
  proxy: VALUE_MESSAGES.proxy,
  'proxy-exclude': VALUE_MESSAGES['proxy-exclude'],
  location: VALUE_MESSAGES.location,
} as const;

type Id = keyof typeof messages;

export default defineCheck({
  id: 'environment.values',
  title: `Runner values the agent can use: no \${VAR}, parseable proxy settings, real locations`,
  category: 'environment',
  scope: 'pod',
  docs: {
    what: `Reads the runner variables whose values may be shown: a literal \${VAR} left by a skipped envsubst, PROXY_HTTP(S) the agent cannot split into host and port (no scheme, no port, a port that is not a number), PROXY_EXCLUDE in NO_PROXY syntax (commas, .domain, CIDR, ports) rather than the JVM's |-separated patterns, and *_LOCATION values still set to a <Placeholder>. Each finding names the Helm value to change.`,
    why: 'The agent crashes at start on a proxy without a port ("expected system property https.proxyPort to be a number but got empty string"), sends everything through the proxy when PROXY_EXCLUDE is not in its syntax, and retries a placeholder location in a loop.',
    fix: 'Set the Helm value the finding names (dpcAgent.dpcAgent.env.*) and run helm upgrade.',
  },
  needs: ['env'],
  messages,
  judge({ env }, { report }) {
    const problems = valueProblems(Object.keys(env).sort(), (n) => env[n]?.value);
    if (problems.length === 0) return report('ok');
    return problems.flatMap((p) => finding(p, report));
  },
});

function finding(p: ValueProblem, report: JudgeContext<Id>['report']) {
  const vars = { variable: p.variable, value: p.value ?? 'hidden', detail: p.detail, helm: p.helm };
  const details = { variable: p.variable, helmValue: p.helm };
  if (p.kind === 'unexpanded' || p.kind === 'proxy' || p.kind === 'proxy-exclude' || p.kind === 'location')
    return [report(p.kind, vars, { details })];
  return [];
}
