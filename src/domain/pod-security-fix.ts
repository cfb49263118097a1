// What to change in the runner's pod template for each Pod Security violation the API server names
// (domain.md §6, §8). A server-side dry-run of labelling the namespace returns warnings such as
//   existing pods in namespace "m" violate the new PodSecurity enforce level "restricted:v1.36"
//   matillion-runner-app-7d9f-aaaaa (and 1 other pod): allowPrivilegeEscalation != false, seccompProfile
// — each reason is one check of the pod-security-admission library, mapped here to the field that
// satisfies it. The chart renders an empty container securityContext and has no value for one, so the
// changes go in through a Helm post-renderer or a kustomize patch.

/** A level's violations as the dry-run reports them. */
export interface DryRunViolations {
  level?: string;
  version?: string;
  /** `pod (and N other pods)` → the reasons. */
  groups: { pods: string; reasons: string[] }[];
}

/** Parses the dry-run's warnings; undefined when they report no violation. */
export function parseDryRun(warnings: readonly string[]): DryRunViolations | undefined {
  let level: string | undefined;
  let version: string | undefined;
  const groups: DryRunViolations['groups'] = [];
  for (const w of warnings) {
    const head = w.match(/violate the new PodSecurity enforce level "([a-z]+):([^"]+)"/);
    if (head) {
      level = head[1];
      version = head[2];
      continue;
    }
    const m = w.match(/^(.+?(?: \(and \d+ other pods?\))?): (.+)$/);
    if (m) groups.push({ pods: m[1] ?? '', reasons: splitReasons(m[2] ?? '') });
  }
  if (!groups.length && !level) return undefined;
  return { ...(level ? { level } : {}), ...(version ? { version } : {}), groups };
}

/** Splits `a, b (x, y), c` at the commas outside parentheses. */
function splitReasons(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const C = 'the runner container’s securityContext';

/** Each reason (its start) → the change in the pod template that satisfies it. */
const FIELD_FIXES: readonly (readonly [RegExp, string])[] = [
  [/^privileged/, `remove privileged: true from ${C}`],
  [/^allowPrivilegeEscalation/, `set allowPrivilegeEscalation: false in ${C}`],
  [/^unrestricted capabilities/, `set capabilities.drop: ["ALL"] in ${C}`],
  [/^non-default capabilities/, `remove the added capabilities (capabilities.add) from ${C}`],
  [/^runAsNonRoot/, `set runAsNonRoot: true with a non-root runAsUser (e.g. 65534) in ${C}`],
  [/^runAsUser=0/, `set runAsUser to a non-zero uid (e.g. 65534) in ${C}`],
  [/^seccompProfile/, `set seccompProfile.type: RuntimeDefault in ${C} (or the pod's)`],
  [/^host namespaces/, 'remove hostNetwork / hostPID / hostIPC: true from the pod spec'],
  [/^hostPath volumes/, 'replace the hostPath volumes (emptyDir, a PVC or a projected volume)'],
  [/^hostPort/, 'remove hostPort from the container ports'],
  [/^hostProcess/, 'remove windowsOptions.hostProcess'],
  [/^procMount/, `remove procMount: Unmasked from ${C}`],
  [/^seLinuxOptions/, `remove the custom seLinuxOptions (type/user/role) from ${C}`],
  [/^forbidden AppArmor/, `set appArmorProfile.type: RuntimeDefault in ${C} (no Unconfined profile)`],
  [
    /^forbidden sysctls/,
    'remove the forbidden sysctl from the pod securityContext.sysctls (the chart’s net.ipv4.tcp_keepalive_time is allowed from Pod Security v1.29: raise pod-security.kubernetes.io/enforce-version)',
  ],
  [
    /^restricted volume types/,
    'use only configMap, secret, emptyDir, projected, downwardAPI, persistentVolumeClaim, ephemeral or csi volumes',
  ],
  [/^probe or lifecycle host/, 'remove the host field from the probes and lifecycle handlers'],
];

/** The change for one reason; undefined for a reason this table does not know (the reason then speaks for itself). */
export function fieldFix(reason: string): string | undefined {
  return FIELD_FIXES.find(([re]) => re.test(reason))?.[1];
}

/** Every distinct change the groups ask for, in the order admission lists them. */
export function fieldFixes(v: DryRunViolations): string[] {
  const reasons = [...new Set(v.groups.flatMap((g) => g.reasons))];
  return [...new Set(reasons.map((r) => fieldFix(r) ?? `fix ${r}`))];
}

/** Where such a change goes, since the chart has no value for the container securityContext. */
export const HOW_TO_PATCH =
  'the chart renders an empty container securityContext ({}) and has no value for it: add the fields with a Helm post-renderer (helm upgrade --post-renderer) or a kustomize patch of the runner Deployment';
