// `runner-doctor manifest`: ready-to-apply YAML for running the doctor inside the cluster — its
// ServiceAccount, a Role (the runner namespace) and a ClusterRole (cluster-wide lists) holding exactly the
// rules of the facts the selected checks read, their bindings, and a Job whose pod satisfies Pod Security
// `restricted`. The rules come from the collectors (src/facts/registry.ts), so they cannot drift from
// what a run really asks of the API server.
import { CHECKS } from '../../checks/index.ts';
import { selectChecks, splitList } from '../engine/select.ts';
import type { FactName, RbacRule } from '../engine/facts.ts';
import type { AnyCheck } from '../engine/types.ts';
import { rulesFor } from '../facts/registry.ts';
import { UsageError } from './errors.ts';
import { toolVersion } from './version.ts';

export interface ManifestArgs {
  namespace?: string;
  release?: string;
  only?: string[];
  skip?: string[];
  name?: string;
  image?: string;
  imagePullPolicy?: string;
  failOn?: 'warn' | 'fail';
  timeout?: number;
  rbacOnly?: boolean;
  /** Extra `check` arguments for the Job (repeatable). */
  arg?: string[];
  /** KEY=VALUE annotations on the ServiceAccount (workload identity: the cloud role the cloud-logs checks use). */
  saAnnotation?: string[];
  /** KEY=VALUE labels on the Job's pod (e.g. azure.workload.identity/use=true). */
  podLabel?: string[];
}

/** KEY=VALUE pairs as an object; anything else is a usage error naming the flag. */
function pairs(flag: string, values: readonly string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError(`--${flag} "${v}" is not KEY=VALUE`);
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

const RBAC = 'rbac.authorization.k8s.io';

/**
 * The declared rules as RBAC rules, one per fact rule (identical ones once), sorted: removing any one of
 * them makes exactly the checks that read its facts report `forbidden` naming it.
 */
function mergeRules(rules: readonly RbacRule[]): { apiGroups: string[]; resources: string[]; verbs: string[] }[] {
  const by = new Map<string, { apiGroups: string[]; resources: string[]; verbs: string[] }>();
  for (const r of rules) {
    const rule = { apiGroups: [...r.apiGroups], resources: [...r.resources].sort(), verbs: [...r.verbs].sort() };
    by.set(JSON.stringify(rule), rule);
  }
  const key = (r: { apiGroups: string[]; resources: string[]; verbs: string[] }) =>
    `${r.apiGroups[0] ?? ''} ${r.resources.join(',')} ${r.verbs.join(',')}`;
  return [...by.values()].sort((a, b) => key(a).localeCompare(key(b)));
}

/** The rules a selection of checks needs, split into what a Role in the namespace and what a ClusterRole holds. */
export function rbacFor(checks: readonly AnyCheck[], namespaced: boolean) {
  const facts = new Set<FactName>(checks.flatMap((c) => c.needs));
  const rules = rulesFor(facts, { namespaced });
  const clusterWide = namespaced ? rules.filter((r) => r.scope === 'cluster') : rules;
  // A namespace rule the ClusterRole already grants (e.g. `list pods`, needed cluster-wide for the nodes'
  // pods and in the namespace for the runner's) is left out of the Role: one grant, one place to remove it.
  const inNamespace = namespaced ? rules.filter((r) => r.scope === 'namespace' && !grants(clusterWide, r)) : [];
  return { role: mergeRules(inNamespace), clusterRole: mergeRules(clusterWide), rules };
}

/** Whether `held` grant every verb of `rule` on each of its resources (same API group). */
export function grants(
  held: readonly Pick<RbacRule, 'apiGroups' | 'resources' | 'verbs'>[],
  rule: Pick<RbacRule, 'apiGroups' | 'resources' | 'verbs'>,
): boolean {
  return rule.resources.every((res) =>
    rule.verbs.every((verb) =>
      held.some(
        (h) =>
          h.apiGroups.some((g) => rule.apiGroups.includes(g)) && h.resources.includes(res) && h.verbs.includes(verb),
      ),
    ),
  );
}

export function manifestObjects(args: ManifestArgs): object[] {
  const namespace = args.namespace;
  if (!namespace)
    throw new UsageError('manifest needs --namespace: the namespace the runner lives in (the Job runs there too)');
  const selection = selectChecks(CHECKS, splitList(args.only), splitList(args.skip));
  if (selection.unknown.length)
    throw new UsageError(
      `no check, category or tag matches ${selection.unknown.map((s) => `"${s}"`).join(', ')} (see runner-doctor list)`,
    );
  const name = args.name ?? 'runner-doctor';
  const version = toolVersion();
  const labels = {
    'app.kubernetes.io/name': 'runner-doctor',
    'app.kubernetes.io/version': version,
    'app.kubernetes.io/managed-by': 'runner-doctor-manifest',
  };
  const { role, clusterRole } = rbacFor(selection.checks, true);
  const subject = { kind: 'ServiceAccount', name, namespace };
  const annotations = pairs('sa-annotation', args.saAnnotation);
  const podLabels = { ...labels, ...pairs('pod-label', args.podLabel) };
  const clusterName = `${name}-${namespace}`;
  const objs: object[] = [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name, namespace, labels, ...(annotations ? { annotations } : {}) },
    },
    { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name, namespace, labels }, rules: role },
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'RoleBinding',
      metadata: { name, namespace, labels },
      roleRef: { apiGroup: RBAC, kind: 'Role', name },
      subjects: [subject],
    },
    ...(clusterRole.length
      ? [
          {
            apiVersion: `${RBAC}/v1`,
            kind: 'ClusterRole',
            metadata: { name: clusterName, labels },
            rules: clusterRole,
          },
          {
            apiVersion: `${RBAC}/v1`,
            kind: 'ClusterRoleBinding',
            metadata: { name: clusterName, labels },
            roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: clusterName },
            subjects: [subject],
          },
        ]
      : []),
  ];
  if (args.rbacOnly) return objs;
  const timeout = args.timeout ?? 300;
  if (!Number.isInteger(timeout) || timeout < 1)
    throw new UsageError(`--timeout must be a whole number of seconds ≥ 1, not ${timeout}`);
  const checkArgs = [
    'check',
    '--namespace',
    namespace,
    ...(args.release ? ['--release', args.release] : []),
    ...splitList(args.only).flatMap((s) => ['--only', s]),
    ...splitList(args.skip).flatMap((s) => ['--skip', s]),
    '--fail-on',
    args.failOn ?? 'fail',
    '--timeout',
    String(timeout),
    '--summary-file',
    '/dev/termination-log',
    ...(args.arg ?? []),
  ];
  objs.push({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace, labels },
    spec: {
      // A failed check is the answer, not a reason to run again; an eviction or a drain is not an answer.
      backoffLimit: 0,
      podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] },
      activeDeadlineSeconds: timeout + 60,
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels: podLabels },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: true,
          restartPolicy: 'Never',
          // The image is Linux only (AKS Windows node pools are not tainted by default).
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65534,
            runAsGroup: 65534,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'runner-doctor',
              image: args.image ?? `runner-doctor:${version}`,
              imagePullPolicy: args.imagePullPolicy ?? 'IfNotPresent',
              args: checkArgs,
              env: [{ name: 'CI', value: 'true' }],
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
              // `kubectl get pod` shows the verdict: the closing summary line is the termination message.
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'FallbackToLogsOnError',
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    },
  });
  return objs;
}

/** The manifest as YAML text, as `manifest` prints it (and deploy/ holds it). */
export async function manifestYaml(args: ManifestArgs): Promise<string> {
  // Bundled CommonJS modules arrive under `default` when split into lazy chunks; sources get named exports.
  const mod = await import('yaml');
  const { stringify } = 'stringify' in mod ? mod : (mod as unknown as { default: typeof mod }).default;
  const objs = manifestObjects(args);
  const flags = [`--namespace ${args.namespace}`, ...(args.rbacOnly ? ['--rbac-only'] : [])].join(' ');
  const head = [
    `# Generated by \`runner-doctor manifest ${flags}\`.`,
    '# The rules are exactly those of the facts the selected checks read: read-only verbs, plus exec into',
    "# runner pods, the pod proxy for the runner's metrics, and patch on the namespace for Pod Security",
    '# server-side dry-runs (dryRun=All: nothing changes).',
  ].join('\n');
  return `${head}\n${objs.map((o) => stringify(o, { lineWidth: 0 })).join('---\n')}`;
}

export async function manifestCommand(args: ManifestArgs): Promise<number> {
  process.stdout.write(await manifestYaml(args));
  return 0;
}

/**
 * The Helm chart's RBAC template (deploy/helm/runner-doctor/templates/rbac.yaml): the same rules as
 * `manifest` for every check, with the names and namespaces left to Helm.
 */
export async function helmRbacTemplate(): Promise<string> {
  const mod = await import('yaml');
  const { stringify } = 'stringify' in mod ? mod : (mod as unknown as { default: typeof mod }).default;
  const { role, clusterRole } = rbacFor(CHECKS, true);
  const rules = (r: object[]) => stringify({ rules: r }, { lineWidth: 0 }).trimEnd();
  const name = '{{ include "runner-doctor.name" . }}';
  const ns = '{{ include "runner-doctor.runnerNamespace" . }}';
  const labels = '  labels:\n    {{- include "runner-doctor.labels" . | nindent 4 }}';
  const subject = `subjects:\n  - kind: ServiceAccount\n    name: ${name}\n    namespace: {{ .Release.Namespace }}`;
  return [
    '# Generated by `npm run deploy` from the rules the collectors declare (what `runner-doctor manifest` prints',
    '# for every check); a test fails when it drifts.',
    `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n${labels}\n  {{- with .Values.serviceAccount.annotations }}\n  annotations:\n    {{- range $k, $v := . }}\n    {{ $k }}: {{ $v | quote }}\n    {{- end }}\n  {{- end }}`,
    `---\napiVersion: ${RBAC}/v1\nkind: Role\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n${labels}\n${rules(role)}`,
    `---\napiVersion: ${RBAC}/v1\nkind: RoleBinding\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n${labels}\nroleRef:\n  apiGroup: ${RBAC}\n  kind: Role\n  name: ${name}\n${subject}`,
    `---\napiVersion: ${RBAC}/v1\nkind: ClusterRole\nmetadata:\n  name: ${name}-${ns}\n${labels}\n${rules(clusterRole)}`,
    `---\napiVersion: ${RBAC}/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: ${name}-${ns}\n${labels}\nroleRef:\n  apiGroup: ${RBAC}\n  kind: ClusterRole\n  name: ${name}-${ns}\n${subject}`,
    '',
  ].join('\n');
}
