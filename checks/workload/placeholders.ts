import { PLACEHOLDER } from '../../src/domain/chart.ts';
import { podName, runnerContainer } from '../../src/domain/runner.ts';
import { defineCheck } from '../../src/engine/define.ts';
import { isSecretName } from '../../src/redact/redact.ts';

/** What a placeholder in a secret-named variable is shown as: even its name may say too much. */
const MASKED = '<…>';

export default defineCheck({
  id: 'workload.placeholders',
  title: "No unfilled <Placeholder> values in the runner's spec",
  category: 'workload',
  scope: 'cluster',
  docs: {
    what: "Looks for chart placeholders (`<ServiceAccountRoleArn>`, `<MatillionRegion>` …) in the runner pod's env values, annotations, image and its ServiceAccount's annotations.",
    why: 'A placeholder means a Helm value was never set; the runner starts but cannot authenticate, reach its region or assume its role.',
    fix: 'Set the Helm value the placeholder names (the text inside <…>) and run helm upgrade.',
  },
  needs: ['runnerPods', 'serviceAccounts'],
  requires: ['workload.runner-pods'],
  messages: {
    none: { status: 'pass', text: 'no placeholders in {{count}} runner pod spec(s) and their ServiceAccount' },
    unfilled: {
      status: 'fail',
      text: 'unfilled placeholders: {{list}}',
      fix: 'set the Helm values {{values}} and run helm upgrade',
    },
  },
  judge({ runnerPods, serviceAccounts }, { report }) {
    // Where → the placeholder found there; the same place in several pods counts once.
    const found = new Map<string, string>();
    const look = (where: string, value: string | undefined, masked = false) => {
      const ph = value?.match(PLACEHOLDER)?.[0];
      if (ph) found.set(where, masked ? MASKED : ph);
    };
    for (const p of runnerPods) {
      const c = runnerContainer(p);
      for (const e of c?.env ?? []) look(`env ${e.name}`, e.value, isSecretName(e.name));
      look('image', c?.image);
      for (const [k, v] of Object.entries(p.metadata?.annotations ?? {})) look(`pod annotation ${k}`, v);
      const saName = p.spec?.serviceAccountName ?? 'default';
      const sa = serviceAccounts.find(
        (s) => s.metadata?.name === saName && s.metadata?.namespace === p.metadata?.namespace,
      );
      for (const [k, v] of Object.entries(sa?.metadata?.annotations ?? {}))
        look(`ServiceAccount ${saName} annotation ${k}`, v);
    }
    if (found.size) {
      const list = [...found].map(([where, ph]) => `${where} = ${ph}`);
      const values =
        [...new Set(found.values())].filter((v) => v !== MASKED).join(', ') || 'these placeholders stand for';
      return report(
        'unfilled',
        { list: list.join('; '), values },
        { details: { placeholders: Object.fromEntries(found) } },
      );
    }
    return report('none', { count: runnerPods.length }, { details: { pods: runnerPods.map(podName) } });
  },
});
