// Parses the probe's output into typed facts. The output is untrusted (a pod may print anything): it
// is parsed strictly, every value is cleaned of control and ANSI sequences, numbers must be numbers,
// and anything that does not follow the marker protocol makes the whole probe an error for that target.
import { cleanText, redactUrlCredentials } from '../../redact/redact.ts';
import type {
  CgroupFact,
  CredentialsFact,
  EnvEntry,
  EnvFact,
  FactMap,
  FilesystemFact,
  Limit,
  MountInfo,
  RuntimesFact,
} from '../../engine/facts.ts';
import { decodeCapabilities } from '../../domain/capabilities.ts';

/** Everything one probe run yields: the in-pod facts of one target. */
export type ProbeFacts = Pick<
  FactMap,
  'runtimes' | 'filesystem' | 'cgroup' | 'identity' | 'env' | 'credentials' | 'kernel'
>;

export class ProbeParseError extends Error {}

const KEY = /^[A-Za-z0-9_.:/,-]{1,200}$/;
const FILE_PATH = /^\/[A-Za-z0-9_./,:-]{0,300}$/;

export interface RawProbe {
  kv: Map<string, string>;
  files: Map<string, string>;
  notes: string[];
}

/** Splits marker lines; throws ProbeParseError when the output is not the probe's. */
export function parseRaw(output: string, nonce: string, opts: { truncated?: boolean } = {}): RawProbe {
  const prefix = `@@RDP:${nonce}:`;
  const lines = output.split('\n');
  const kv = new Map<string, string>();
  const files = new Map<string, string>();
  const notes: string[] = [];
  let begun = false;
  let ended = false;
  let file: { path: string; lines: string[] } | undefined;
  let garbage = 0;
  const closeFile = () => {
    if (file) files.set(file.path, file.lines.join('\n').replace(/\n$/, ''));
    file = undefined;
  };
  for (const line of lines) {
    if (!line.startsWith(prefix)) {
      if (file) file.lines.push(line);
      else if (line.trim() !== '') garbage++;
      continue;
    }
    const rest = line.slice(prefix.length);
    const colon = rest.indexOf(':');
    const type = colon < 0 ? rest : rest.slice(0, colon);
    const body = colon < 0 ? '' : rest.slice(colon + 1);
    closeFile();
    if (type === 'begin') {
      if (begun) throw new ProbeParseError('probe output has two beginnings');
      if (body !== '1') throw new ProbeParseError(`probe protocol version ${cleanText(body, 20)} is not supported`);
      if (garbage > 0) notes.push(`${garbage} line(s) of unrelated output before the probe started were ignored`);
      garbage = 0;
      begun = true;
    } else if (!begun) {
      throw new ProbeParseError('probe output does not start with the probe marker');
    } else if (type === 'end') {
      ended = true;
      break;
    } else if (type === 'kv') {
      const eq = body.indexOf('=');
      const key = eq < 0 ? '' : body.slice(0, eq);
      if (!KEY.test(key)) throw new ProbeParseError('probe output has a malformed key');
      kv.set(key, cleanText(body.slice(eq + 1), 2048));
    } else if (type === 'file') {
      if (!FILE_PATH.test(body)) throw new ProbeParseError('probe output names a malformed file path');
      file = { path: body, lines: [] };
    } else {
      throw new ProbeParseError('probe output has an unknown marker');
    }
  }
  closeFile();
  if (!begun) throw new ProbeParseError('no probe output (the shell printed nothing recognisable)');
  if (garbage > 0) throw new ProbeParseError(`probe output has ${garbage} unrecognised line(s)`);
  if (!ended) {
    if (!opts.truncated)
      throw new ProbeParseError('probe output is incomplete (the probe was killed or timed out before it finished)');
    notes.push('probe output was larger than the cap and was truncated; facts after the cut are missing');
  }
  for (const [k, v] of files) files.set(k, cleanText(v, 32768));
  return { kv, files, notes };
}

const int = (s: string | undefined): number | null =>
  s !== undefined && /^-?\d+$/.test(s.trim()) ? Number(s.trim()) : null;

/** Parses a `Key:\tvalue` file such as /proc/self/status. */
function statusField(status: string | undefined, key: string): string | undefined {
  const m = status?.match(new RegExp(`^${key}:\\s*(.*)$`, 'm'));
  return m?.[1]?.trim();
}

export function parseMountinfo(text: string | undefined): MountInfo[] {
  if (!text) return [];
  const unoctal = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const r = right.split(' ');
    if (f.length < 6 || !f[4] || !f[5]) continue;
    out.push({
      mountPoint: unoctal(f[4]),
      options: [...f[5].split(','), ...(r[2] ?? '').split(',')].filter(Boolean),
      fsType: r[0] ?? '',
      source: r[1] ?? '',
    });
  }
  return out;
}

/** The mount a path lives on: the longest mount point that is a prefix of it (later mounts shadow earlier ones). */
export function mountFor(mounts: MountInfo[], path: string): MountInfo | undefined {
  let best: MountInfo | undefined;
  for (const m of mounts) {
    const mp = m.mountPoint;
    const under = mp === '/' || path === mp || path.startsWith(mp.endsWith('/') ? mp : `${mp}/`);
    if (under && (!best || mp.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

function parseLimits(text: string | undefined, label: string): Limit | null {
  const line = text?.split('\n').find((l) => l.startsWith(label));
  if (!line) return null;
  const parts = line.slice(label.length).trim().split(/\s+/);
  const v = (s: string | undefined): number | 'unlimited' | null => (s === 'unlimited' ? 'unlimited' : int(s));
  const soft = v(parts[0]);
  const hard = v(parts[1]);
  return soft === null || hard === null ? null : { soft, hard };
}

/** Cgroup numbers: the effective limit is the smallest over the leaf and its ancestors. */
function parseCgroup(raw: RawProbe): CgroupFact {
  const version = raw.kv.get('cgroup.version');
  const files = [...raw.files.entries()];
  const named = (name: string) => files.filter(([p]) => p.endsWith(`/${name}`));
  // Leaf first: the longest path is the process's own cgroup.
  const leafFirst = (name: string) => named(name).sort((a, b) => b[0].length - a[0].length);
  const minOf = (name: string, parse: (v: string) => number | null) => {
    const values = named(name)
      .map(([, v]) => parse(v))
      .filter((n): n is number => n !== null);
    return values.length ? Math.min(...values) : null;
  };
  const leaf = (name: string) => leafFirst(name)[0]?.[1];
  const NO_LIMIT_V1 = 2 ** 60;
  const base: CgroupFact = {
    version: 'none',
    memoryLimit: null,
    memoryUsage: null,
    oomKills: null,
    cpuQuotaCores: null,
    pidsLimit: null,
    pidsCurrent: null,
  };
  if (version === '2') {
    const cpu = named('cpu.max')
      .map(([, v]) => v.trim().split(/\s+/))
      .filter((p) => p[0] !== 'max' && int(p[0]) !== null && int(p[1]) !== null)
      .map((p) => (int(p[0]) as number) / (int(p[1]) as number));
    return {
      version: 2,
      memoryLimit: minOf('memory.max', (v) => (v.trim() === 'max' ? null : int(v))),
      memoryUsage: int(leaf('memory.current')),
      oomKills: int(leaf('memory.events')?.match(/^oom_kill (\d+)$/m)?.[1]),
      cpuQuotaCores: cpu.length ? Math.min(...cpu) : null,
      pidsLimit: minOf('pids.max', (v) => (v.trim() === 'max' ? null : int(v))),
      pidsCurrent: int(leaf('pids.current')),
    };
  }
  if (version === '1') {
    const quota = int(leaf('cpu.cfs_quota_us'));
    const period = int(leaf('cpu.cfs_period_us'));
    return {
      version: 1,
      memoryLimit: minOf('memory.limit_in_bytes', (v) => {
        const n = int(v);
        return n === null || n >= NO_LIMIT_V1 ? null : n;
      }),
      memoryUsage: int(leaf('memory.usage_in_bytes')),
      oomKills: int(leaf('memory.oom_control')?.match(/^oom_kill (\d+)$/m)?.[1]),
      cpuQuotaCores: quota !== null && quota > 0 && period ? quota / period : null,
      pidsLimit: minOf('pids.max', (v) => (v.trim() === 'max' ? null : int(v))),
      pidsCurrent: int(leaf('pids.current')),
    };
  }
  return base;
}

function parseDf(line: string | undefined): { sizeKiB: number; freeKiB: number } | undefined {
  const f = line?.trim().split(/\s+/);
  if (!f || f.length < 6) return undefined;
  const size = int(f[1]);
  const free = int(f[3]);
  return size === null || free === null ? undefined : { sizeKiB: size, freeKiB: free };
}

export function toFacts(raw: RawProbe): ProbeFacts {
  const { kv, files } = raw;
  const status = files.get('/proc/self/status');
  const ids = (key: string) => int(statusField(status, key)?.split(/\s+/)[1]); // effective id
  const capHex = statusField(status, 'CapEff');
  const mounts = parseMountinfo(files.get('/proc/self/mountinfo'));

  const paths: FilesystemFact['paths'] = {};
  for (const [k, v] of kv) {
    const m = k.match(/^fs\.(write|df):(.*)$/);
    if (!m?.[2]) continue;
    const p = m[2];
    const entry = (paths[p] ??= { write: 'missing' });
    if (m[1] === 'write' && (v === 'ok' || v === 'denied' || v === 'missing')) entry.write = v;
    if (m[1] === 'df') Object.assign(entry, parseDf(v) ?? {});
  }
  for (const [p, entry] of Object.entries(paths)) {
    const mnt = mountFor(mounts, p);
    if (mnt) entry.mount = mnt;
  }

  const env: EnvFact = {};
  for (const [k, v] of kv) {
    if (!k.startsWith('env:')) continue;
    const [len, ph, ...rest] = v.split('|');
    const length = int(len);
    if (length === null) continue;
    // Credentials in proxy URLs are masked here, where the fact is parsed: no later stage sees them.
    const value = redactUrlCredentials(rest.join('|'));
    // An empty shown value for a non-empty variable means the probe withheld it (a secret-like name).
    const entry: EnvEntry = { length, placeholder: ph === '1', ...(value !== '' || length === 0 ? { value } : {}) };
    env[k.slice(4)] = entry;
  }

  const tokens: CredentialsFact['tokens'] = {};
  for (const [k, v] of kv) {
    if (!k.startsWith('token:')) continue;
    const [state, exp] = v.split('|');
    const e = int(exp);
    if (state === 'ok' || state === 'missing' || state === 'unreadable')
      tokens[k.slice(6)] = { state, ...(e !== null ? { exp: e } : {}) };
  }

  const jvm: RuntimesFact['jvm'] = [];
  for (const [k, v] of kv) {
    const m = k.match(/^jvm\.(process|env):(.+)$/);
    if (m?.[2])
      jvm.push({ source: m[1] === 'process' ? `pid ${m[2]}` : m[2], flags: v.trim().split(/\s+/).filter(Boolean) });
  }

  const pyRc = kv.get('python.file.rc');
  const inlineOut = kv.get('python.inline.out') ?? '';
  const yesNo = (v: string | undefined) => (v === 'yes' ? true : v === 'no' ? false : null);

  const caps = capHex && /^[0-9a-f]{1,16}$/i.test(capHex) ? BigInt(`0x${capHex}`) : null;
  const bndHex = statusField(status, 'CapBnd');
  const bnd = bndHex && /^[0-9a-f]{1,16}$/i.test(bndHex) ? BigInt(`0x${bndHex}`) : null;
  const seccomp = int(statusField(status, 'Seccomp'));
  const nnp = int(statusField(status, 'NoNewPrivs'));
  const rootMount = mountFor(mounts, '/');
  const javaMajor = int(kv.get('java.version')?.match(/version "(?:1\.)?(\d+)/)?.[1]);
  const pyVersion = inlineOut.match(/Python (\d+\.\d+(?:\.\d+)?)/)?.[1];
  const fileDir = kv.get('python.file.dir');
  return {
    identity: {
      uid: ids('Uid'),
      gid: ids('Gid'),
      ...(kv.get('id.user') ? { user: kv.get('id.user') } : {}),
      groups: (kv.get('id.groups') ?? '').split(/\s+/).filter(Boolean),
      noNewPrivs: nnp === null ? null : nnp === 1,
      seccomp: seccomp === 0 || seccomp === 1 || seccomp === 2 ? seccomp : null,
      capEff: caps === null ? null : caps.toString(16).padStart(16, '0'),
      capabilities: caps === null ? null : decodeCapabilities(caps),
      capBnd: bnd === null ? null : bnd.toString(16).padStart(16, '0'),
      boundingCapabilities: bnd === null ? null : decodeCapabilities(bnd),
    },
    runtimes: {
      python: {
        ...(kv.get('python.path') ? { path: kv.get('python.path') } : {}),
        ...(pyVersion ? { version: pyVersion } : {}),
        ...(kv.has('python.inline.rc') ? { inline: { rc: int(kv.get('python.inline.rc')), out: inlineOut } } : {}),
        ...(pyRc === undefined
          ? {}
          : {
              file:
                pyRc === 'unwritable'
                  ? { rc: 'unwritable' as const, out: '' }
                  : { rc: int(pyRc), out: kv.get('python.file.out') ?? '', ...(fileDir ? { dir: fileDir } : {}) },
            }),
      },
      java: {
        ...(kv.get('java.path') ? { path: kv.get('java.path') } : {}),
        ...(kv.get('java.version') ? { version: kv.get('java.version') } : {}),
        ...(javaMajor !== null ? { major: javaMajor } : {}),
      },
      jvm,
      sudo: kv.get('sudo.path') !== undefined,
      restrictedUser: yesNo(kv.get('user.restricteduser')),
      restrictedGroup: yesNo(kv.get('group.restricteduser')),
      preload: (files.get('/etc/ld.so.preload') ?? '').split(/\s+/).filter((s) => s && !s.startsWith('#')),
    },
    filesystem: {
      workdir: kv.get('fs.workdir') ?? '/home',
      paths,
      tmpExecRc: int(kv.get('fs.exec:/tmp')),
      rootReadOnly: rootMount ? rootMount.options.includes('ro') : null,
    },
    cgroup: parseCgroup(raw),
    kernel: {
      overcommitMemory: int(files.get('/proc/sys/vm/overcommit_memory')),
      ulimits: {
        nofile: parseLimits(files.get('/proc/self/limits'), 'Max open files'),
        nproc: parseLimits(files.get('/proc/self/limits'), 'Max processes'),
      },
    },
    env,
    credentials: { tokens },
  };
}
