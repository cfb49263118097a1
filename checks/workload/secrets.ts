import { SECRET_KEYS } from '../../src/domain/chart.ts';
import type { Pod } from '../../src/domain/kube.ts';
import { defineCheck } from '../../src/engine/define.ts';

interface Ref {
  secret: string;
  key?: string;
  optional: boolean;
  via: string;
}

/** Every Secret the pod references, and the keys it needs from each. */
export function secretRefs(p: Pod): Ref[] {
  const refs: Ref[] = [];
  for (const c of [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? [])]) {
    for (const e of c.envFrom ?? [])
      if (e.secretRef?.name)
        refs.push({ secret: e.secretRef.name, optional: e.secretRef.optional === true, via: `envFrom in ${c.name}` });
    for (const e of c.env ?? []) {
      const r = e.valueFrom?.secretKeyRef;
      if (r?.name) refs.push({ secret: r.name, key: r.key, optional: r.optional === true, via: `env ${e.name}` });
    }
  }
  for (const v of p.spec?.volumes ?? [])
    if (v.secret?.secretName)
      refs.push({ secret: v.secret.secretName, optional: v.secret.optional === true, via: `volume ${v.name}` });
  for (const s of p.spec?.imagePullSecrets ?? [])
    if (s.name) refs.push({ secret: s.name, optional: false, via: 'imagePullSecrets' });
  return refs;
}

export default defineCheck({
  id: 'workload.secrets',
  title: 'Secrets the runner references exist and hold the expected keys',
  category: 'workload',
  scope: 'cluster',
  docs: {
    what: "Lists the Secrets the runner pods reference (envFrom, secretKeyRef, volumes, imagePullSecrets) and checks each exists and has the keys asked for (and the chart's expected keys). Only key names are read into the report; values are dropped on receipt.",
    why: 'A missing Secret or key keeps the pod from starting (CreateContainerConfigError) or leaves the runner without its OAuth credentials.',
    fix: 'Create the Secret with the listed keys (the chart does from its values), or fix the reference.',
  },
  needs: ['runnerPods', 'secretKeys'],
  requires: ['workload.runner-pods'],
  messages: {
    resolved: { status: 'pass', text: '{{count}} Secret reference(s) resolve, with the expected keys' },
    missing: {
      status: 'fail',
      text: '{{problems}}',
      fix: 'create the missing Secret or keys (helm upgrade with the OAuth client id/secret values, config.oauthClientId / config.oauthClientSecret, recreates the config Secret)',
    },
  },
  judge({ runnerPods, secretKeys }, { report }) {
    const problems = new Set<string>();
    let checked = 0;
    for (const p of runnerPods) {
      const ns = p.metadata?.namespace ?? 'default';
      for (const r of secretRefs(p)) {
        checked++;
        const s = secretKeys.find((x) => x.namespace === ns && x.name === r.secret);
        if (!s) {
          if (!r.optional) problems.add(`Secret ${ns}/${r.secret} (${r.via}) does not exist`);
          continue;
        }
        const want = [...(r.key ? [r.key] : []), ...(SECRET_KEYS.find(([re]) => re.test(r.secret))?.[1] ?? [])];
        const missing = want.filter((k) => !s.keys.includes(k));
        if (missing.length && !r.optional)
          problems.add(`Secret ${ns}/${r.secret} lacks key(s) ${missing.join(', ')} (${r.via})`);
      }
    }
    if (problems.size)
      return report('missing', { problems: [...problems].join('; ') }, { details: { problems: [...problems] } });
    return report('resolved', { count: checked });
  },
});
