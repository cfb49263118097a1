// A real Kubernetes control plane on loopback for integration tests and the demo: etcd,
// kube-apiserver (RBAC, PodSecurity admission, an audit log at Metadata level), controller-manager,
// scheduler and kwok (fake nodes whose pods run, exec and log on this machine), started through
// kwokctl's binary runtime from the binaries build-binaries.sh cached. Every listener is bound to
// 127.0.0.1 on a free port, and fake pods get loopback IPs, so nothing ever leaves this machine.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RealNode, type RealNodeOptions, mountsUnder, removeRealNodesIn } from './real-node.ts';

const execFileP = promisify(execFile);

export const K8S_VERSION = 'v1.36.3';
export const CACHE_ROOT = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'runner-doctor');
export const BIN_DIR = join(CACHE_ROOT, `k8s-${K8S_VERSION}`, 'bin');
const BINARIES = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl', 'kwok', 'kwokctl'];

export function missingBinaries(): string[] {
  return BINARIES.filter((b) => !existsSync(join(BIN_DIR, b)));
}
export const HOW_TO_BUILD =
  'build the control-plane binaries once with `npm run cluster:binaries` (cached under ~/.cache/runner-doctor)';

export interface NodeSpec {
  name: string;
  cpu?: string;
  memory?: string;
  pods?: string;
  /** Node disk for ephemeral-storage (default 400Gi: room for several AWS-sized runners at 50Gi each). */
  disk?: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute' }[];
  /** InternalIP (kwok keeps one that is set); hostNetwork pods on the node get it as their pod IP. */
  ip?: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The aggregation layer's front-proxy PKI: a CA of its own and the client certificate kube-apiserver
 * presents to aggregated API servers (which trust the CA for the X-Remote-User/-Group headers).
 */
function frontProxyPki(dir: string): { ca: string; cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const f = (n: string) => join(dir, n);
  const ossl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '30',
    '-subj',
    '/CN=front-proxy-ca',
  ]);
  ossl(['req', '-new', ...ec, '-keyout', f('client.key'), '-out', f('client.csr'), '-subj', '/CN=front-proxy-client']);
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  ossl([
    'x509',
    '-req',
    '-in',
    f('client.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('client.crt'),
    '-days',
    '30',
    '-extfile',
    f('client.ext'),
  ]);
  return { ca: f('ca.crt'), cert: f('client.crt'), key: f('client.key') };
}

export class Cluster {
  readonly dir: string;
  readonly name: string;
  readonly kubeconfig: string;
  readonly auditLog: string;
  readonly server: string;
  readonly podsDir: string;
  /** The real (kubelet + containerd + runc) node, when started with `realNode`. */
  realNode?: RealNode;

  private constructor(dir: string, name: string, port: number) {
    this.dir = dir;
    this.name = name;
    this.kubeconfig = join(dir, 'kubeconfig');
    this.auditLog = join(dir, 'clusters', name, 'logs', 'audit.log');
    this.server = `https://127.0.0.1:${port}`;
    this.podsDir = join(dir, 'pods');
  }

  get pki(): string {
    return join(this.dir, 'clusters', this.name, 'pki');
  }

  /** The CA of the client certificate kube-apiserver's aggregation layer presents to aggregated API servers. */
  get frontProxyCa(): string {
    return join(this.dir, 'front-proxy', 'ca.crt');
  }

  /**
   * Starts a cluster in a new work directory; rejects (with the component log tail) if it will not become
   * ready. `realNode` adds one real node (real-node.ts) once the control plane and the kwok nodes are up.
   */
  static async start(
    opts: { dir?: string; nodes?: NodeSpec[]; realNode?: boolean | RealNodeOptions } = {},
  ): Promise<Cluster> {
    const missing = missingBinaries();
    if (missing.length) throw new Error(`control-plane binaries missing (${missing.join(', ')}): ${HOW_TO_BUILD}`);
    const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'rd-cluster-'));
    mkdirSync(dir, { recursive: true });
    const [etcd, peer, api, cm, sched, kwok] = await Promise.all(Array.from({ length: 6 }, freePort));
    const c = new Cluster(dir, 'rd', api!);
    const pki = c.pki;
    const front = frontProxyPki(join(dir, 'front-proxy'));
    writeFileSync(
      join(dir, 'audit-policy.yaml'),
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: Metadata\n',
    );
    const peerUrl = `http://127.0.0.1:${peer}`;
    // Bind addresses through a KwokctlConfiguration: kwokctl 0.8's --extra-args mixes up components
    // when more than one is patched. A later flag overrides kwokctl's own 0.0.0.0 defaults.
    const patches: Record<string, [string, string][]> = {
      etcd: [
        ['listen-client-urls', `http://127.0.0.1:${etcd}`],
        ['advertise-client-urls', `http://127.0.0.1:${etcd}`],
        ['listen-peer-urls', peerUrl],
        ['initial-advertise-peer-urls', peerUrl],
        ['initial-cluster', `node0=${peerUrl}`],
      ],
      'kube-apiserver': [
        ['bind-address', '127.0.0.1'],
        ['advertise-address', '127.0.0.1'],
        // Kubelets by InternalIP only: a node's Hostname address would go to the machine's resolver.
        ['kubelet-preferred-address-types', 'InternalIP'],
        // exec, logs and port-forward on a real node: its kubelet authenticates the API server by this cert.
        ['kubelet-client-certificate', join(pki, 'admin.crt')],
        ['kubelet-client-key', join(pki, 'admin.key')],
        // The aggregation layer: aggregated API servers (the custom metrics stand-in) are reached through
        // it, dialling the Service's endpoint address (no kube-proxy here), as the front proxy below.
        ['requestheader-client-ca-file', front.ca],
        ['requestheader-allowed-names', 'front-proxy-client'],
        ['requestheader-username-headers', 'X-Remote-User'],
        ['requestheader-group-headers', 'X-Remote-Group'],
        ['requestheader-extra-headers-prefix', 'X-Remote-Extra-'],
        ['proxy-client-cert-file', front.cert],
        ['proxy-client-key-file', front.key],
        ['enable-aggregator-routing', 'true'],
      ],
      'kube-controller-manager': [['bind-address', '127.0.0.1']],
      'kube-scheduler': [['bind-address', '127.0.0.1']],
      'kwok-controller': [
        ['server-address', `127.0.0.1:${kwok}`],
        ['node-ip', '127.0.0.1'],
        // Fake pods get loopback addresses: anything that dials a pod IP stays on this machine.
        ['cidr', '127.1.0.0/16'],
        // Only the fake nodes (addNodes annotates them): a real node's kubelet must not be overruled.
        ['manage-all-nodes', 'false'],
        ['manage-nodes-with-annotation-selector', 'kwok.x-k8s.io/node=fake'],
      ],
    };
    writeFileSync(
      join(dir, 'kwokctl.yaml'),
      JSON.stringify({
        apiVersion: 'config.kwok.x-k8s.io/v1alpha1',
        kind: 'KwokctlConfiguration',
        // In-cluster clients on a real node reach the API server as the `kubernetes` Service's IP.
        options: { kubeApiserverCertSANs: ['10.0.0.1'] },
        componentsPatches: Object.entries(patches).map(([name, args]) => ({
          name,
          extraArgs: args.map(([key, value]) => ({ key, value })),
        })),
      }),
    );
    const args = [
      'create',
      'cluster',
      '--name',
      c.name,
      '--runtime',
      'binary',
      '--kubeconfig',
      c.kubeconfig,
      '--etcd-binary',
      join(BIN_DIR, 'etcd'),
      '--kube-apiserver-binary',
      join(BIN_DIR, 'kube-apiserver'),
      '--kube-controller-manager-binary',
      join(BIN_DIR, 'kube-controller-manager'),
      '--kube-scheduler-binary',
      join(BIN_DIR, 'kube-scheduler'),
      '--kwok-controller-binary',
      join(BIN_DIR, 'kwok'),
      '--etcd-port',
      String(etcd),
      '--kube-apiserver-port',
      String(api),
      '--kube-controller-manager-port',
      String(cm),
      '--kube-scheduler-port',
      String(sched),
      '--controller-port',
      String(kwok),
      '--kube-audit-policy',
      join(dir, 'audit-policy.yaml'),
      '--enable-crds',
      'Exec,ClusterExec,Logs,ClusterLogs,PortForward,ClusterPortForward',
      '--wait',
      '90s',
      '--config',
      join(dir, 'kwokctl.yaml'),
    ];
    try {
      await execFileP(join(BIN_DIR, 'kwokctl'), args, {
        env: { ...process.env, KWOK_WORKDIR: dir },
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (e) {
      const logs = ['kube-apiserver', 'etcd', 'kwok-controller'].map((l) => {
        const f = join(dir, 'clusters', c.name, 'logs', `${l}.log`);
        return existsSync(f) ? `--- ${l}:\n${readFileSync(f, 'utf8').split('\n').slice(-15).join('\n')}` : '';
      });
      await c.stop().catch(() => {});
      throw new Error(
        `the control plane did not start: ${String((e as { stderr?: string }).stderr ?? (e as Error).message)
          .split('\n')
          .filter((l) => !l.includes('"level":"INFO"'))
          .join(' ')
          .slice(0, 2000)}\n${logs.join('\n')}`,
      );
    }
    try {
      await c.waitFor(
        async () => (await c.kubectl(['get', 'serviceaccount', 'default', '-n', 'default'])).code === 0,
        60_000,
        'the default ServiceAccount',
      );
      if (opts.nodes?.length) await c.addNodes(opts.nodes);
      if (opts.realNode) c.realNode = await RealNode.start(c, opts.realNode === true ? {} : opts.realNode);
    } catch (e) {
      // Never leave a half-started control plane running behind a failure.
      await c.stop().catch(() => {});
      throw e;
    }
    return c;
  }

  /** Reattaches to a cluster started by `cluster:up` from its work directory. */
  static attach(dir: string): Cluster {
    const cfg = readFileSync(join(dir, 'kubeconfig'), 'utf8');
    const port = Number(cfg.match(/server: https:\/\/127\.0\.0\.1:(\d+)/)?.[1]);
    return new Cluster(dir, 'rd', port);
  }

  /**
   * Stops the real node first (its teardown needs the API server), then the control plane, and removes
   * the work dir (never while anything is still mounted below it). Rejects if the real node left something.
   */
  async stop(): Promise<void> {
    const problems: string[] = [];
    await this.realNode?.stop().catch((e: Error) => problems.push(e.message));
    // A real node this object did not start (a cluster stopped by `cluster:down`) or one that failed half-way.
    problems.push(...(await removeRealNodesIn(this).catch((e: Error) => [e.message])));
    await execFileP(join(BIN_DIR, 'kwokctl'), ['delete', 'cluster', '--name', this.name], {
      env: { ...process.env, KWOK_WORKDIR: this.dir },
    }).catch(() => {});
    const mounts = existsSync(this.dir) ? mountsUnder(this.dir) : [];
    if (mounts.length) problems.push(`not removing ${this.dir}: still mounted below it: ${mounts.join(' ')}`);
    else rmSync(this.dir, { recursive: true, force: true });
    if (problems.length) throw new Error(problems.join('\n'));
  }

  /** Our built kubectl against this cluster (admin unless another kubeconfig is given). */
  async kubectl(
    args: string[],
    opts: { input?: string; kubeconfig?: string; timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    return new Promise((resolve) => {
      const child = spawn(join(BIN_DIR, 'kubectl'), ['--kubeconfig', opts.kubeconfig ?? this.kubeconfig, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      child.stdout.on('data', (b) => (stdout += b));
      child.stderr.on('data', (b) => (stderr += b));
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ stdout, stderr, code: code ?? -1 });
      });
      child.stdin.end(opts.input ?? '');
    });
  }

  /** kubectl that must succeed. */
  async k(args: string[], input?: string): Promise<string> {
    const r = await this.kubectl(args, { input });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr.trim()}`);
    return r.stdout;
  }

  async apply(objects: object | object[]): Promise<void> {
    const items = Array.isArray(objects) ? objects : [objects];
    await this.k(
      ['apply', '--server-side', '--force-conflicts', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
    );
  }

  async waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (await cond().catch(() => false)) return;
      await sleep(250);
    }
    throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
  }

  /**
   * Waits until a namespace has at least `count` pods (all Running unless `running` is false). On timeout
   * the error says why, read from the cluster: each pod's phase and waiting reason, the scheduler's last
   * FailedScheduling message and the ReplicaSets' failure conditions — so a full cluster explains itself.
   */
  async waitForPods(
    namespace: string,
    count: number,
    opts: { running?: boolean; timeoutMs?: number } = {},
  ): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? 90_000;
    try {
      await this.waitFor(
        async () => {
          const pods = JSON.parse(await this.k(['get', 'pods', '-n', namespace, '-o', 'json'])).items as {
            status: { phase: string };
          }[];
          return pods.length >= count && (opts.running === false || pods.every((p) => p.status.phase === 'Running'));
        },
        timeoutMs,
        `${count} pod(s) in ${namespace}`,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}: ${await this.whyPods(namespace)}`);
    }
  }

  /** One line on why a namespace's pods are not (all) running. */
  async whyPods(namespace: string): Promise<string> {
    const get = async (what: string) =>
      (
        JSON.parse((await this.kubectl(['get', what, '-n', namespace, '-o', 'json'])).stdout || '{"items":[]}') as {
          items: any[];
        }
      ).items;
    const [pods, events, rss] = await Promise.all([get('pods'), get('events'), get('replicasets')]);
    const parts: string[] = [];
    parts.push(
      pods.length
        ? `pods: ${pods.map((p) => `${p.metadata.name} ${p.status?.phase}${p.status?.containerStatuses?.[0]?.state?.waiting ? ` (${p.status.containerStatuses[0].state.waiting.reason})` : ''}`).join(', ')}`
        : 'no pods',
    );
    const sched = events.filter((e) => e.reason === 'FailedScheduling').at(-1);
    if (sched) parts.push(`scheduler: ${sched.message}`);
    for (const rs of rss)
      for (const cond of rs.status?.conditions ?? [])
        if (cond.status === 'True') parts.push(`ReplicaSet ${rs.metadata.name} ${cond.type}: ${cond.message}`);
    const created = events.filter((e) => e.reason === 'FailedCreate').at(-1);
    if (created) parts.push(`FailedCreate: ${created.message}`);
    return parts.join('; ');
  }

  /** Deletes namespaces and waits until their pods are gone (their node capacity is free again). */
  async deleteNamespaces(names: string[], timeoutMs = 60_000): Promise<void> {
    if (!names.length) return;
    await this.kubectl(['delete', 'namespace', '--ignore-not-found', '--wait=false', ...names]);
    await this.waitFor(
      async () => {
        const out = JSON.parse(await this.k(['get', 'pods', '-A', '-o', 'json'])).items as {
          metadata: { namespace: string };
        }[];
        return !out.some((p) => names.includes(p.metadata.namespace));
      },
      timeoutMs,
      `the pods of ${names.join(', ')} to be deleted`,
    );
  }

  /** Fake nodes kwok keeps Ready, with the given capacity, labels and taints. */
  async addNodes(nodes: NodeSpec[]): Promise<void> {
    await this.apply(
      nodes.map((n) => {
        const capacity = {
          cpu: n.cpu ?? '8',
          memory: n.memory ?? '32Gi',
          pods: n.pods ?? '110',
          'ephemeral-storage': n.disk ?? '400Gi',
        };
        return {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: {
            name: n.name,
            annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
            labels: {
              'kubernetes.io/hostname': n.name,
              'kubernetes.io/os': 'linux',
              'kubernetes.io/arch': 'amd64',
              type: 'kwok',
              ...(n.labels ?? {}),
            },
          },
          spec: { taints: n.taints ?? [] },
          status: {
            allocatable: capacity,
            capacity,
            ...(n.ip
              ? {
                  addresses: [
                    { type: 'InternalIP', address: n.ip },
                    { type: 'Hostname', address: n.name },
                  ],
                }
              : {}),
          },
        };
      }),
    );
    await this.waitFor(
      async () => {
        const out = JSON.parse(await this.k(['get', 'nodes', '-o', 'json'])) as {
          items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
        };
        const ready = new Set(
          out.items
            .filter((i) => i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
            .map((i) => i.metadata.name),
        );
        return nodes.every((n) => ready.has(n.name));
      },
      60_000,
      'kwok nodes to be Ready',
    );
  }

  /**
   * Makes `kubectl exec` into a fake pod run on this machine, in a work directory of its own, with the
   * pod's env (plus `extraEnv`: e.g. a PATH with a stand-in python3 first, or RD_ROOT for a fixture tree).
   */
  async enableExec(namespace: string, pod: string, env: Record<string, string> = {}): Promise<string> {
    const workDir = join(this.podsDir, namespace, pod);
    mkdirSync(workDir, { recursive: true });
    await this.apply({
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'Exec',
      metadata: { name: pod, namespace },
      spec: { execs: [{ local: { workDir, envs: Object.entries(env).map(([name, value]) => ({ name, value })) } }] },
    });
    // kwok picks the object up through a watch: wait until an exec really runs here, in that directory.
    await this.waitFor(
      async () =>
        (await this.kubectl(['exec', '-n', namespace, pod, '--', 'sh', '-c', 'pwd'])).stdout.trim() === workDir,
      20_000,
      `exec into ${namespace}/${pod}`,
    );
    return workDir;
  }

  /** A kubeconfig for a ServiceAccount (token from the TokenRequest API). */
  async serviceAccountKubeconfig(
    namespace: string,
    name: string,
    file = join(this.dir, `sa-${namespace}-${name}.kubeconfig`),
  ): Promise<string> {
    const token = (await this.k(['create', 'token', name, '-n', namespace, '--duration', '2h'])).trim();
    this.writeKubeconfig(file, { token });
    return file;
  }

  /**
   * A kubeconfig for a user with a client certificate signed by the cluster CA (CN = user,
   * O = groups). `expired: true` makes a certificate whose validity ended yesterday.
   */
  userKubeconfig(user: string, groups: string[] = [], opts: { expired?: boolean } = {}): string {
    const base = join(this.dir, `user-${user}${opts.expired ? '-expired' : ''}`);
    const subj = `/CN=${user}${groups.map((g) => `/O=${g}`).join('')}`;
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        `${base}.key`,
        '-out',
        `${base}.csr`,
        '-subj',
        subj,
      ],
      { stdio: 'ignore' },
    );
    if (opts.expired) {
      // `openssl ca` is the one OpenSSL 3.0 command that sets arbitrary validity dates.
      const ca = `${base}-ca`;
      mkdirSync(ca, { recursive: true });
      writeFileSync(`${ca}/index.txt`, '');
      writeFileSync(`${ca}/serial`, '1000\n');
      writeFileSync(
        `${ca}/ca.cnf`,
        `[ca]\ndefault_ca=d\n[d]\ndir=${ca}\ndatabase=${ca}/index.txt\nserial=${ca}/serial\nnew_certs_dir=${ca}\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\norganizationName=optional\n`,
      );
      const y = new Date(Date.now() - 86_400_000);
      const d2 = new Date(Date.now() - 2 * 86_400_000);
      const fmt = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
      execFileSync(
        'openssl',
        [
          'ca',
          '-batch',
          '-config',
          `${ca}/ca.cnf`,
          '-cert',
          join(this.pki, 'ca.crt'),
          '-keyfile',
          join(this.pki, 'ca.key'),
          '-in',
          `${base}.csr`,
          '-out',
          `${base}.crt`,
          '-startdate',
          fmt(d2),
          '-enddate',
          fmt(y),
          '-notext',
        ],
        { stdio: 'ignore' },
      );
    } else {
      execFileSync(
        'openssl',
        [
          'x509',
          '-req',
          '-in',
          `${base}.csr`,
          '-CA',
          join(this.pki, 'ca.crt'),
          '-CAkey',
          join(this.pki, 'ca.key'),
          '-CAcreateserial',
          '-out',
          `${base}.crt`,
          '-days',
          '2',
        ],
        { stdio: 'ignore' },
      );
    }
    const file = `${base}.kubeconfig`;
    this.writeKubeconfig(file, { cert: `${base}.crt`, key: `${base}.key` });
    return file;
  }

  private writeKubeconfig(file: string, auth: { token?: string; cert?: string; key?: string }): void {
    const user: Record<string, string> = auth.token
      ? { token: auth.token }
      : {
          'client-certificate-data': readFileSync(auth.cert!).toString('base64'),
          'client-key-data': readFileSync(auth.key!).toString('base64'),
        };
    const cfg = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'rd',
          cluster: {
            server: this.server,
            'certificate-authority-data': readFileSync(join(this.pki, 'ca.crt')).toString('base64'),
          },
        },
      ],
      users: [{ name: 'u', user }],
      contexts: [{ name: 'rd', context: { cluster: 'rd', user: 'u' } }],
      'current-context': 'rd',
    };
    writeFileSync(file, JSON.stringify(cfg, null, 2), { mode: 0o600 });
  }

  /** Audit events (Metadata level) after a marker request has been logged, so none are still in flight. */
  async auditEvents(): Promise<AuditEvent[]> {
    const marker = `audit-marker-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    await this.kubectl(['get', 'configmap', marker, '-n', 'default']);
    await this.waitFor(
      async () => readFileSync(this.auditLog, 'utf8').includes(marker),
      15_000,
      'the audit log to catch up',
    );
    return readFileSync(this.auditLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent);
  }
}

export interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string; groups?: string[] };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string; apiGroup?: string };
  responseStatus?: { code: number };
}
