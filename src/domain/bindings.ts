// RoleBindings and ClusterRoleBindings as the token-exposure check reads them: reduced on receipt to
// their role and subjects, and the question "does this grant anything to that ServiceAccount?".

export interface BindingSubject {
  kind: string;
  name: string;
  namespace?: string;
}

export interface BindingInfo {
  /** Absent for a ClusterRoleBinding. */
  namespace?: string;
  name: string;
  roleRef: { kind: string; name: string };
  subjects: BindingSubject[];
}

/** `RoleBinding ns/name → ClusterRole admin`. */
export const bindingName = (b: BindingInfo): string =>
  `${b.namespace ? `RoleBinding ${b.namespace}/` : 'ClusterRoleBinding '}${b.name} → ${b.roleRef.kind} ${b.roleRef.name}`;

/**
 * Whether a binding grants something to ServiceAccount `namespace/name`: as itself (a RoleBinding's
 * ServiceAccount subject without a namespace is in the binding's own), or through the groups of all
 * ServiceAccounts (of its namespace). The cluster's own `system:` bindings (discovery, basic user) are
 * left out: every identity has them.
 */
export function grantsTo(b: BindingInfo, namespace: string, name: string): boolean {
  if (b.name.startsWith('system:')) return false;
  return b.subjects.some((s) => {
    if (s.kind === 'ServiceAccount') return s.name === name && (s.namespace ?? b.namespace) === namespace;
    if (s.kind === 'Group')
      return s.name === 'system:serviceaccounts' || s.name === `system:serviceaccounts:${namespace}`;
    return false;
  });
}
