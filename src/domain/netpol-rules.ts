// NetworkPolicy semantics rule by rule, for remediations that name the policy and the rule: which egress
// rules allow a port, whether their peers reach public addresses or only private ranges and in-cluster
// peers, whether the union of every policy lets a given address through (an `except` narrows only its own
// rule: another rule that allows the address still allows it), and which namespaces and pods a peer's
// selectors actually match.
import type { ClusterPod, IpBlock, LabelSelector, NetworkPolicy, NetworkPolicyPeer } from './kube.ts';
import { isolates, portMatches, selectorMatches } from './netpol.ts';

/** The cloud metadata endpoint (AWS, Azure and GCP all serve it on port 80). */
export const METADATA_IP = '169.254.169.254';
export const METADATA_PORT = 80;

/** Ranges that are not on the internet: RFC 1918, shared CGNAT space, link-local, loopback. */
const PRIVATE_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8'];

type Range = [number, number];

function ipv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** An IPv4 CIDR as its first and last address; undefined for IPv6 or garbage. */
export function cidrRange(cidr: string): Range | undefined {
  const [addr = '', bits = '32'] = cidr.split('/');
  const start = ipv4(addr);
  const len = Number(bits);
  if (start === undefined || !Number.isInteger(len) || len < 0 || len > 32) return undefined;
  const size = 2 ** (32 - len);
  const first = Math.floor(start / size) * size;
  return [first, first + size - 1];
}

const PRIVATE_RANGES = PRIVATE_V4.flatMap((c) => {
  const r = cidrRange(c);
  return r ? [r] : [];
});

export function cidrContains(cidr: string, ip: string): boolean {
  const r = cidrRange(cidr);
  const n = ipv4(ip);
  return r !== undefined && n !== undefined && n >= r[0] && n <= r[1];
}

/** Whether any address of the range is outside the private ranges (IPv6: anything but ULA, link-local, loopback). */
export function coversPublic(cidr: string): boolean {
  const r = cidrRange(cidr);
  if (!r) return cidr.includes(':') && !/^(f[cd]|fe[89ab]|::1\/)/i.test(cidr);
  let pieces: Range[] = [r];
  for (const [ps, pe] of PRIVATE_RANGES)
    pieces = pieces.flatMap(([s, e]): Range[] => {
      if (pe < s || ps > e) return [[s, e]];
      const out: Range[] = [];
      if (s < ps) out.push([s, ps - 1]);
      if (e > pe) out.push([pe + 1, e]);
      return out;
    });
  return pieces.length > 0;
}

/** Whether an ipBlock lets `ip` through: inside its cidr and in none of its excepts. */
export function blockAllows(b: IpBlock, ip: string): boolean {
  return cidrContains(b.cidr, ip) && !(b.except ?? []).some((x) => cidrContains(x, ip));
}

/** One rule of one policy. */
export interface RuleRef {
  policy: string;
  direction: 'ingress' | 'egress';
  index: number;
  /** `to`/`from` as written; undefined or empty means any peer. */
  peers?: NetworkPolicyPeer[];
}

export const ruleName = (r: RuleRef): string => `${r.policy} ${r.direction}[${r.index}]`;

/** The egress rules of the egress-isolating policies that allow `port`/`protocol` (to whichever peers). */
export function egressRules(selecting: readonly NetworkPolicy[], port: number, protocol: 'TCP' | 'UDP'): RuleRef[] {
  return selecting
    .filter((p) => isolates(p, 'Egress'))
    .flatMap((p) =>
      (p.spec?.egress ?? []).flatMap((rule, index): RuleRef[] =>
        portMatches(rule.ports, port, protocol)
          ? [{ policy: p.metadata?.name ?? '?', direction: 'egress', index, peers: rule.to }]
          : [],
      ),
    );
}

/** The ingress rules of the ingress-isolating policies that admit `port` (numbers or the container's port names). */
export function ingressRules(selecting: readonly NetworkPolicy[], port: number, portNames: string[]): RuleRef[] {
  return selecting
    .filter((p) => isolates(p, 'Ingress'))
    .flatMap((p) =>
      (p.spec?.ingress ?? []).flatMap((rule, index): RuleRef[] =>
        portMatches(rule.ports, port, 'TCP', portNames)
          ? [{ policy: p.metadata?.name ?? '?', direction: 'ingress', index, peers: rule.from }]
          : [],
      ),
    );
}

/** How far a rule's peers reach: anywhere, some public addresses, or only private ranges and in-cluster peers. */
export function peersReach(peers: NetworkPolicyPeer[] | undefined): 'anywhere' | 'public' | 'private' {
  if (!peers || peers.length === 0) return 'anywhere';
  const blocks = peers.flatMap((p) => (p.ipBlock ? [p.ipBlock] : []));
  if (blocks.some((b) => b.cidr === '0.0.0.0/0' || b.cidr === '::/0')) return 'anywhere';
  return blocks.some((b) => coversPublic(b.cidr)) ? 'public' : 'private';
}

const selectorText = (s: LabelSelector | undefined): string => {
  const labels = Object.entries(s?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  const exprs = (s?.matchExpressions ?? []).map(
    (e) => `${e.key} ${e.operator}${e.values ? ` (${e.values.join(',')})` : ''}`,
  );
  return [...labels, ...exprs].join(',') || 'any';
};

/** A peer as a person reads it: `10.0.0.0/8`, `namespaces name=monitoring`, `pods app=x in namespaces any`. */
export function peerText(p: NetworkPolicyPeer): string {
  if (p.ipBlock) return `${p.ipBlock.cidr}${p.ipBlock.except?.length ? ` except ${p.ipBlock.except.join(', ')}` : ''}`;
  const ns = p.namespaceSelector ? `namespaces ${selectorText(p.namespaceSelector)}` : '';
  const pods = p.podSelector ? `pods ${selectorText(p.podSelector)}` : '';
  return ns && pods ? `${pods} in ${ns}` : ns || pods || 'any';
}

export const peersText = (peers: NetworkPolicyPeer[] | undefined): string =>
  peers?.length ? peers.map(peerText).join(', ') : 'anywhere';

/** What the union of the selecting policies says about egress to `ip:port`. */
export function egressToAddress(
  selecting: readonly NetworkPolicy[],
  ip: string,
  port: number,
  protocol: 'TCP' | 'UDP',
) {
  const isolated = selecting.some((p) => isolates(p, 'Egress'));
  const rules = egressRules(selecting, port, protocol);
  const allowing = rules.filter(
    (r) => !r.peers?.length || r.peers.some((p) => p.ipBlock && blockAllows(p.ipBlock, ip)),
  );
  // Rules that name the address in an except: they close it for themselves only.
  const excepting = selecting
    .filter((p) => isolates(p, 'Egress'))
    .flatMap((p) =>
      (p.spec?.egress ?? []).flatMap((rule, index): RuleRef[] =>
        (rule.to ?? []).some((peer) => peer.ipBlock?.except?.some((x) => cidrContains(x, ip)))
          ? [{ policy: p.metadata?.name ?? '?', direction: 'egress', index, peers: rule.to }]
          : [],
      ),
    );
  return { isolated, allowed: !isolated || allowing.length > 0, allowing, excepting };
}

/** A namespace and its labels (the cluster-wide namespace list, reduced). */
export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
}

/** The namespaces a peer admits (the policy's own when it has no namespaceSelector). */
export function peerNamespaces(
  peer: NetworkPolicyPeer,
  policyNamespace: string,
  namespaces: readonly NamespaceInfo[],
): NamespaceInfo[] {
  if (!peer.namespaceSelector) return namespaces.filter((n) => n.name === policyNamespace);
  return namespaces.filter((n) => selectorMatches(peer.namespaceSelector, n.labels));
}

/** The pods that exist now and a peer admits (ipBlocks admit addresses, not pods: undefined). */
export function peerPods(
  peer: NetworkPolicyPeer,
  policyNamespace: string,
  namespaces: readonly NamespaceInfo[],
  pods: readonly ClusterPod[],
): ClusterPod[] | undefined {
  if (peer.ipBlock) return undefined;
  const inNs = new Set(peerNamespaces(peer, policyNamespace, namespaces).map((n) => n.name));
  return pods.filter((p) => inNs.has(p.namespace) && selectorMatches(peer.podSelector, p.labels ?? {}));
}
