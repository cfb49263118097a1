import { defineCheck } from '../../src/engine/define.ts';
import { HELM_VALUE } from '../../src/domain/chart.ts';

export default defineCheck({
  id: 'environment.placeholders',
  title: 'No unfilled <Placeholder> values in the environment',
  category: 'environment',
  scope: 'pod',
  docs: {
    what: "Finds environment values that still look like the chart's placeholders (`<MatillionRegion>`, `<AgentClientId>` …).",
    why: 'A placeholder means the Helm value was never set: the runner starts but cannot authenticate or reach the right region.',
    fix: 'Set the Helm value the placeholder names and run `helm upgrade`.',
  },
  needs: ['env'],
  messages: {
    none: { status: 'pass', text: 'no placeholders among {{count}} runner variables' },
    found: {
      status: 'fail',
      text: 'unfilled placeholders: {{list}}',
      fix: 'set the Helm values these placeholders stand for (the name inside <…> is the value to fill) and run helm upgrade{{values}}',
    },
  },
  judge({ env }, { report }) {
    const found = Object.entries(env).filter(([, e]) => e.placeholder);
    if (found.length === 0) return report('none', { count: Object.keys(env).length });
    // The env fact holds values only for non-secret names, so a secret's placeholder is named, never shown.
    const list = found.map(([name, e]) => (e.value ? `${name}=${e.value}` : name)).join(', ');
    const helm = found.flatMap(([name]) => (HELM_VALUE[name] ? [`${name} is set by ${HELM_VALUE[name]}`] : []));
    const values = helm.length ? `; ${helm.join(', ')}` : '';
    return report('found', { list, values }, { details: { variables: found.map(([name]) => name) } });
  },
});
