// Container images for the real (kubelet + containerd + runc) test node. No registry is reachable and
// no Docker engine exists, so images/build-images.sh writes OCI image layouts itself (debootstrap for
// the runner, a static Go pause, the doctor from dist/ and this repository's node) and caches them
// under ~/.cache/runner-doctor/images; importImages() hands their tars to `ctr images import`. Pods
// that use them need `imagePullPolicy: Never` (or IfNotPresent): nothing can be pulled.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const SCRIPT = join(HERE, 'images', 'build-images.sh');

export const IMAGES_DIR = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'runner-doctor', 'images');
/** Sandbox image: configure containerd's CRI `sandbox` image (and the kubelet's pod-infra image) to it. */
export const PAUSE_IMAGE = 'runner-doctor.local/pause:1';
/** Runner-like image: Debian bookworm minbase, dash, python3, OpenJDK 17 JRE, user agentuser (65534). */
export const RUNNER_IMAGE = 'runner-doctor.local/runner:1';

/** The doctor's own image, tagged with package.json's version (node + dist/, no shell). */
export function doctorImage(): string {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  return `runner-doctor.local/doctor:${pkg.version}`;
}

export interface BuiltImage {
  ref: string;
  /** Tar of the OCI layout, for `ctr images import`. */
  archive: string;
  /** The OCI layout directory; `umoci unpack --image <layout>:<tag>` makes a runtime bundle of it. */
  layout: string;
  /** Manifest digest, as `ctr images ls` shows it once imported. */
  digest: string;
  cached: boolean;
}

/**
 * Builds (or finds cached) pause and runner, and with `doctor: true` the doctor image as well (that one
 * follows dist/, so build dist/ first; the script builds it only when it is missing). A warm call only
 * hashes its inputs; a cold one takes minutes (debootstrap) and needs root. Progress goes to stderr.
 */
export async function buildImages(
  opts: { doctor?: boolean } = {},
): Promise<{ archives: string[]; ms: number; cached: boolean; images: BuiltImage[] }> {
  const started = Date.now();
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [SCRIPT, ...(opts.doctor ? ['--all'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let tail = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      process.stderr.write(d);
      tail = (tail + d.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`build-images.sh exited ${code}:\n${tail}`)),
    );
  });
  const images = out
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l): BuiltImage => {
      const [ref = '', archive = '', layout = '', digest = '', status = ''] = l.split('\t');
      return { ref, archive, layout, digest, cached: status === 'cached' };
    });
  return {
    archives: images.map((i) => i.archive),
    ms: Date.now() - started,
    cached: images.every((i) => i.cached),
    images,
  };
}

/**
 * Imports image archives into containerd's `k8s.io` namespace (the one the CRI plugin serves), unpacked
 * for the default snapshotter. Idempotent: an archive whose image is already there with the same
 * manifest digest is skipped (build-images.sh leaves `ref` and `digest` files beside each archive).
 */
export async function importImages(ctrBin: string, address: string, archives: string[]): Promise<void> {
  const ctr = (args: string[]) =>
    execFileP(ctrBin, ['--address', address, '--namespace', 'k8s.io', ...args], { maxBuffer: 16 << 20 });
  // `ctr images ls`: REF TYPE DIGEST SIZE PLATFORMS LABELS
  const present = new Set(
    (await ctr(['images', 'ls'])).stdout
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 3)
      .map((f) => `${f[0]}@${f[2]}`),
  );
  for (const archive of archives) {
    const dir = dirname(archive);
    if (existsSync(join(dir, 'ref')) && existsSync(join(dir, 'digest'))) {
      const key = `${readFileSync(join(dir, 'ref'), 'utf8').trim()}@${readFileSync(join(dir, 'digest'), 'utf8').trim()}`;
      if (present.has(key)) continue;
    }
    // The archive is an OCI layout whose index names the image (io.containerd.image.name), so no
    // --base-name is needed. --all-platforms: never drop content over a platform mismatch.
    await ctr(['images', 'import', '--all-platforms', archive]);
  }
}
