// The images the real test node runs (test/cluster/images), each run once with plain runc: no
// Kubernetes and no containerd, so this needs neither the control plane nor the cluster globalSetup.
// Each image is unpacked with umoci into a runtime bundle whose process we replace. umoci's spec gives
// every container a fresh network namespace holding only lo: nothing a container does can leave the
// machine. Needs root, runc, umoci, debootstrap and jq; without them it skips (fails under CI).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImages, doctorImage, PAUSE_IMAGE, RUNNER_IMAGE, type BuiltImage } from '../cluster/images.ts';
import { tempDir } from '../helpers/tmp.ts';

const TOOLS = ['runc', 'umoci', 'debootstrap', 'jq'];
const missingTools = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const skip = process.getuid?.() !== 0 ? 'needs root' : missingTools.length ? `needs ${missingTools.join(', ')}` : '';
// As in global-setup.ts: under CI a missing prerequisite fails the run, elsewhere the tests skip.
if (skip && process.env.CI)
  throw new Error(`image tests ${skip} (apt-get install runc umoci debootstrap jq; run as root)`);
if (skip) console.log(`image tests skipped: ${skip}`);

const pkgVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const work = skip ? '' : tempDir('rd-images-test-');
const state = join(work, 'runc');
const started = new Set<string>();
let seq = 0;

interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** umoci unpack: <work>/<name>/{config.json,rootfs}. */
function unpack(image: BuiltImage, name: string): string {
  const bundle = join(work, name);
  const tag = image.ref.slice(image.ref.lastIndexOf(':') + 1);
  const r = spawnSync('umoci', ['unpack', '--image', `${image.layout}:${tag}`, bundle], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`umoci unpack ${image.ref}: ${r.stderr}`);
  return bundle;
}

/**
 * Rewrites the bundle's process (args replaced, no terminal, no capabilities at all: what a restricted
 * pod gets) and starts it with `runc run` in the foreground; the image's user, env and cwd stay.
 */
function start(bundle: string, args: string[]): { id: string; done: Promise<Run>; output: () => string } {
  const cfgPath = join(bundle, 'config.json');
  const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
  cfg.process.args = args;
  cfg.process.terminal = false;
  cfg.process.capabilities = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };
  cfg.process.noNewPrivileges = true;
  cfg.hostname = 'rd-images-test';
  // A fresh network namespace only (umoci's default already; asserted so a future default cannot widen it).
  if (!cfg.linux.namespaces.some((n: { type: string; path?: string }) => n.type === 'network' && !n.path))
    throw new Error('bundle without its own network namespace');
  writeFileSync(cfgPath, JSON.stringify(cfg));
  const id = `rd-img-${process.pid}-${++seq}`;
  started.add(id);
  const child = spawn('runc', ['--root', state, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
  return { id, done, output: () => stdout };
}

async function run(bundle: string, args: string[]): Promise<Run> {
  return start(bundle, args).done;
}
const sh = (bundle: string, script: string) => run(bundle, ['/bin/sh', '-c', script]);

function runcState(id: string): string {
  const r = spawnSync('runc', ['--root', state, 'state', id], { encoding: 'utf8' });
  return r.status === 0 ? (JSON.parse(r.stdout) as { status: string }).status : '';
}

describe.skipIf(Boolean(skip))('local images, run with plain runc', () => {
  const images = new Map<string, BuiltImage>();
  const bundles = new Map<string, string>();

  beforeAll(async () => {
    // A cold build is minutes (debootstrap); the hook timeout covers that, a warm one is under a second.
    const built = await buildImages({ doctor: true });
    console.log(`images: ${built.cached ? 'cached' : 'built'} in ${built.ms} ms`);
    for (const i of built.images) images.set(i.ref, i);
    for (const [name, ref] of [
      ['pause', PAUSE_IMAGE],
      ['runner', RUNNER_IMAGE],
      ['doctor', doctorImage()],
    ] as const) {
      const image = images.get(ref);
      if (!image) throw new Error(`build-images.sh did not report ${ref}`);
      bundles.set(name, unpack(image, name));
    }
  }, 20 * 60_000);

  afterAll(() => {
    if (!work) return;
    // runc run deletes its container when the process exits; this is for a test that timed out.
    for (const id of started) spawnSync('runc', ['--root', state, 'delete', '--force', id]);
    rmSync(work, { recursive: true, force: true });
  });

  it('names every image as ctr will list it, with the tag umoci looks up', () => {
    for (const ref of [PAUSE_IMAGE, RUNNER_IMAGE, doctorImage()]) {
      const image = images.get(ref)!;
      const index = JSON.parse(readFileSync(join(image.layout, 'index.json'), 'utf8'));
      expect(index.manifests[0].annotations).toEqual({
        'io.containerd.image.name': ref,
        'org.opencontainers.image.ref.name': ref.split(':').pop(),
      });
      expect(index.manifests[0].digest).toBe(image.digest);
      expect(existsSync(image.archive)).toBe(true);
    }
  });

  it('runner: python3 and java as agentuser (65534), home writable, no curl, only lo', async () => {
    const b = bundles.get('runner')!;
    const id = await sh(b, 'id -u; id -g; id -un; id -gn; pwd; echo "$HOME"');
    expect(id.code, id.stderr).toBe(0);
    expect(id.stdout.split('\n').slice(0, 6)).toEqual([
      '65534',
      '65534',
      'agentuser',
      'agentuser',
      '/home/agentuser',
      '/home/agentuser',
    ]);

    const inline = await run(b, ['python3', '-c', 'print(1)']);
    expect([inline.code, inline.stdout]).toEqual([0, '1\n']);
    const file = await sh(b, 'printf "import os\\nprint(os.getuid())\\n" > /tmp/x.py && python3 /tmp/x.py');
    expect([file.code, file.stdout, file.stderr]).toEqual([0, '65534\n', '']);
    const mods = await run(b, [
      'python3',
      '-c',
      'import ssl, socket, json, base64, urllib.request, http.server; print(ssl.OPENSSL_VERSION)',
    ]);
    expect(mods.code, mods.stderr).toBe(0);
    expect(mods.stdout).toMatch(/^OpenSSL 3/);

    const java = await run(b, ['java', '-version']);
    expect(java.code, java.stderr).toBe(0);
    expect(java.stderr).toMatch(/openjdk version "17\./);

    const home = await sh(
      b,
      'stat -c "%u:%g %a" /home/agentuser && echo ok > /home/agentuser/w && cat /home/agentuser/w && rm /home/agentuser/w',
    );
    expect([home.code, home.stdout]).toEqual([0, '65534:65534 755\nok\n']);
    expect(statSync(join(b, 'rootfs', 'home', 'agentuser')).uid).toBe(65534);
    expect(statSync(join(b, 'rootfs', 'usr', 'bin', 'python3')).uid).toBe(0);

    const tools = await sh(
      b,
      'for t in sh python3 java grep sed head tr cut df base64 timeout ps curl wget; do command -v $t >/dev/null && echo $t; done',
    );
    expect(tools.stdout.trim().split('\n')).toEqual([
      'sh',
      'python3',
      'java',
      'grep',
      'sed',
      'head',
      'tr',
      'cut',
      'df',
      'base64',
      'timeout',
      'ps',
    ]);

    const net = await run(b, ['python3', '-c', 'import socket; print(sorted(n for _, n in socket.if_nameindex()))']);
    expect(net.stdout).toBe("['lo']\n");
  });

  it('runner: the default command runs until SIGTERM and then exits 0', async () => {
    const b = bundles.get('runner')!;
    const cfg = JSON.parse(readFileSync(join(b, 'config.json'), 'utf8'));
    const image = images.get(RUNNER_IMAGE)!;
    const imageCfg = imageConfig(image);
    expect(imageCfg.config.User).toBe('65534:65534');
    expect(imageCfg.config.WorkingDir).toBe('/home/agentuser');
    const c = start(b, imageCfg.config.Cmd);
    await waitRunning(c.id);
    // A JVM as PID 1 drops a SIGTERM that comes before its handlers are installed: wait for the agent.
    for (let i = 0; i < 600 && !c.output().includes('agent listening on 8080'); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(c.output()).toContain('agent listening on 8080');
    spawnSync('runc', ['--root', state, 'kill', c.id, 'TERM']);
    const r = await c.done;
    expect(r.code, r.stderr).toBe(0);
    expect(cfg.process.user).toMatchObject({ uid: 65534, gid: 65534 });
  });

  it('doctor: node runs the bundle as 65534 and prints the package version; there is no shell', async () => {
    const b = bundles.get('doctor')!;
    const version = await run(b, ['/usr/local/bin/node', '/app/dist/runner-doctor.mjs', '--version']);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(pkgVersion);
    const who = await run(b, [
      '/usr/local/bin/node',
      '-e',
      'console.log(process.getuid(), process.getgid(), require("os").userInfo().username, require("fs").existsSync("/bin/sh"), require("fs").statSync("/tmp").mode.toString(8))',
    ]);
    expect([who.code, who.stdout]).toEqual([0, '65534 65534 nobody false 41777\n']);
    expect(existsSync(join(b, 'rootfs', 'bin', 'sh'))).toBe(false);
    const shell = await run(b, ['/bin/sh', '-c', 'true']);
    expect(shell.code).not.toBe(0);
    const cfg = imageConfig(images.get(doctorImage())!).config;
    expect(cfg.Entrypoint).toEqual(['/usr/local/bin/node', '/app/dist/runner-doctor.mjs']);
    expect(cfg.User).toBe('65534:65534');
  });

  it('pause: runs until SIGTERM, then exits 0', async () => {
    const b = bundles.get('pause')!;
    const c = start(b, ['/pause']);
    await waitRunning(c.id);
    await new Promise((r) => setTimeout(r, 200));
    expect(runcState(c.id)).toBe('running');
    spawnSync('runc', ['--root', state, 'kill', c.id, 'TERM']);
    const r = await c.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/pause: terminated, exiting/);
  });
});

function imageConfig(image: BuiltImage): {
  config: { User?: string; WorkingDir?: string; Cmd: string[]; Entrypoint?: string[] };
} {
  const blob = (d: string) =>
    JSON.parse(readFileSync(join(image.layout, 'blobs', 'sha256', d.replace('sha256:', '')), 'utf8'));
  return blob(blob(image.digest).config.digest);
}

async function waitRunning(id: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (runcState(id) === 'running') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`container ${id} never ran`);
}
