import { defineCheck, fail, pass } from '../../src/engine/define.ts';
import { podName, runnerContainer } from '../../src/facts/kube/runner.ts';
import { isSecretName } from '../../src/redact/redact.ts';

const PLACEHOLDER = /<[A-Za-z][^>]*>/;

export default defineCheck({
  id: 'workload.placeholders',
  title: 'No unfilled <Placeholder> values in the runner\'s spec',
  category: 'workload',
  scope: 'cluster',
  severity: 'fail',
  docs: {
    what: 'Looks for chart placeholders (`<ServiceAccountRoleArn>`, `<MatillionRegion>` …) in the runner pod\'s env values, annotations, image and its ServiceAccount\'s annotations.',
    why: 'A placeholder means a Helm value was never set; the runner starts but cannot authenticate, reach its region or assume its role.',
    fix: 'Set the Helm value the placeholder names (the text inside <…>) and run helm upgrade.',
  },
  needs: ['kube'],
  requires: ['workload.runner-pods'],
  async run({ fact }) {
    const snap = await fact('kube');
    const pods = await snap.runnerPods();
    const sas = await snap.serviceAccounts().catch(() => []);
    const found = new Map<string, string>();
    for (const p of pods) {
      const c = runnerContainer(p);
      for (const e of c?.env ?? []) if (e.value && PLACEHOLDER.test(e.value)) found.set(`env ${e.name}`, isSecretName(e.name) ? '<…>' : e.value.match(PLACEHOLDER)![0]);
      if (c?.image && PLACEHOLDER.test(c.image)) found.set('image', c.image.match(PLACEHOLDER)![0]);
      for (const [k, v] of Object.entries(p.metadata?.annotations ?? {})) if (PLACEHOLDER.test(v)) found.set(`pod annotation ${k}`, v.match(PLACEHOLDER)![0]);
      const sa = sas.find((s) => s.metadata?.name === (p.spec?.serviceAccountName ?? 'default') && s.metadata?.namespace === p.metadata?.namespace);
      for (const [k, v] of Object.entries(sa?.metadata?.annotations ?? {})) if (PLACEHOLDER.test(v)) found.set(`ServiceAccount ${sa?.metadata?.name} annotation ${k}`, v.match(PLACEHOLDER)![0]);
    }
    if (found.size) {
      const list = [...found].map(([where, ph]) => `${where} = ${ph}`);
      return fail(`unfilled placeholders: ${list.join('; ')}`, { details: { placeholders: Object.fromEntries(found) }, remediation: `set the Helm values ${[...new Set(found.values())].filter((v) => v !== '<…>').join(', ') || 'these placeholders stand for'} and run helm upgrade` });
    }
    return pass(`no placeholders in ${pods.length} runner pod spec(s) and their ServiceAccount`, { details: { pods: pods.map(podName) } });
  },
});
