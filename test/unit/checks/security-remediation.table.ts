// security.pod-security's remediations: for each violation the API server's dry-run names, the field to
// change in the pod template, where to change it (the chart renders no container securityContext), and
// never the level the namespace already enforces; running pods that the enforced level would reject.
import podSecurity from '../../../checks/security/pod-security.ts';
import type { PodSecurityVerdict } from '../../../src/engine/facts.ts';
import type { CheckResult } from '../../../src/engine/types.ts';
import { table } from '../../helpers/check-table.ts';
import { edit, healthyCluster, NS } from './fixtures.ts';

const head = (level: string) =>
  `existing pods in namespace "${NS}" violate the new PodSecurity enforce level "${level}:v1.36"`;
/** The chart's pods as a privileged container (what the user had) at baseline, and at restricted. */
const PRIVILEGED_BASELINE = [head('baseline'), 'matillion-runner-app-7d9f-aaaaa (and 1 other pod): privileged'];
const PRIVILEGED_RESTRICTED = [
  head('restricted'),
  'matillion-runner-app-7d9f-aaaaa (and 1 other pod): privileged, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
];
const CHART_RESTRICTED = [
  head('restricted'),
  'matillion-runner-app-7d9f-aaaaa (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
];

const psa = (v: Partial<PodSecurityVerdict>) =>
  edit(healthyCluster(), (f) => {
    f.podSecurity = [{ namespace: NS, labels: {}, baseline: [], restricted: [], ...v }];
  });
const fixOf = (rs: CheckResult[]) => rs[0]?.remediation?.text ?? '';
const fixHas =
  (...res: RegExp[]) =>
  (rs: CheckResult[]) => {
    for (const re of res) if (!re.test(fixOf(rs))) throw new Error(`${re}: ${fixOf(rs)}`);
  };
const fixLacks =
  (...res: RegExp[]) =>
  (rs: CheckResult[]) => {
    for (const re of res) if (re.test(fixOf(rs))) throw new Error(`${re}: ${fixOf(rs)}`);
  };
const all =
  (...fs: ((rs: CheckResult[]) => void)[]) =>
  (rs: CheckResult[]) => {
    for (const f of fs) f(rs);
  };
const CHART_NOTE =
  /the chart renders an empty container securityContext \(\{\}\) and has no value for it: add the fields with a Helm post-renderer \(helm upgrade --post-renderer\) or a kustomize patch of the runner Deployment/;

const table1 = table(podSecurity, {
  valid: [
    {
      name: 'baseline enforced, restricted would reject: the info names what restricted needs',
      facts: psa({ labels: { enforce: 'baseline' }, restricted: CHART_RESTRICTED }),
      codes: ['restricted-would-reject'],
      expect: all(
        fixHas(
          /^to run under restricted: set allowPrivilegeEscalation: false in the runner container’s securityContext; set capabilities\.drop: \["ALL"\] in the runner container’s securityContext; set runAsNonRoot: true with a non-root runAsUser \(e\.g\. 65534\)/,
          /set seccompProfile\.type: RuntimeDefault/,
          CHART_NOTE,
        ),
        fixLacks(/enforce=baseline|enforce baseline/),
      ),
    },
  ],
  invalid: [
    {
      name: 'baseline enforced and a privileged runner running: rejected when recreated, and the fix is the field, not "enforce baseline"',
      facts: psa({ labels: { enforce: 'baseline' }, baseline: PRIVILEGED_BASELINE, restricted: PRIVILEGED_RESTRICTED }),
      codes: ['baseline-rejected'],
      expect: all(
        (rs) => {
          const m = rs[0]?.message ?? '';
          if (
            m !==
            'namespace matillion enforces baseline and the running runner pods violate it: recreated (a rollout, an eviction, a node drain) they will be rejected — matillion-runner-app-7d9f-aaaaa (and 1 other pod): privileged'
          )
            throw new Error(m);
        },
        fixHas(/^remove privileged: true from the runner container’s securityContext; /, CHART_NOTE),
        fixLacks(/baseline/),
      ),
    },
    {
      name: 'restricted enforced, the chart pods violate it but satisfy baseline: each field, and baseline as the fallback',
      facts: psa({ labels: { enforce: 'restricted' }, restricted: CHART_RESTRICTED }),
      codes: ['rejected'],
      expect: all(
        fixHas(
          /allowPrivilegeEscalation: false/,
          /capabilities\.drop: \["ALL"\]/,
          /runAsNonRoot: true/,
          /seccompProfile\.type: RuntimeDefault/,
          CHART_NOTE,
          /or, if the runner cannot be hardened, enforce baseline on the namespace instead/,
        ),
        fixLacks(/enforce=restricted|enforce restricted/),
      ),
    },
    {
      name: 'restricted enforced and the pods violate baseline too: no level to fall back to',
      facts: psa({
        labels: { enforce: 'restricted' },
        baseline: PRIVILEGED_BASELINE,
        restricted: PRIVILEGED_RESTRICTED,
      }),
      codes: ['rejected'],
      expect: all(fixHas(/^remove privileged: true/), fixLacks(/enforce baseline|enforce restricted/)),
    },
    {
      name: 'nothing enforced, hostPath and host namespaces violate baseline: the fields to change',
      facts: psa({
        baseline: [head('baseline'), 'matillion-runner-app-7d9f-aaaaa: host namespaces, hostPath volumes'],
      }),
      codes: ['violates-baseline'],
      expect: fixHas(/^remove hostNetwork \/ hostPID \/ hostIPC: true from the pod spec; replace the hostPath volumes/),
    },
  ],
});

export const tables = [table1];
