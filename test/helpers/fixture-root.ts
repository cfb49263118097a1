// Fixture trees for the probe: a fake root (proc, sys, etc, tmp …) plus a PATH of real tools and,
// where a test needs a fault no real tool can show here (a full /tmp, a security agent killing
// python3 with 137), a small stand-in command first on PATH. Everything else is real: the real probe
// runs under the real /bin/sh and reads these files through its root prefix.
import { mkdirSync, writeFileSync, symlinkSync, chmodSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { tempDir } from './tmp.ts';

const TOOLS = [
  'sh',
  'cat',
  'head',
  'tail',
  'tr',
  'sed',
  'cut',
  'df',
  'grep',
  'sort',
  'env',
  'readlink',
  'chmod',
  'rm',
  'timeout',
  'base64',
  'true',
  'printf',
];
let toolbox: string | undefined;

/** A new directory with symlinks to these real tools (those this machine has): a PATH for an image. */
export function toolsDir(tools: readonly string[]): string {
  const dir = tempDir('rd-toolbox-');
  for (const t of tools) {
    const real = execFileSync('/bin/sh', ['-c', `command -v ${t} || true`], { encoding: 'utf8' }).trim();
    if (real.startsWith('/')) symlinkSync(real, join(dir, t));
  }
  return dir;
}

/** A directory with symlinks to the few real tools a minimal image has (no python3, no java). */
export function toolboxDir(): string {
  toolbox ??= toolsDir(TOOLS);
  return toolbox;
}

export type CgroupFixture =
  | {
      version: 2;
      memoryMax?: string;
      memoryCurrent?: string;
      oomKill?: number;
      pidsMax?: string;
      pidsCurrent?: string;
      cpuMax?: string;
    }
  | {
      version: 1;
      limit?: string;
      usage?: string;
      oomKill?: number;
      quota?: string;
      period?: string;
      pidsMax?: string;
      pidsCurrent?: string;
    }
  | { version: 'none' };

export interface FixtureOptions {
  uid?: number;
  gid?: number;
  noNewPrivs?: 0 | 1;
  seccomp?: 0 | 1 | 2;
  capEff?: string;
  /** CapBnd of /proc/self/status; no such line when unset. */
  capBnd?: string;
  /** Mount options of `/` (default read-only). */
  rootOptions?: string;
  cgroup?: CgroupFixture;
  /** Extra mountinfo lines as [mountPoint, options]. */
  mounts?: [string, string][];
  overcommit?: number;
  nofile?: [string, string];
  nproc?: [string, string];
  user?: string;
  passwd?: string[];
  group?: string[];
  preload?: string;
  /** Real binaries to expose on PATH: python3, java. */
  real?: ('python3' | 'java')[];
  /** Stand-in commands (sh scripts) first on PATH. */
  bin?: Record<string, string>;
  files?: Record<string, string>;
  /** Directories that exist; default /tmp, /dev/shm and /home/<user>. */
  dirs?: string[];
  /** Paths made unwritable by pointing them at a read-only kernel filesystem. */
  readOnly?: string[];
  env?: Record<string, string>;
}

export interface Fixture {
  root: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

export function makeFixture(o: FixtureOptions = {}): Fixture {
  const root = tempDir('rd-root-');
  const put = (p: string, content: string) => {
    const full = join(root, p);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  };
  const user = o.user ?? 'agentuser';
  const uid = o.uid ?? 65534;
  const gid = o.gid ?? 65534;
  put(
    'proc/self/status',
    [
      'Name:\tsh',
      `Uid:\t${uid}\t${uid}\t${uid}\t${uid}`,
      `Gid:\t${gid}\t${gid}\t${gid}\t${gid}`,
      `CapEff:\t${o.capEff ?? '0000000000000000'}`,
      ...(o.capBnd ? [`CapBnd:\t${o.capBnd}`] : []),
      `NoNewPrivs:\t${o.noNewPrivs ?? 1}`,
      `Seccomp:\t${o.seccomp ?? 2}`,
      '',
    ].join('\n'),
  );
  const mounts: [string, string][] = [
    ['/', o.rootOptions ?? 'ro,relatime'],
    ['/tmp', 'rw,nosuid,nodev,relatime'],
    ['/dev/shm', 'rw,nosuid,nodev,noexec,relatime'],
    ...(o.mounts ?? []),
  ];
  put(
    'proc/self/mountinfo',
    mounts
      .map(([mp, opts], i) => `${100 + i} 1 0:${40 + i} / ${mp} ${opts} - ${mp === '/' ? 'overlay' : 'tmpfs'} none rw`)
      .join('\n') + '\n',
  );
  put('proc/sys/vm/overcommit_memory', `${o.overcommit ?? 0}\n`);
  const [nfs, nfh] = o.nofile ?? ['1048576', '1048576'];
  const [nps, nph] = o.nproc ?? ['unlimited', 'unlimited'];
  put(
    'proc/self/limits',
    `Limit                     Soft Limit           Hard Limit           Units\nMax processes             ${nps}            ${nph}            processes\nMax open files            ${nfs}              ${nfh}              files\n`,
  );
  const cg = o.cgroup ?? {
    version: 2,
    memoryMax: String(4 * 1024 ** 3),
    memoryCurrent: String(1024 ** 3),
    oomKill: 0,
    pidsMax: '4096',
    pidsCurrent: '120',
    cpuMax: '200000 100000',
  };
  if (cg.version === 2) {
    put('proc/self/cgroup', '0::/\n');
    put('sys/fs/cgroup/cgroup.controllers', 'cpu memory pids\n');
    if (cg.memoryMax !== undefined) put('sys/fs/cgroup/memory.max', `${cg.memoryMax}\n`);
    if (cg.memoryCurrent !== undefined) put('sys/fs/cgroup/memory.current', `${cg.memoryCurrent}\n`);
    put('sys/fs/cgroup/memory.events', `low 0\nhigh 0\nmax 0\noom ${cg.oomKill ?? 0}\noom_kill ${cg.oomKill ?? 0}\n`);
    if (cg.pidsMax !== undefined) put('sys/fs/cgroup/pids.max', `${cg.pidsMax}\n`);
    if (cg.pidsCurrent !== undefined) put('sys/fs/cgroup/pids.current', `${cg.pidsCurrent}\n`);
    if (cg.cpuMax !== undefined) put('sys/fs/cgroup/cpu.max', `${cg.cpuMax}\n`);
  } else if (cg.version === 1) {
    put('proc/self/cgroup', '12:pids:/kubepods/pod1/c1\n4:memory:/kubepods/pod1/c1\n3:cpu,cpuacct:/kubepods/pod1/c1\n');
    // Inside a container the controller roots are the container's own cgroups.
    if (cg.limit !== undefined) put('sys/fs/cgroup/memory/memory.limit_in_bytes', `${cg.limit}\n`);
    if (cg.usage !== undefined) put('sys/fs/cgroup/memory/memory.usage_in_bytes', `${cg.usage}\n`);
    put('sys/fs/cgroup/memory/memory.oom_control', `oom_kill_disable 0\nunder_oom 0\noom_kill ${cg.oomKill ?? 0}\n`);
    if (cg.quota !== undefined) put('sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us', `${cg.quota}\n`);
    if (cg.period !== undefined) put('sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us', `${cg.period}\n`);
    mkdirSync(join(root, 'sys/fs/cgroup/cpu'), { recursive: true });
    if (cg.pidsMax !== undefined) put('sys/fs/cgroup/pids/pids.max', `${cg.pidsMax}\n`);
    if (cg.pidsCurrent !== undefined) put('sys/fs/cgroup/pids/pids.current', `${cg.pidsCurrent}\n`);
  } else {
    put('proc/self/cgroup', '');
  }
  put('etc/passwd', [`${user}:x:${uid}:${gid}::/home/${user}:/bin/sh`, ...(o.passwd ?? [])].join('\n') + '\n');
  put('etc/group', [`${user}:x:${gid}:`, ...(o.group ?? [])].join('\n') + '\n');
  if (o.preload !== undefined) put('etc/ld.so.preload', o.preload);
  for (const [p, c] of Object.entries(o.files ?? {})) put(p, c);
  for (const d of o.dirs ?? ['/tmp', '/dev/shm', `/home/${user}`]) mkdirSync(join(root, d), { recursive: true });
  for (const p of o.readOnly ?? []) {
    rmSync(join(root, p), { recursive: true, force: true });
    mkdirSync(dirname(join(root, p)), { recursive: true });
    // sysfs refuses new files even for root: a real unwritable directory.
    symlinkSync('/sys/kernel', join(root, p));
  }

  const bin = join(root, '.bin');
  mkdirSync(bin);
  const stand: Record<string, string> = {
    id: `#!/bin/sh\ncase "$1" in -un) echo ${user};; -Gn) echo ${user};; -u) echo ${uid};; *) echo "uid=${uid}(${user})";; esac\n`,
    ...(o.bin ?? {}),
  };
  for (const [name, script] of Object.entries(stand)) {
    writeFileSync(join(bin, name), script);
    chmodSync(join(bin, name), 0o755);
  }
  for (const r of o.real ?? []) {
    const real = r === 'python3' ? '/usr/bin/python3' : '/usr/bin/java';
    if (existsSync(real) && !existsSync(join(bin, r))) symlinkSync(real, join(bin, r));
  }
  const env: NodeJS.ProcessEnv = { PATH: `${bin}:${toolboxDir()}`, ...(o.env ?? {}) };
  return { root, env, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** A JWT-shaped token whose payload carries `exp` (and whatever else); never a real token. */
export function fakeJwt(payload: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(payload)}.${Buffer.from('signature-bytes').toString('base64url')}`;
}
