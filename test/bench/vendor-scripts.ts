// The vendor's own Phase-5 scripts (runner/helm/checks/run-check.sh and pre-deployment-check.sh from
// github.com/matillion-public/deployment-library), measured the same way as the doctor: the same
// cluster, the same user, the same latency proxy, wall time, API requests and the sequential chain from
// the audit log. They need bash and our built kubectl on PATH, and `kubectl cp` (tar in the container
// and end-of-input on stdin), so only real containers will do: the real node's runner pods (Debian
// minbase: bash and tar, no curl or wget — their HTTPS test skips itself; their DNS lookups go to the
// pod's own resolver on its loopback and fail at once: nothing leaves the machine).
//
// The scripts are not part of this repository: set VENDOR_SCRIPTS_DIR to a directory holding the two,
// or keep a mirror of the repository where the bench looks for one (VENDOR_SCRIPTS_GIT, a git dir).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN_DIR } from '../cluster/cluster.ts';
import { NS } from '../cluster/fixture.ts';
import { tempDir } from '../helpers/tmp.ts';
import { summarize } from './audit.ts';
import { BENCH_USER, type BenchCluster, doctorRow, measureDoctor } from './bench-cluster.ts';
import { latencyProxy } from './latency-proxy.ts';
import { execTimed, load1, type Row, stats } from './measure.ts';

const FILES = ['run-check.sh', 'pre-deployment-check.sh'];
const DEFAULT_GIT = '/work/.mirror/matillion-public+deployment-library/repo';

/** A directory with the two scripts, or why there is none. */
export function vendorScripts(): { dir: string } | { skip: string } {
  const given = process.env.VENDOR_SCRIPTS_DIR;
  if (given) {
    const missing = FILES.filter((f) => !existsSync(join(given, f)));
    return missing.length ? { skip: `VENDOR_SCRIPTS_DIR lacks ${missing.join(', ')}` } : { dir: given };
  }
  const git = process.env.VENDOR_SCRIPTS_GIT ?? DEFAULT_GIT;
  if (!existsSync(git)) return { skip: 'the vendor scripts are not here (set VENDOR_SCRIPTS_DIR)' };
  const dir = tempDir('rd-vendor-');
  try {
    for (const f of FILES)
      writeFileSync(
        join(dir, f),
        execFileSync('git', ['--git-dir', git, 'show', `HEAD:runner/helm/checks/${f}`], { encoding: 'utf8' }),
        { mode: 0o755 },
      );
  } catch (e) {
    return { skip: `cannot read the vendor scripts from ${git}: ${(e as Error).message.split('\n')[0]}` };
  }
  return { dir };
}

async function runVendor(b: BenchCluster, dir: string, kubeconfig: string, runs: number) {
  const env = { PATH: `${BIN_DIR}:/usr/local/bin:/usr/bin:/bin`, HOME: dir };
  const one = () => execTimed('bash', [join(dir, 'run-check.sh'), '-n', NS, '-k', kubeconfig], { env, cwd: dir });
  await one();
  const out: { ms: number; code: number | null; requests: number; sequential: number }[] = [];
  for (let i = 0; i < runs; i++) {
    b.audit.mark();
    const r = await one();
    const s = summarize(await b.audit.events(b.c, BENCH_USER));
    out.push({ ms: r.ms, code: r.code, requests: s.requests, sequential: s.sequential });
  }
  return out;
}

function vendorRow(scenario: string, name: string, xs: Awaited<ReturnType<typeof runVendor>>, doctorMs?: number): Row {
  const time = stats(xs.map((x) => x.ms));
  return {
    scenario,
    name,
    time,
    requests: stats(xs.map((x) => x.requests)).median,
    sequential: stats(xs.map((x) => x.sequential)).median,
    load: load1(),
    notes: `exit ${[...new Set(xs.map((x) => x.code))].join('/')}${doctorMs ? `; the doctor is ${(time.median / doctorMs).toFixed(1)}× faster` : ''}`,
  };
}

/** The vendor's scripts beside the doctor, directly and through the 100 ms proxy; a skip row when they cannot run. */
export async function vendorRows(b: BenchCluster, scenario: string, runs: number): Promise<Row[]> {
  const v = vendorScripts();
  if ('skip' in v)
    return [
      {
        scenario,
        name: `vendor scripts: not run (${v.skip})`,
        time: { median: 0, min: 0, max: 0, runs: 0 },
        load: load1(),
      },
    ];
  const rows: Row[] = [];
  rows.push(
    vendorRow(
      scenario,
      "vendor's run-check.sh -n matillion (kubectl, cp + exec)",
      await runVendor(b, v.dir, b.kubeconfig, runs),
    ),
  );
  const cfg = readFileSync(b.kubeconfig, 'utf8');
  const apiPort = Number(new URL(b.c.server).port);
  const proxy = await latencyProxy(apiPort, 100);
  try {
    const file = join(b.c.dir, 'bench-vendor-latency.kubeconfig');
    writeFileSync(file, cfg.replace(`127.0.0.1:${apiPort}`, `127.0.0.1:${proxy.port}`), { mode: 0o600 });
    const doctor = doctorRow(
      scenario,
      'full `check --namespace matillion`, API server 100 ms away (one way)',
      await measureDoctor(b, ['--namespace', NS], runs, file),
    );
    rows.push(doctor);
    rows.push(
      vendorRow(
        scenario,
        "vendor's run-check.sh -n matillion, API server 100 ms away (one way)",
        await runVendor(b, v.dir, file, runs),
        doctor.time.median,
      ),
    );
  } finally {
    await proxy.close();
  }
  return rows;
}
