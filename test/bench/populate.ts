// Fills a kwok cluster for the scale scenarios, fast: objects are POSTed straight to the API server
// with the admin client certificate, a bounded pool of requests in flight (keep-alive connections),
// nodes as kwok fakes (kwok keeps them Ready), pods bound to a node by `spec.nodeName` so the scheduler
// is not the bottleneck (kwok marks them Running). Populating is not what the bench times.
//
// DaemonSets: the controller-manager creates daemon pods at ~20 requests/s, far too slow for thousands
// of nodes, so each DaemonSet here selects no node (nothing is created for it) and its "daemon pods"
// are created by us, one per node, carrying a (non-controller) ownerReference to it — so the garbage
// collector keeps them and the doctor sees DaemonSet pods on every node, as on a real cluster.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Cluster } from '../cluster/cluster.ts';

export interface Population {
  nodes: number;
  pods: number;
  namespaces: number;
  /** DaemonSets with a pod on every node (their pods count towards `pods`). */
  daemonSets: number;
  /** DaemonSets with no pod (names only: security agents and CNIs are recognised by name). */
  extraDaemonSets?: number;
  networkPolicies: number;
}

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority'?: string } }[];
  users: { user: { 'client-certificate'?: string; 'client-key'?: string } }[];
}

/** A tiny admin client: POST/GET JSON with the kubeconfig's client certificate, `inFlight` at a time. */
export class AdminClient {
  readonly #agent: https.Agent;
  readonly #server: URL;
  #active = 0;
  #queue: (() => void)[] = [];
  readonly inFlight: number;

  constructor(kubeconfig: string, inFlight = 24) {
    const cfg = parse(readFileSync(kubeconfig, 'utf8')) as Kubeconfig;
    const cl = cfg.clusters[0]!.cluster;
    const u = cfg.users[0]!.user;
    this.#server = new URL(cl.server);
    this.inFlight = inFlight;
    this.#agent = new https.Agent({
      keepAlive: true,
      maxSockets: inFlight,
      ca: readFileSync(cl['certificate-authority']!),
      cert: readFileSync(u['client-certificate']!),
      key: readFileSync(u['client-key']!),
    });
  }

  async #slot<T>(f: () => Promise<T>): Promise<T> {
    if (this.#active >= this.inFlight) await new Promise<void>((r) => this.#queue.push(r));
    this.#active++;
    try {
      return await f();
    } finally {
      this.#active--;
      this.#queue.shift()?.();
    }
  }

  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    return this.#slot(
      () =>
        new Promise((resolve, reject) => {
          const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
          const req = https.request(
            {
              agent: this.#agent,
              hostname: this.#server.hostname,
              port: this.#server.port,
              method,
              path,
              headers: {
                Accept: 'application/json',
                ...(data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {}),
              },
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () =>
                resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
              );
              res.on('error', reject);
            },
          );
          req.on('error', reject);
          req.end(data);
        }),
    );
  }

  /** Creates an object; 409 (already there) is fine, 429/5xx are retried a few times. */
  async create(path: string, obj: unknown): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.request('POST', path, obj);
      if (r.status === 201 || r.status === 200) return JSON.parse(r.body);
      if (r.status === 409) return undefined;
      if ((r.status === 429 || r.status >= 500) && attempt < 5) {
        await new Promise((res) => setTimeout(res, 200 * 2 ** attempt));
        continue;
      }
      throw new Error(`POST ${path}: ${r.status} ${r.body.slice(0, 300)}`);
    }
  }

  async get<T>(path: string): Promise<T> {
    const r = await this.request('GET', path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body) as T;
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Runs `f` over `items` with the client's bound (the pool does the limiting). */
async function each<T>(items: T[], f: (item: T, i: number) => Promise<unknown>): Promise<void> {
  await Promise.all(items.map((x, i) => f(x, i)));
}

const nodeName = (i: number) => `bench-node-${String(i).padStart(5, '0')}`;
const ZONES = ['zone-a', 'zone-b', 'zone-c'];

// Real agents and CNIs first (the doctor recognises them by name), then generic infrastructure.
const DAEMONSET_NAMES = [
  'kube-proxy',
  'aws-node',
  'falcon-node-sensor',
  'node-exporter',
  'fluent-bit',
  'ebs-csi-node',
  'calico-node',
  'datadog-agent',
  'otel-collector-agent',
  'istio-cni-node',
  'cilium',
  'secrets-store-csi-driver',
];

function nodeObject(i: number) {
  const capacity = { cpu: '16', memory: '64Gi', pods: '110', 'ephemeral-storage': '400Gi' };
  const name = nodeName(i);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': 'm5.4xlarge',
        'topology.kubernetes.io/zone': ZONES[i % ZONES.length]!,
        'topology.kubernetes.io/region': 'eu-west-1',
        'eks.amazonaws.com/nodegroup': `group-${i % 8}`,
        type: 'kwok',
      },
    },
    spec: {},
    status: { allocatable: capacity, capacity },
  };
}

function podObject(o: { ns: string; name: string; node: string; app: string; owner?: { name: string; uid: string } }) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name,
      namespace: o.ns,
      labels: { app: o.app, 'app.kubernetes.io/name': o.app, 'app.kubernetes.io/part-of': 'bench', tier: 'backend' },
      annotations: { 'bench.runner-doctor.local/generated': 'true' },
      ...(o.owner
        ? {
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'DaemonSet', name: o.owner.name, uid: o.owner.uid, controller: false },
            ],
          }
        : {}),
    },
    spec: {
      nodeName: o.node,
      automountServiceAccountToken: false,
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: o.app,
          image: `registry.example.invalid/${o.app}:1.2.3`,
          ports: [{ containerPort: 8080, name: 'http' }],
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
        },
      ],
    },
  };
}

/** Progress lines on stderr, so a long populate shows it is alive. */
const progress = (s: string) => process.stderr.write(`[populate] ${s}\n`);

/**
 * `afterNodes` runs once the nodes exist and before any pod is created: the runner is installed there,
 * while kwok still has time for its pods (behind 20,000 others, kwok takes minutes to mark them Running).
 */
export async function populate(
  c: Cluster,
  p: Population,
  o: { inFlight?: number; afterNodes?: () => Promise<unknown> } = {},
): Promise<{ ms: number }> {
  const inFlight = o.inFlight ?? 24;
  const t0 = performance.now();
  const api = new AdminClient(c.kubeconfig, inFlight);
  try {
    await each(
      Array.from({ length: p.nodes }, (_, i) => i),
      (i) => api.create('/api/v1/nodes', nodeObject(i)),
    );
    progress(`${p.nodes} nodes created (${Math.round(performance.now() - t0)} ms)`);
    await c.waitFor(
      async () => {
        const l = await api.get<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>(
          '/api/v1/nodes?resourceVersion=0',
        );
        const ready = l.items.filter((n) =>
          n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
        );
        return ready.length >= p.nodes;
      },
      300_000,
      'the bench nodes to be Ready',
    );
    await o.afterNodes?.();
    const namespaces = Array.from({ length: p.namespaces }, (_, i) => `bench-ns-${String(i).padStart(3, '0')}`);
    await each(namespaces, (ns) =>
      api.create('/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns, labels: { team: `team-${ns.slice(-1)}` } },
      }),
    );
    // The ServiceAccount admission plugin wants each namespace's default ServiceAccount first.
    await c.waitFor(
      async () => {
        const sas = await api.get<{ items: { metadata: { namespace: string } }[] }>(
          '/api/v1/serviceaccounts?fieldSelector=metadata.name%3Ddefault',
        );
        const have = new Set(sas.items.map((s) => s.metadata.namespace));
        return namespaces.every((n) => have.has(n));
      },
      180_000,
      'the default ServiceAccounts of the bench namespaces',
    );
    const dsNs = 'kube-system';
    const owners: { name: string; uid: string }[] = [];
    const total = p.daemonSets + (p.extraDaemonSets ?? 0);
    for (let d = 0; d < total; d++) {
      const base = DAEMONSET_NAMES[d % DAEMONSET_NAMES.length]!;
      const name = d < DAEMONSET_NAMES.length ? base : `${base}-${Math.floor(d / DAEMONSET_NAMES.length)}`;
      const ds = (await api.create(`/apis/apps/v1/namespaces/${dsNs}/daemonsets`, {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name, namespace: dsNs, labels: { 'k8s-app': name } },
        spec: {
          selector: { matchLabels: { 'k8s-app': name } },
          updateStrategy: { type: 'OnDelete' },
          template: {
            metadata: { labels: { 'k8s-app': name } },
            spec: {
              // Selects no node: the controller creates nothing; the bench's pods stand in (see above).
              nodeSelector: { 'bench.runner-doctor.local/never': 'true' },
              containers: [{ name, image: `registry.example.invalid/${name}:1.0`, args: ['--v=2'] }],
            },
          },
        },
      })) as { metadata: { uid: string } } | undefined;
      if (d < p.daemonSets && ds) owners.push({ name, uid: ds.metadata.uid });
    }
    progress(`${total} DaemonSets created`);
    const jobs: Parameters<typeof podObject>[0][] = [];
    for (const o of owners)
      for (let i = 0; i < p.nodes; i++)
        jobs.push({
          ns: dsNs,
          name: `${o.name}-${String(i).padStart(5, '0')}`,
          node: nodeName(i),
          app: o.name,
          owner: o,
        });
    const appPods = Math.max(0, p.pods - jobs.length);
    for (let i = 0; i < appPods; i++) {
      const ns = namespaces[i % namespaces.length]!;
      jobs.push({
        ns,
        name: `app-${String(i).padStart(6, '0')}`,
        node: nodeName((i * 7) % p.nodes),
        app: `svc-${i % 40}`,
      });
    }
    let done = 0;
    await each(jobs, async (j) => {
      await api.create(`/api/v1/namespaces/${j.ns}/pods`, podObject(j));
      if (++done % 2000 === 0) progress(`${done}/${jobs.length} pods (${Math.round(performance.now() - t0)} ms)`);
    });
    await each(
      Array.from({ length: p.networkPolicies }, (_, i) => i),
      (i) =>
        api.create(`/apis/networking.k8s.io/v1/namespaces/${namespaces[i % namespaces.length]}/networkpolicies`, {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'NetworkPolicy',
          metadata: { name: `policy-${i}` },
          spec: {
            podSelector: { matchLabels: { app: `svc-${i % 40}` } },
            policyTypes: ['Ingress', 'Egress'],
            ingress: [{ from: [{ podSelector: {} }], ports: [{ protocol: 'TCP', port: 8080 }] }],
            egress: [
              {
                to: [],
                ports: [
                  { protocol: 'UDP', port: 53 },
                  { protocol: 'TCP', port: 443 },
                ],
              },
            ],
          },
        }),
    );
    progress(`${jobs.length} pods and ${p.networkPolicies} NetworkPolicies created`);
    return { ms: Math.round(performance.now() - t0) };
  } finally {
    api.close();
  }
}

/** Waits (bounded) until kwok has marked the bench's pods Running; returns how many are. */
export async function waitRunning(c: Cluster, want: number, timeoutMs: number): Promise<number> {
  const api = new AdminClient(c.kubeconfig, 4);
  const end = Date.now() + timeoutMs;
  let running = 0;
  try {
    while (Date.now() < end) {
      running = await countRunning(api);
      if (running >= want) break;
      progress(`${running}/${want} pods Running`);
      await new Promise((r) => setTimeout(r, 5000));
    }
    return running;
  } finally {
    api.close();
  }
}

async function countRunning(api: AdminClient): Promise<number> {
  let n = 0;
  let cont = '';
  do {
    const q = `fieldSelector=status.phase%3DRunning&limit=5000${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`;
    const r = await api.request('GET', `/api/v1/pods?${q}`);
    const page = JSON.parse(r.body) as { items: unknown[]; metadata: { continue?: string } };
    n += page.items.length;
    cont = page.metadata.continue ?? '';
  } while (cont);
  return n;
}
