import { defineCheck, fail, pass } from '../../src/engine/define.ts';
import { isSecretName } from '../../src/redact/redact.ts';

export default defineCheck({
  id: 'environment.placeholders',
  title: 'No unfilled <Placeholder> values in the environment',
  category: 'environment',
  scope: 'pod',
  severity: 'fail',
  docs: {
    what: 'Finds environment values that still look like the chart\'s placeholders (`<MatillionRegion>`, `<AgentClientId>` …).',
    why: 'A placeholder means the Helm value was never set: the runner starts but cannot authenticate or reach the right region.',
    fix: 'Set the Helm value the placeholder names and run `helm upgrade`.',
  },
  needs: ['probe'],
  async run({ fact }) {
    const p = await fact('probe');
    const found = [...p.env.entries()].filter(([, e]) => e.placeholder).map(([name, e]) => ({ name, placeholder: !isSecretName(name) && e.value ? e.value : undefined }));
    if (found.length) {
      const list = found.map((f) => (f.placeholder ? `${f.name}=${f.placeholder}` : f.name)).join(', ');
      return fail(`unfilled placeholders: ${list}`, { details: { variables: found.map((f) => f.name) }, remediation: 'set the Helm values these placeholders stand for (the name inside <…> is the value to fill) and run helm upgrade' });
    }
    return pass(`no placeholders among ${p.env.size} runner variables`);
  },
});
