// Network namespaces of the test harness's own: a namespace with one end of a veth pair in it and the
// other end on the host, both addressed from a /30 inside 10.87.0.0/16. Servers that pods are "behind"
// (the pod metrics stand-in, the real node's kubelet and pods) live there, so every packet a test sends
// goes to 127.0.0.0/8 or to an address of a namespace this file created — never to the machine's own
// uplink or to another host. A guard rule on the host keeps the namespace from being forwarded anywhere.
// Everything is named after the creating process (`rd-<tag><pid>-<n>`), so a later run can remove what a
// crashed one left behind.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Why harness namespaces cannot be made here (not root, no `ip`/`iptables`), or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'harness network namespaces need root (ip netns, veth, iptables)';
  for (const tool of ['ip', 'iptables', 'nsenter']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `harness network namespaces need \`${tool}\` (Debian iproute2 / iptables / util-linux)`;
    }
  }
  return undefined;
}

const run = async (cmd: string, args: string[]) => {
  try {
    return (await execFileP(cmd, args, { encoding: 'utf8' })).stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(err.stderr || err.message).trim()}`);
  }
};
const quiet = (cmd: string, args: string[]) =>
  execFileP(cmd, args).then(
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

/** The /30s already in use on this machine (by any harness, ours or another run's). */
async function usedSubnets(): Promise<Set<number>> {
  const out = await run('ip', ['-o', '-4', 'addr', 'show']);
  const used = new Set<number>();
  for (const m of out.matchAll(/inet 10\.87\.(\d+)\.(\d+)\//g))
    used.add(Number(m[1]) * 64 + Math.floor(Number(m[2]) / 4));
  return used;
}

export interface HarnessNetns {
  /** `ip netns` name. */
  name: string;
  /** Path for `nsenter --net=`. */
  path: string;
  /** Host end of the veth pair (an address on this machine that belongs to the pair, not to `lo` or the uplink). */
  hostIp: string;
  /** Namespace end of the veth pair. */
  nsIp: string;
  hostIf: string;
  /** Runs a command inside the namespace and returns stdout. */
  exec(cmd: string, args: string[]): Promise<string>;
  /** `nsenter` argv prefix that runs a program inside the namespace (network only; mounts and /sys stay the host's). */
  enter(): string[];
  /** Deletes the namespace (its veth end goes with it, and so the host end), the guard rules and routes. */
  remove(): Promise<void>;
}

const COMMENT = 'rd-harness';

/** Removes namespaces, veths and guard rules left by harness processes that no longer exist. */
export async function sweepStaleNetns(): Promise<string[]> {
  const removed: string[] = [];
  const list = await run('ip', ['netns', 'list']).catch(() => '');
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = name.match(/^rd-[a-z]+(\d+)-\d+$/);
    if (!m || alive(Number(m[1]))) continue;
    await removeNetns(name);
    removed.push(name);
  }
  return removed;
}

/**
 * Deletes a harness namespace by name (its veth goes with it, and every host route through that veth),
 * the host end if it is still there and the namespace's host guard rules. Idempotent.
 */
export async function removeNetns(name: string): Promise<void> {
  await quiet('ip', ['netns', 'del', name]);
  const hostIf = hostIfName(name);
  await quiet('ip', ['link', 'del', hostIf]);
  // Guard rules carry the namespace's name in their comment.
  const rules = await run('iptables', ['-S', 'FORWARD']).catch(() => '');
  for (const r of rules.split('\n')) {
    if (!r.includes(`${COMMENT}:${name}`)) continue;
    const spec =
      r
        .replace(/^-A /, '')
        .match(/"[^"]*"|\S+/g)
        ?.map((s) => s.replace(/^"|"$/g, '')) ?? [];
    await quiet('iptables', ['-D', ...spec]);
  }
}

let counter = 0;

/** The host end of a namespace's veth pair: `vh` + the name without `rd-` (15 characters at most). */
export function hostIfName(name: string): string {
  return `vh${name.slice(3)}`.slice(0, 15);
}

/**
 * Makes a namespace with a veth pair: host end `<a>.1/30`, namespace end `<a>.2/30`, `lo` up inside.
 * `tag` is a few letters saying what it is for (`m` metrics, `node` the real node). `owner` is the pid
 * in the name, the process whose death makes the namespace stale (default: this one).
 */
export async function createNetns(tag: string, owner = process.pid): Promise<HarnessNetns> {
  const why = netnsUnavailable();
  if (why) throw new Error(why);
  await sweepStaleNetns();
  const name = `rd-${tag}${owner}-${counter++}`;
  const hostIf = hostIfName(name);
  const nsIf = 'eth0';
  const used = await usedSubnets();
  let slot = 1;
  while (used.has(slot)) slot++;
  const base = `10.87.${Math.floor(slot / 64)}.${(slot % 64) * 4}`;
  const [a, b, c, d] = base.split('.').map(Number) as [number, number, number, number];
  const hostIp = `${a}.${b}.${c}.${d + 1}`;
  const nsIp = `${a}.${b}.${c}.${d + 2}`;
  const path = `/var/run/netns/${name}`;
  const exec = (cmd: string, args: string[]) => run('ip', ['netns', 'exec', name, cmd, ...args]);
  try {
    await run('ip', ['netns', 'add', name]);
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', name]);
    await run('ip', ['addr', 'add', `${hostIp}/30`, 'dev', hostIf]);
    await run('ip', ['link', 'set', hostIf, 'up']);
    await exec('ip', ['addr', 'add', `${nsIp}/30`, 'dev', nsIf]);
    await exec('ip', ['link', 'set', nsIf, 'up']);
    await exec('ip', ['link', 'set', 'lo', 'up']);
    // The namespace may talk to the host end of its pair and nothing beyond it, whatever the host's
    // ip_forward says: drop anything the host would forward from or to this veth.
    for (const dir of ['-i', '-o'])
      await run('iptables', [
        '-I',
        'FORWARD',
        dir,
        hostIf,
        '-m',
        'comment',
        '--comment',
        `${COMMENT}:${name}`,
        '-j',
        'DROP',
      ]);
  } catch (e) {
    await removeNetns(name);
    throw e;
  }
  return {
    name,
    path,
    hostIp,
    nsIp,
    hostIf,
    exec,
    enter: () => ['nsenter', `--net=${path}`, '--'],
    remove: () => removeNetns(name),
  };
}

/** IPv4 addresses of this machine's own interfaces outside loopback and outside harness veths. */
export function machineAddresses(): string[] {
  const out = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
  return [...out.matchAll(/^\d+:\s+(\S+)\s+inet (\d+\.\d+\.\d+\.\d+)\//gm)]
    .filter(
      ([, dev, ip]) => dev !== 'lo' && !dev?.startsWith('vh') && !ip?.startsWith('127.') && !ip?.startsWith('10.87.'),
    )
    .map(([, , ip]) => ip!);
}
