// NetworkPolicy semantics for one pod: which policies select it, whether it is isolated for egress /
// ingress, and whether their union allows a given port and protocol to the internet or in-cluster.
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, Pod } from './kube.ts';

export function selectorMatches(sel: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels;
    const val = labels[e.key];
    if (e.operator === 'In' && !(has && (e.values ?? []).includes(val!))) return false;
    if (e.operator === 'NotIn' && has && (e.values ?? []).includes(val!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

export function policiesFor(pod: Pod, policies: readonly NetworkPolicy[]): NetworkPolicy[] {
  const labels = pod.metadata?.labels ?? {};
  return policies.filter(
    (p) => p.metadata?.namespace === pod.metadata?.namespace && selectorMatches(p.spec?.podSelector, labels),
  );
}

/**
 * The runner pods grouped by the set of policies selecting them (per namespace), one representative pod
 * each: pods selected by the same policies get the same answer, so a check judges each group once.
 */
export function byPolicySet(
  pods: readonly Pod[],
  policies: readonly NetworkPolicy[],
): { pod: Pod; selecting: NetworkPolicy[] }[] {
  const seen = new Set<string>();
  const out: { pod: Pod; selecting: NetworkPolicy[] }[] = [];
  for (const pod of pods) {
    const selecting = policiesFor(pod, policies);
    const key = `${pod.metadata?.namespace}:${selecting
      .map((x) => x.metadata?.name)
      .sort()
      .join(',')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ pod, selecting });
  }
  return out;
}

function types(p: NetworkPolicy): string[] {
  if (p.spec?.policyTypes?.length) return p.spec.policyTypes;
  return ['Ingress', ...(p.spec?.egress ? ['Egress'] : [])];
}

function portMatches(
  ports: NetworkPolicyPort[] | undefined,
  port: number,
  protocol: string,
  names: string[] = [],
): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'string') return /^\d+$/.test(p.port) ? Number(p.port) === port : names.includes(p.port);
    return p.endPort ? port >= p.port && port <= p.endPort : p.port === port;
  });
}

/** What a peer list reaches: anywhere (no peers, or an ipBlock covering public addresses), or in-cluster only. */
function reach(peers: NetworkPolicyPeer[] | undefined): 'anywhere' | 'cluster' | 'none' {
  if (!peers || peers.length === 0) return 'anywhere';
  if (peers.some((p) => p.ipBlock && (p.ipBlock.cidr === '0.0.0.0/0' || p.ipBlock.cidr === '::/0'))) return 'anywhere';
  if (peers.some((p) => p.ipBlock)) return 'cluster'; // a specific range: treat as reaching only what it names
  return peers.length ? 'cluster' : 'none';
}

export interface Verdict {
  isolated: boolean;
  /** anywhere: allowed to any destination; cluster: only to selected pods/namespaces or given ranges; none: denied. */
  allowed: 'anywhere' | 'cluster' | 'none';
  by: string[];
}

export function egressVerdict(selecting: NetworkPolicy[], port: number, protocol: 'TCP' | 'UDP'): Verdict {
  const isolating = selecting.filter((p) => types(p).includes('Egress'));
  if (isolating.length === 0) return { isolated: false, allowed: 'anywhere', by: [] };
  let best: Verdict['allowed'] = 'none';
  const by: string[] = [];
  for (const p of isolating) {
    for (const rule of p.spec?.egress ?? []) {
      if (!portMatches(rule.ports, port, protocol)) continue;
      const r = reach(rule.to);
      if (r === 'none') continue;
      by.push(p.metadata?.name ?? '?');
      if (r === 'anywhere') best = 'anywhere';
      else if (best === 'none') best = 'cluster';
    }
  }
  return { isolated: true, allowed: best, by: [...new Set(by)] };
}

export function ingressVerdict(selecting: NetworkPolicy[], port: number, portNames: string[]): Verdict {
  const isolating = selecting.filter((p) => types(p).includes('Ingress'));
  if (isolating.length === 0) return { isolated: false, allowed: 'anywhere', by: [] };
  let best: Verdict['allowed'] = 'none';
  const by: string[] = [];
  for (const p of isolating) {
    for (const rule of p.spec?.ingress ?? []) {
      if (!portMatches(rule.ports, port, 'TCP', portNames)) continue;
      const r = reach(rule.from);
      by.push(p.metadata?.name ?? '?');
      if (r === 'anywhere') best = 'anywhere';
      else if (best === 'none') best = 'cluster';
    }
  }
  return { isolated: true, allowed: best, by: [...new Set(by)] };
}

/** Whether a policy isolates the pods it selects for `Ingress` or `Egress` (its policyTypes, or what its rules imply). */
export const isolates = (p: NetworkPolicy, kind: 'Ingress' | 'Egress'): boolean => types(p).includes(kind);
export { portMatches };
