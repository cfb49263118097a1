// One real node beside the kwok nodes: a real kubelet, containerd 2.x and runc, so a pod on it is a real
// container (its memory limit in its cgroup, its securityContext enforced, OOM kills and crash loops
// produced by the kubelet itself). The recipe and every failure it fixes: /work/shared/real-node.md.
//
// Where things live (all named after the node's id `rd-node<owner pid>-<n>`, so a later run can find and
// remove what a crashed one left):
// - network: its own namespace (netns.ts) with a veth /30 to the host; the kubelet's node IP is the
//   namespace's end of it. Pods get a bridge subnet inside that namespace with no default route; the host
//   routes that subnet via the namespace (for the API server's pod proxy), and only the namespace forwards.
// - the API server: a small TCP forwarder on the host end of the veth reaches 127.0.0.1:<port>; pods reach
//   it as 10.0.0.1:443 through one DNAT rule inside the namespace.
// - files: `<cluster dir>/<id>/` (containerd root, state, socket, CNI conf and IPAM data, runc root,
//   kubelet root, pod logs); shim sockets in `/run/<id>`; cgroups under `/<id>` in every hierarchy.
// - processes: kubelet, containerd and the forwarder are started through `setpriv --pdeathsig KILL`, so
//   they die with the process that started the node (its pid is the owner in the id); the sweep removes
//   the rest (shims, containers, mounts, namespace, cgroups) once that process is gone. A `detached` node
//   (for `cluster:up`) outlives its starter instead: its owner is a keeper process that only waits, and
//   Cluster.stop() from any process (`cluster:down`) removes it by name.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BIN_DIR, type Cluster } from './cluster.ts';
import { buildImages, importImages, PAUSE_IMAGE } from './images.ts';
import { createNetns, type HarnessNetns, hostIfName, netnsUnavailable, removeNetns } from './netns.ts';

const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const REAL_NODE_NAME = 'real-node';
/** Label and NoSchedule taint key of the real node: only pods that ask for it land there. */
export const REAL_NODE_KEY = 'runner-doctor.local/real-node';
/** The `kubernetes` Service's ClusterIP (kube-apiserver's default range 10.0.0.0/24). */
export const KUBERNETES_SERVICE_IP = '10.0.0.1';
const SERVICE_CIDR = '10.0.0.0/24';
const RUNC = '/usr/sbin/runc';
const CNI_BIN = '/usr/lib/cni';
const CNI_PLUGINS = ['bridge', 'host-local', 'loopback'];
const NODE_BINARIES = ['kubelet', 'containerd', 'containerd-shim-runc-v2', 'ctr'];
/** Inside the node's own namespace, so the well-known port clashes with nothing on the host. */
const KUBELET_PORT = 10250;
const BRIDGE = 'rdbr0';
const NODE_IF = 'eth0';
const ID = /rd-node(\d+)-\d+/;
const CGROUP_ROOT = '/sys/fs/cgroup';
/**
 * Host paths the kubelet and CNI use whatever they are told: the kubelet's container log symlinks and its
 * device-plugin socket dir, libcni's result cache. Per node, its own entries are removed at teardown; the
 * directories themselves go (when empty) after the last real node, if they did not exist before the first.
 */
const CONTAINER_LOG_LINKS = '/var/log/containers';
const CNI_RESULTS = '/var/lib/cni/results';
const DEVICE_PLUGINS = '/var/lib/kubelet/device-plugins';
/** Deepest first, so that rmdir of an emptied child empties its parent. */
const HOST_DIRS = [CONTAINER_LOG_LINKS, DEVICE_PLUGINS, '/var/lib/kubelet', CNI_RESULTS, '/var/lib/cni'];
/**
 * Host sysctls the kubelet sets at start (setupKernelTunables) and the one the bridge plugin would set if
 * it ran on the host: recorded before the first real node starts, restored when the last one stops.
 */
const HOST_SYSCTLS = [
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
  'net.ipv4.ip_forward',
];
const BASELINE = '/run/rd-harness-sysctls.json';
/** In the command line of a detached node's keeper (the process whose pid is the node's owner). */
const KEEPER = 'rd-real-node-keeper';

const has = (tool: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

function memoryController(): boolean {
  if (existsSync(join(CGROUP_ROOT, 'memory', 'memory.limit_in_bytes'))) return true;
  const v2 = join(CGROUP_ROOT, 'cgroup.controllers');
  return existsSync(v2) && readFileSync(v2, 'utf8').split(/\s+/).includes('memory');
}

/** Why a real node cannot run here (one line), or undefined when it can. */
export function realNodeUnavailable(): string | undefined {
  const netns = netnsUnavailable();
  if (netns) return netns.replace('harness network namespaces need', 'a real node needs');
  for (const tool of ['setpriv', 'umount', 'openssl'])
    if (!has(tool)) return `a real node needs \`${tool}\` (Debian util-linux / mount / openssl)`;
  if (!memoryController()) return 'a real node needs a cgroup memory controller (none is mounted here)';
  const missing = NODE_BINARIES.filter((b) => !existsSync(join(BIN_DIR, b)));
  if (missing.length)
    return `a real node needs ${missing.join(', ')} in ${BIN_DIR} (npm run cluster:binaries builds them)`;
  if (!existsSync(RUNC)) return `a real node needs runc at ${RUNC} (apt-get install runc)`;
  const cni = CNI_PLUGINS.filter((p) => !existsSync(join(CNI_BIN, p)));
  if (cni.length)
    return `a real node needs the CNI plugins ${cni.join(', ')} in ${CNI_BIN} (containernetworking-plugins)`;
  return undefined;
}

const run = async (cmd: string, args: string[], timeoutMs = 60_000): Promise<string> => {
  try {
    return (await execFileP(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 })).stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(err.stderr || err.message).trim()}`);
  }
};
const quiet = (cmd: string, args: string[]) => run(cmd, args).catch(() => '');
const succeeds = (p: Promise<unknown>): Promise<boolean> =>
  p.then(
    () => true,
    () => false,
  );

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};
const ownerAlive = (id: string) => alive(Number(id.match(ID)?.[1]));

/**
 * Starts a daemon in its own session, optionally `nsenter --net` into a namespace (not `ip netns exec`:
 * that remounts /sys and hides the cgroup hierarchies from the kubelet), stdout and stderr appended to a
 * log file. Unless `detached`, it dies with this process: `setpriv --pdeathsig KILL` has the kernel send
 * SIGKILL when the parent goes.
 */
function spawnDaemon(argv: string[], log: string, opts: { netnsPath?: string; detached: boolean }): ChildProcess {
  const fd = openSync(log, 'a');
  const wrapped = [
    ...(opts.detached ? [] : ['setpriv', '--pdeathsig', 'KILL', '--']),
    ...(opts.netnsPath ? ['nsenter', `--net=${opts.netnsPath}`, '--'] : []),
    ...argv,
  ];
  const child = spawn(wrapped[0]!, wrapped.slice(1), { stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  child.on('error', () => {});
  child.unref();
  return child;
}

/** The owner of a detached node: a process that only waits (its pid goes into the node's id). */
function startKeeper(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)', KEEPER], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return child.pid!;
}

/** Kills a node's keeper, if the pid in its id is one (never an unrelated process that reused the pid). */
function killKeeper(id: string): void {
  const pid = Number(id.match(ID)?.[1]);
  try {
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(KEEPER)) process.kill(pid, 'SIGKILL');
  } catch {
    // no such process
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
async function terminate(child: ChildProcess | undefined, graceMs = 10_000): Promise<void> {
  const pid = child?.pid;
  if (!pid || !alive(pid) || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

// -------------------------------------------------------------------------------------------------
// What the machine holds for one node id: found by name, so stop() and the sweep share it.

/** Processes whose command line names a path of the node (kubelet, containerd, shims, the forwarder). */
function processesOf(id: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!pid || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`/${id}/`)) pids.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The cgroup hierarchies: every v1 controller mount (named ones too), or the single v2 root. */
function cgroupHierarchies(): string[] {
  if (existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) return [CGROUP_ROOT];
  return readdirSync(CGROUP_ROOT)
    .map((d) => join(CGROUP_ROOT, d))
    .filter((d) => existsSync(join(d, 'cgroup.procs')));
}

/** The node's cgroup directories, deepest first. */
function cgroupsOf(id: string): string[] {
  const dirs: string[] = [];
  const walk = (dir: string) => {
    dirs.push(dir);
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
  };
  for (const h of cgroupHierarchies()) if (existsSync(join(h, id))) walk(join(h, id));
  return dirs.sort((a, b) => b.length - a.length);
}

function tasksIn(cgroup: string): number[] {
  try {
    return readFileSync(join(cgroup, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Mount points below the node's directory (or any directory), deepest first, octal escapes decoded. */
export function mountsUnder(dirOrId: string): string[] {
  const needle = dirOrId.startsWith('/') ? `${dirOrId}/` : `/${dirOrId}/`;
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => (l.split(' ')[1] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => `${m}/`.includes(needle))
    .sort((a, b) => b.length - a.length);
}

async function killAll(pidsOf: () => number[], what: string, timeoutMs = 15_000): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const pids = pidsOf();
    if (!pids.length) return [];
    if (Date.now() > end) return [`${what} still running: ${pids.join(' ')}`];
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await sleep(200);
  }
}

async function unmountAll(id: string): Promise<string[]> {
  for (let round = 0; round < 5; round++) {
    const mounts = mountsUnder(id);
    if (!mounts.length) return [];
    // Deepest first; a busy one goes lazily (it detaches now and is freed when its last user closes).
    for (const m of mounts) if (!(await succeeds(run('umount', [m])))) await quiet('umount', ['-l', m]);
  }
  const left = mountsUnder(id);
  return left.length ? [`mounts left: ${left.join(' ')}`] : [];
}

async function removeCgroups(id: string): Promise<string[]> {
  for (let round = 0; round < 20; round++) {
    const dirs = cgroupsOf(id);
    if (!dirs.length) return [];
    for (const d of dirs) {
      try {
        rmdirSync(d);
      } catch {
        // busy (a task still exiting) or not empty yet: next round
      }
    }
    if (cgroupsOf(id).length) await sleep(250);
  }
  const left = cgroupsOf(id);
  return left.length ? [`cgroups left: ${left.slice(0, 5).join(' ')}`] : [];
}

/** Symlinks the kubelet made in /var/log/containers to this node's pod logs. */
function removeLogLinks(id: string): void {
  if (!existsSync(CONTAINER_LOG_LINKS)) return;
  for (const f of readdirSync(CONTAINER_LOG_LINKS)) {
    const p = join(CONTAINER_LOG_LINKS, f);
    try {
      if (readlinkSync(p).includes(`/${id}/`)) unlinkSync(p);
    } catch {
      // not a link
    }
  }
}

/** libcni's cached results for the node's sandboxes: `<network>-<sandbox>-eth0` and the loopback's. */
function removeCniResults(id: string): void {
  if (!existsSync(CNI_RESULTS)) return;
  const files = readdirSync(CNI_RESULTS);
  const sandboxes = files.flatMap((f) => (f.startsWith(`${id}-`) ? [f.slice(id.length + 1).split('-')[0]!] : []));
  for (const f of files)
    if (f.startsWith(`${id}-`) || sandboxes.some((s) => f === `cni-loopback-${s}-lo`)) rmSync(join(CNI_RESULTS, f));
}

/**
 * Removes everything of a node the machine still holds, in the recipe's order from "kill remaining
 * tasks" on: processes (kubelet, containerd, shims, forwarder), container processes in its cgroups,
 * mounts, the network namespace (bridge, DNAT chain and veth go with it, so do host routes through the
 * veth) with the host guard rules, cgroups, the shim socket dir, log links. Returns what it could not remove.
 */
async function removeNodeState(id: string): Promise<string[]> {
  const problems: string[] = [];
  problems.push(...(await killAll(() => processesOf(id), 'processes')));
  problems.push(...(await killAll(() => [...new Set(cgroupsOf(id).flatMap(tasksIn))], 'containers')));
  problems.push(...(await unmountAll(id)));
  await removeNetns(id);
  problems.push(...(await removeCgroups(id)));
  rmSync(`/run/${id}`, { recursive: true, force: true });
  removeLogLinks(id);
  removeCniResults(id);
  killKeeper(id);
  return problems;
}

// -------------------------------------------------------------------------------------------------
// Host sysctls: one baseline for all real nodes on the machine, restored when the last one stops.

interface Baseline {
  sysctls: Record<string, string>;
  /** Directories the kubelet creates that did not exist before (removed again when empty). */
  created: string[];
}
const sysctlPath = (name: string) => `/proc/sys/${name.replaceAll('.', '/')}`;

function readSysctls(): Record<string, string> {
  return Object.fromEntries(HOST_SYSCTLS.map((s) => [s, readFileSync(sysctlPath(s), 'utf8').trim()]));
}

/** Ids of real nodes on this machine whose owner process is alive (their namespaces). */
async function liveNodes(): Promise<string[]> {
  const list = await quiet('ip', ['netns', 'list']);
  return list
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => /^rd-node\d+-\d+$/.test(n) && ownerAlive(n));
}

/** Records the host's sysctls unless another live node already has (then they are the originals). */
function recordBaseline(): void {
  if (existsSync(BASELINE)) return;
  const baseline: Baseline = { sysctls: readSysctls(), created: HOST_DIRS.filter((d) => !existsSync(d)) };
  try {
    writeFileSync(BASELINE, JSON.stringify(baseline, null, 2), { flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

/** Restores the recorded sysctls when no live real node remains; returns the values it changed back. */
async function restoreBaselineIfLast(): Promise<Record<string, string>> {
  if (!existsSync(BASELINE) || (await liveNodes()).length) return {};
  const baseline = JSON.parse(readFileSync(BASELINE, 'utf8')) as Baseline;
  const now = readSysctls();
  const changed: Record<string, string> = {};
  for (const [name, value] of Object.entries(baseline.sysctls)) {
    if (now[name] === value) continue;
    writeFileSync(sysctlPath(name), value);
    changed[name] = `${now[name]} -> ${value}`;
  }
  // The kubelet's device-plugin socket and checkpoint belong to no node once the last one is gone.
  if (baseline.created.includes(DEVICE_PLUGINS))
    for (const f of ['kubelet.sock', 'kubelet_internal_checkpoint']) rmSync(join(DEVICE_PLUGINS, f), { force: true });
  for (const dir of baseline.created) {
    try {
      rmdirSync(dir);
    } catch {
      // gone already, or not empty: then it is not only ours
    }
  }
  unlinkSync(BASELINE);
  return changed;
}

// -------------------------------------------------------------------------------------------------
// The sweep

/** Node ids with something left on this machine: namespaces, cgroups, mounts, processes, socket dirs. */
function idsOnMachine(): Set<string> {
  const text = [
    existsSync('/run/netns') ? readdirSync('/run/netns').join('\n') : '',
    cgroupHierarchies()
      .flatMap((h) => readdirSync(h))
      .join('\n'),
    readFileSync('/proc/self/mounts', 'utf8'),
    readdirSync('/run').join('\n'),
  ].join('\n');
  const ids = new Set([...text.matchAll(/rd-node\d+-\d+/g)].map((m) => m[0]));
  for (const entry of readdirSync('/proc')) {
    if (!Number(entry)) continue;
    try {
      for (const m of readFileSync(`/proc/${entry}/cmdline`, 'utf8').matchAll(/\/(rd-node\d+-\d+)\//g)) ids.add(m[1]!);
    } catch {
      // gone meanwhile
    }
  }
  return ids;
}

/**
 * Removes what crashed earlier runs left (nodes whose owner process is gone) and restores the host's
 * sysctls if no live real node remains. Returns the ids it removed.
 */
export async function sweepStaleRealNodes(): Promise<string[]> {
  const stale = [...idsOnMachine()].filter((id) => !ownerAlive(id));
  for (const id of stale) await removeNodeState(id);
  await restoreBaselineIfLast();
  return stale;
}

/**
 * Removes every real node whose directory is in a cluster's work dir: a detached one stopped from another
 * process (`cluster:down`), or what a failed start left. Its pods go through the API first while its kubelet
 * still runs. Returns what could not be removed.
 */
export async function removeRealNodesIn(c: Cluster): Promise<string[]> {
  if (!existsSync(c.dir)) return [];
  const problems: string[] = [];
  for (const id of readdirSync(c.dir).filter((d) => /^rd-node\d+-\d+$/.test(d))) {
    const kubeletAlive = processesOf(id).some((pid) => commOf(pid) === 'kubelet');
    await deleteNodePods(c, kubeletAlive).catch(() => {});
    problems.push(...(await removeNodeState(id)));
  }
  await restoreBaselineIfLast();
  return problems;
}

// -------------------------------------------------------------------------------------------------

export interface RealNodeOptions {
  /**
   * Keep running after the process that started the node exits (default false: it dies with it, and a
   * later run's sweep removes what is left). A detached node goes with Cluster.stop() from any process.
   */
  detached?: boolean;
  /**
   * Register with the NoSchedule taint `runner-doctor.local/real-node` (default true): the scheduler then
   * places only pods that tolerate it there (see `scheduling`); pods with `spec.nodeName` bypass it anyway.
   */
  taint?: boolean;
}

/** Milliseconds from the start of RealNode.start() to the end of each phase. */
export interface StartupPhases {
  /** Namespace, forwarder, routes and guard rules in place (after the sweep of stale nodes). */
  network: number;
  containerd: number;
  /** Images built (a cache lookup when warm) and imported; runs beside the kubelet's start. */
  images: number;
  /** The Node object Ready. */
  nodeReady: number;
  /** Both: what RealNode.start() took. */
  total: number;
}

/** A pod spec fragment that lands on the real node through the scheduler. */
export interface RealNodeScheduling {
  nodeSelector: Record<string, string>;
  tolerations: { key: string; operator: 'Exists'; effect: 'NoSchedule' }[];
}

export class RealNode {
  /** Node name in the API. */
  readonly name = REAL_NODE_NAME;
  /** `rd-node<owner pid>-<n>`: names the namespace, the work dir, the cgroup root and the shim socket dir. */
  readonly id: string;
  /** The node's InternalIP: the namespace end of its veth pair. */
  readonly ip: string;
  /** The host end of the veth pair, where the API server forwarder listens. */
  readonly hostIp: string;
  /** Pod addresses: a /24 of 10.88.0.0/16 free on this machine, bridged inside the node's namespace. */
  readonly podSubnet: string;
  readonly dir: string;
  readonly netns: HarnessNetns;
  readonly scheduling: RealNodeScheduling;
  /** containerd's socket (for `ctr --address`). */
  readonly containerdSocket: string;
  readonly startup: StartupPhases = { network: 0, containerd: 0, images: 0, nodeReady: 0, total: 0 };
  /** Set by stop(): how long teardown took (in all and per step), and the host sysctls it changed back. */
  teardown?: { ms: number; steps: Record<string, number>; restoredSysctls: Record<string, string> };

  readonly #cluster: Cluster;
  readonly #taint: boolean;
  readonly #detached: boolean;
  #forwarderPort = 0;
  #children: { forwarder?: ChildProcess; containerd?: ChildProcess; kubelet?: ChildProcess } = {};
  #stopping?: Promise<void>;

  private constructor(cluster: Cluster, netns: HarnessNetns, podSubnet: string, opts: RealNodeOptions) {
    this.#cluster = cluster;
    this.#taint = opts.taint ?? true;
    this.#detached = opts.detached ?? false;
    this.netns = netns;
    this.id = netns.name;
    this.ip = netns.nsIp;
    this.hostIp = netns.hostIp;
    this.podSubnet = podSubnet;
    this.dir = join(cluster.dir, this.id);
    this.containerdSocket = join(this.dir, 'containerd', 'containerd.sock');
    this.scheduling = {
      nodeSelector: { [REAL_NODE_KEY]: 'true' },
      tolerations: this.#taint ? [{ key: REAL_NODE_KEY, operator: 'Exists', effect: 'NoSchedule' }] : [],
    };
  }

  /**
   * Starts the node against a running control plane and waits until it is Ready. On failure everything
   * started so far is removed again and the error carries the kubelet's and containerd's last log lines.
   */
  static async start(cluster: Cluster, opts: RealNodeOptions = {}): Promise<RealNode> {
    const why = realNodeUnavailable();
    if (why) throw new Error(why);
    const t0 = performance.now();
    const since = () => Math.round(performance.now() - t0);
    await sweepStaleRealNodes();
    // The image build (a cache lookup when warm) runs while the network and containerd come up.
    const images = buildImages();
    images.catch(() => {});
    const owner = opts.detached ? startKeeper() : process.pid;
    const netns = await createNetns('node', owner).catch((e) => {
      if (opts.detached) process.kill(owner, 'SIGKILL');
      throw e;
    });
    let node: RealNode | undefined;
    try {
      recordBaseline();
      node = new RealNode(cluster, netns, await routePodSubnet(netns), opts);
      mkdirSync(node.dir, { recursive: true });
      await node.#startForwarder();
      await node.#guardNetwork();
      node.startup.network = since();
      await node.#startContainerd();
      node.startup.containerd = since();
      const started = node;
      // The images import while the kubelet registers: no pod can need them before the node is Ready.
      await Promise.all([
        (async () => {
          await importImages(join(BIN_DIR, 'ctr'), started.containerdSocket, (await images).archives);
          started.startup.images = since();
        })(),
        (async () => {
          await started.#startKubelet();
          await started.#waitReady();
          started.startup.nodeReady = since();
        })(),
      ]);
      node.startup.total = since();
      return node;
    } catch (e) {
      const logs = node?.logTails() ?? '';
      if (node) await node.stop().catch(() => {});
      else {
        await removeNetns(netns.name);
        killKeeper(netns.name);
        await restoreBaselineIfLast();
      }
      throw new Error(`the real node did not start: ${(e as Error).message}\n${logs}`);
    }
  }

  /** Runs a command inside the node's network namespace (iptables, ip route …) and returns stdout. */
  nsExec(cmd: string, args: string[]): Promise<string> {
    return run('nsenter', [`--net=${this.netns.path}`, '--', cmd, ...args]);
  }

  /** `ctr` against this node's containerd, namespace k8s.io (the CRI's). */
  ctr(args: string[]): Promise<string> {
    return run(join(BIN_DIR, 'ctr'), ['--address', this.containerdSocket, '--namespace', 'k8s.io', ...args]);
  }

  /** The last lines of the kubelet's and containerd's logs that are not routine (for error messages). */
  logTails(lines = 15): string {
    return ['kubelet', 'containerd']
      .map((name) => {
        const f = join(this.dir, `${name}.log`);
        if (!existsSync(f)) return '';
        const tail = readFileSync(f, 'utf8')
          .split('\n')
          .filter((l) => /^E\d{4}|level=(error|fatal)|F\d{4}/.test(l))
          .slice(-lines);
        return tail.length ? `--- ${name} (errors):\n${tail.join('\n')}` : '';
      })
      .filter(Boolean)
      .join('\n');
  }

  // --- start-up ---------------------------------------------------------------------------------

  /** A few lines of node on the host end of the veth that pass bytes on to the API server on loopback. */
  async #startForwarder(): Promise<void> {
    const portFile = join(this.dir, 'forwarder.port');
    const apiPort = new URL(this.#cluster.server).port;
    const script = `
      const net = require('node:net'), fs = require('node:fs');
      const [portFile, host, target] = process.argv.slice(1);
      const server = net.createServer((a) => {
        const b = net.connect(Number(target), '127.0.0.1');
        a.pipe(b).pipe(a);
        a.on('error', () => b.destroy());
        b.on('error', () => a.destroy());
      });
      server.listen(0, host, () => fs.writeFileSync(portFile, String(server.address().port)));`;
    this.#children.forwarder = spawnDaemon(
      [process.execPath, '-e', script, portFile, this.hostIp, apiPort],
      join(this.dir, 'forwarder.log'),
      { detached: this.#detached },
    );
    await this.#daemonUp('forwarder', async () => existsSync(portFile), 30_000);
    this.#forwarderPort = Number(readFileSync(portFile, 'utf8'));
  }

  /**
   * Inside the node's namespace: forwarding on (its own ip_forward, not the host's), FORWARD dropped
   * except between the pod bridge and the veth, and 10.0.0.1:443 (the `kubernetes` Service, which has no
   * endpoints here) DNAT'd to the forwarder.
   */
  async #guardNetwork(): Promise<void> {
    await this.nsExec('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    await this.nsExec('iptables', ['-P', 'FORWARD', 'DROP']);
    for (const [from, to] of [
      [BRIDGE, NODE_IF],
      [NODE_IF, BRIDGE],
      [BRIDGE, BRIDGE],
    ] as const)
      await this.nsExec('iptables', ['-A', 'FORWARD', '-i', from, '-o', to, '-j', 'ACCEPT']);
    await this.nsExec('iptables', [
      '-t',
      'nat',
      '-A',
      'PREROUTING',
      '-d',
      `${KUBERNETES_SERVICE_IP}/32`,
      '-p',
      'tcp',
      '--dport',
      '443',
      '-j',
      'DNAT',
      '--to-destination',
      `${this.hostIp}:${this.#forwarderPort}`,
    ]);
  }

  async #startContainerd(): Promise<void> {
    const d = join(this.dir, 'containerd');
    for (const sub of ['root', 'state', 'tmp', 'cni/net.d', 'cni/ipam', 'runc'])
      mkdirSync(join(d, sub), { recursive: true });
    writeFileSync(
      join(d, 'cni', 'net.d', '10-rd.conflist'),
      JSON.stringify(this.#cniConfig(join(d, 'cni', 'ipam')), null, 2),
    );
    writeFileSync(join(d, 'config.toml'), this.#containerdConfig(d));
    this.#children.containerd = spawnDaemon(
      [join(BIN_DIR, 'containerd'), '--config', join(d, 'config.toml')],
      join(this.dir, 'containerd.log'),
      { netnsPath: this.netns.path, detached: this.#detached },
    );
    await this.#daemonUp('containerd', () => succeeds(this.ctr(['version'])), 60_000);
  }

  /** Bridge inside the node's namespace; pods route only to the service range and the veth /30. */
  #cniConfig(ipamDir: string): object {
    const [a, b, c, d] = this.hostIp.split('.').map(Number) as [number, number, number, number];
    return {
      cniVersion: '1.0.0',
      name: this.id,
      plugins: [
        {
          type: 'bridge',
          bridge: BRIDGE,
          isGateway: true,
          isDefaultGateway: false,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: ipamDir,
            ranges: [[{ subnet: this.podSubnet }]],
            routes: [{ dst: SERVICE_CIDR }, { dst: `${a}.${b}.${c}.${d - 1}/30` }],
          },
        },
      ],
    };
  }

  /**
   * containerd 2.x config (version 4 as `containerd config default` prints it): every path under the
   * node's dir, shim sockets in /run/<id>, no NRI, CRI with restrict_oom_score_adj (the VM withholds
   * CAP_SYS_RESOURCE: a negative oom_score_adj would fail every sandbox), cgroupfs runc, our pause image.
   */
  #containerdConfig(d: string): string {
    const q = (s: string) => `'${s}'`;
    return `version = 4
root = ${q(join(d, 'root'))}
state = ${q(join(d, 'state'))}
temp = ${q(join(d, 'tmp'))}
imports = []
disabled_plugins = ['io.containerd.nri.v1.nri']

[plugins.'io.containerd.server.v1.grpc']
  address = ${q(this.containerdSocket)}
[plugins.'io.containerd.server.v1.ttrpc']
  address = ${q(`${this.containerdSocket}.ttrpc`)}
[plugins.'io.containerd.server.v1.debug']
  address = ''
[plugins.'io.containerd.server.v1.metrics']
  address = ''
[plugins.'io.containerd.internal.v1.opt']
  path = ${q(join(d, 'opt'))}
[plugins.'io.containerd.image-verifier.v1.bindir']
  bin_dir = ${q(join(d, 'image-verifier'))}
[plugins.'io.containerd.shim.v1.manager']
  socket_dir = ${q(`/run/${this.id}`)}

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = ${q(PAUSE_IMAGE)}

[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = true
  disable_apparmor = true
  enable_selinux = false
  netns_mounts_under_state_dir = true
  cdi_spec_dirs = []
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'runc'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = ${q(RUNC)}
        Root = ${q(join(d, 'runc'))}
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = [${q(CNI_BIN)}]
    conf_dir = ${q(join(d, 'cni', 'net.d'))}
    max_conf_num = 1

[plugins.'io.containerd.grpc.v1.cri']
  disable_tcp_service = true
  stream_server_address = '127.0.0.1'
  stream_server_port = '0'
`;
  }

  async #startKubelet(): Promise<void> {
    const k = join(this.dir, 'kubelet');
    mkdirSync(join(k, 'pki'), { recursive: true });
    writeFileSync(join(this.dir, 'resolv.conf'), 'nameserver 127.0.0.1\n');
    writeFileSync(join(this.dir, 'kubelet.json'), JSON.stringify(this.#kubeletConfig(), null, 2));
    writeFileSync(join(this.dir, 'kubelet.kubeconfig'), this.#kubeconfig());
    // The kubelet must start in its own cgroup root, which must exist in every hierarchy first.
    for (const h of cgroupHierarchies()) mkdirSync(join(h, this.id), { recursive: true });
    this.#children.kubelet = spawnDaemon(
      [
        join(BIN_DIR, 'kubelet'),
        `--config=${join(this.dir, 'kubelet.json')}`,
        `--kubeconfig=${join(this.dir, 'kubelet.kubeconfig')}`,
        `--root-dir=${k}`,
        `--cert-dir=${join(k, 'pki')}`,
        `--hostname-override=${this.name}`,
        `--node-ip=${this.ip}`,
        `--node-labels=${REAL_NODE_KEY}=true`,
        '--v=2',
      ],
      join(this.dir, 'kubelet.log'),
      { netnsPath: this.netns.path, detached: this.#detached },
    );
  }

  #kubeletConfig(): object {
    return {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      address: this.ip,
      port: KUBELET_PORT,
      readOnlyPort: 0,
      healthzBindAddress: '127.0.0.1',
      authentication: {
        anonymous: { enabled: false },
        webhook: { enabled: true },
        x509: { clientCAFile: join(this.#cluster.pki, 'ca.crt') },
      },
      authorization: { mode: 'Webhook' },
      containerRuntimeEndpoint: `unix://${this.containerdSocket}`,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: `/${this.id}`,
      // cgroup v1 is all this VM has; the 1.36 kubelet refuses it unless told otherwise.
      failCgroupV1: false,
      failSwapOn: false,
      resolvConf: join(this.dir, 'resolv.conf'),
      // No cluster DNS exists; naming the pod's own loopback keeps ClusterFirst pods from a MissingClusterDNS
      // warning each, and a lookup fails at once without leaving the pod.
      clusterDNS: ['127.0.0.1'],
      clusterDomain: 'cluster.local',
      podLogsDir: join(this.dir, 'pod-logs'),
      volumePluginDir: join(this.dir, 'kubelet', 'volume-plugins'),
      evictionHard: {
        'memory.available': '100Mi',
        'nodefs.available': '1%',
        'imagefs.available': '1%',
        'nodefs.inodesFree': '1%',
      },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      maxPods: 20,
      rotateCertificates: false,
      serverTLSBootstrap: false,
      registerWithTaints: this.#taint ? [{ key: REAL_NODE_KEY, value: 'true', effect: 'NoSchedule' }] : [],
    };
  }

  /**
   * The node's identity: a client certificate CN=system:node:<name>, O=system:nodes from the cluster CA
   * (the Node authorizer covers the rest). It talks to the forwarder on the host end of the veth; the API
   * server's certificate names `kubernetes`, not that address, hence tls-server-name.
   */
  #kubeconfig(): string {
    const user = JSON.parse(
      readFileSync(this.#cluster.userKubeconfig(`system:node:${this.name}`, ['system:nodes']), 'utf8'),
    ) as { clusters: { cluster: Record<string, string> }[] };
    const cluster = user.clusters[0]!.cluster;
    cluster.server = `https://${this.hostIp}:${this.#forwarderPort}`;
    cluster['tls-server-name'] = 'kubernetes';
    return JSON.stringify(user, null, 2);
  }

  async #waitReady(): Promise<void> {
    await this.#daemonUp(
      'kubelet',
      async () => {
        const r = await this.#cluster.kubectl(['get', 'node', this.name, '-o', 'json']);
        if (r.code !== 0) return false;
        const node = JSON.parse(r.stdout) as { status?: { conditions?: { type: string; status: string }[] } };
        return !!node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      },
      180_000,
    );
  }

  /** Polls `up` every 250 ms; fails at once if the daemon exits (start() adds its log's errors), else after `timeoutMs`. */
  async #daemonUp(name: 'forwarder' | 'containerd' | 'kubelet', up: () => Promise<boolean>, timeoutMs: number) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const child = this.#children[name];
      if (!child || child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${name} exited (${child?.exitCode ?? child?.signalCode})`);
      if (await up().catch(() => false)) return;
      if (Date.now() > end) throw new Error(`${name} not up after ${timeoutMs / 1000} s`);
      await sleep(250);
    }
  }

  // --- teardown ---------------------------------------------------------------------------------

  /**
   * Teardown in the recipe's order; every step runs even when an earlier one failed, and what could not
   * be removed is reported at the end. Idempotent (a second call waits for the first).
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#teardown();
    return this.#stopping;
  }

  async #teardown(): Promise<void> {
    const t0 = performance.now();
    const problems: string[] = [];
    const steps: Record<string, number> = {};
    const step = async (what: string, fn: () => Promise<unknown>) => {
      const s0 = performance.now();
      try {
        await fn();
      } catch (e) {
        problems.push(`${what}: ${(e as Error).message.split('\n')[0]}`);
      }
      steps[what] = Math.round(performance.now() - s0);
    };
    // Through the API first: the kubelet stops the containers and runs CNI DEL for each sandbox.
    await step('deleting the pods', () => deleteNodePods(this.#cluster, this.#children.kubelet?.exitCode === null));
    await step('stopping the kubelet', () => terminate(this.#children.kubelet));
    // A stopped kubelet does not stop containers.
    await step('killing tasks', () => this.#killTasks());
    await step('stopping containerd', () => terminate(this.#children.containerd));
    await step('stopping the forwarder', () => terminate(this.#children.forwarder, 2_000));
    await step('removing the node state', async () => problems.push(...(await removeNodeState(this.id))));
    await step('deleting the Node', () => this.#cluster.kubectl(['delete', 'node', this.name, '--ignore-not-found']));
    let restoredSysctls: Record<string, string> = {};
    await step('restoring sysctls', async () => (restoredSysctls = await restoreBaselineIfLast()));
    if (!mountsUnder(this.dir).length) rmSync(this.dir, { recursive: true, force: true });
    this.teardown = { ms: Math.round(performance.now() - t0), steps, restoredSysctls };
    if (problems.length) throw new Error(`real node teardown left: ${problems.join('; ')}`);
  }

  /** Kills and deletes the tasks containerd still runs (so the shims unmount rootfs and exit). */
  async #killTasks(): Promise<void> {
    if (this.#children.containerd?.exitCode !== null) return;
    const ids = (await this.ctr(['tasks', 'ls', '-q'])).split('\n').filter(Boolean);
    for (const id of ids) await this.ctr(['tasks', 'kill', '--all', '--signal', 'SIGKILL', id]).catch(() => '');
    for (const id of ids) await this.ctr(['tasks', 'delete', '--force', id]).catch(() => '');
  }

  /** Anything of this node still on the machine (see realNodeLeftovers), and its work dir. */
  async leftovers(): Promise<string[]> {
    const found = await realNodeLeftovers(this.id, this.podSubnet);
    return existsSync(this.dir) ? [...found, this.dir] : found;
  }
}

/**
 * Anything of a node still on the machine, one line each (empty after a clean teardown or sweep):
 * processes, mounts, cgroups, the namespace and veth, host routes and iptables rules that name it (or its
 * pod subnet), its shim socket dir, CNI results and log links; when no other real node runs, the sysctl
 * baseline and the kubelet's device-plugin dir too.
 */
export async function realNodeLeftovers(id: string, podSubnet?: string): Promise<string[]> {
  const found: string[] = [];
  const hostIf = hostIfName(id);
  const names = (line: string) =>
    line.includes(id) || line.includes(hostIf) || (!!podSubnet && line.includes(podSubnet));
  const pids = processesOf(id);
  if (pids.length) found.push(`processes: ${pids.join(' ')}`);
  const mounts = mountsUnder(id);
  if (mounts.length) found.push(`mounts: ${mounts.join(' ')}`);
  const cgroups = cgroupsOf(id);
  if (cgroups.length) found.push(`cgroups: ${cgroups.slice(0, 3).join(' ')}`);
  if ((await quiet('ip', ['netns', 'list'])).includes(id)) found.push(`netns ${id}`);
  if ((await quiet('ip', ['-o', 'link'])).includes(hostIf)) found.push(`veth ${hostIf}`);
  const routes = (await quiet('ip', ['-o', 'route'])).split('\n').filter(names);
  if (routes.length) found.push(`routes: ${routes.join('; ')}`);
  for (const table of ['filter', 'nat']) {
    const rules = (await quiet('iptables', ['-t', table, '-S'])).split('\n').filter(names);
    if (rules.length) found.push(`iptables ${table}: ${rules.join('; ')}`);
  }
  if (existsSync(`/run/${id}`)) found.push(`/run/${id}`);
  if (existsSync('/run/containerd')) found.push('/run/containerd');
  if (existsSync(CNI_RESULTS) && readdirSync(CNI_RESULTS).some((f) => f.startsWith(`${id}-`)))
    found.push(`${CNI_RESULTS}/${id}-*`);
  const links = existsSync(CONTAINER_LOG_LINKS)
    ? readdirSync(CONTAINER_LOG_LINKS).filter((f) => {
        try {
          return readlinkSync(join(CONTAINER_LOG_LINKS, f)).includes(`/${id}/`);
        } catch {
          return false;
        }
      })
    : [];
  if (links.length) found.push(`${CONTAINER_LOG_LINKS}: ${links.length} links`);
  if (!(await liveNodes()).length) {
    if (existsSync(BASELINE)) found.push(BASELINE);
    if (existsSync(DEVICE_PLUGINS)) found.push(DEVICE_PLUGINS);
  }
  return found;
}

/**
 * Cordons the real node (no new pods), deletes its pods with a short grace period and waits until they
 * are gone; with the kubelet alive that is the recipe's first step (it stops the containers and runs
 * CNI DEL for each sandbox). A dead kubelet never confirms: then the objects are dropped at once.
 */
async function deleteNodePods(c: Cluster, kubeletAlive: boolean): Promise<void> {
  const selector = `spec.nodeName=${REAL_NODE_NAME}`;
  const left = async () =>
    (await c.k(['get', 'pods', '-A', '--field-selector', selector, '-o', 'name'])).trim().split('\n').filter(Boolean);
  if (!(await left()).length) return;
  await c.kubectl(['cordon', REAL_NODE_NAME]);
  await c.kubectl(['delete', 'pods', '-A', '--field-selector', selector, '--grace-period=2', '--wait=false']);
  const gone = await succeeds(c.waitFor(async () => !(await left()).length, kubeletAlive ? 90_000 : 1_000, 'the pods'));
  if (!gone) await c.kubectl(['delete', 'pods', '-A', '--field-selector', selector, '--force', '--grace-period=0']);
}

/** Routes a free 10.88.<n>.0/24 from the host into the node's namespace (`ip route add` fails if taken). */
async function routePodSubnet(ns: HarnessNetns): Promise<string> {
  for (let n = 0; n < 256; n++) {
    const subnet = `10.88.${n}.0/24`;
    const routes = await run('ip', ['-o', '-4', 'route', 'show']);
    if (routes.includes(`10.88.${n}.0/24`)) continue;
    if (await succeeds(run('ip', ['route', 'add', subnet, 'via', ns.nsIp, 'dev', ns.hostIf]))) return subnet;
  }
  throw new Error('no free pod subnet in 10.88.0.0/16');
}

/** Host sysctls the real node may change, as they are now (for tests and reports). */
export function hostSysctls(): Record<string, string> {
  return readSysctls();
}

/** The host's own values of those sysctls: as recorded before the first live real node started, else now. */
export function hostSysctlBaseline(): Record<string, string> {
  return existsSync(BASELINE) ? (JSON.parse(readFileSync(BASELINE, 'utf8')) as Baseline).sysctls : readSysctls();
}

/** Ids of the real nodes running on this machine (any process's), whose owner is alive. */
export const liveRealNodes = liveNodes;
