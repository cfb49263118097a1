// The doctor where users run it after `helm install`: its own image (built without Docker), as the Job
// `runner-doctor manifest` prints and as the Helm chart in deploy/helm installs it, on the real node with
// in-cluster config from its projected ServiceAccount token. The exit code reaches the Job's status and
// the verdict its pod's termination message; `helm install --wait --wait-for-jobs` fails when the doctor
// finds failures.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { BIN_DIR, Cluster } from '../cluster/cluster.ts';
import { NS } from '../cluster/fixture.ts';
import { buildImages, doctorImage, importImages } from '../cluster/images.ts';

const skip = inject('clusterSkip') || (inject('realNode') ? '' : 'no real node on this machine');
const c = skip ? (undefined as unknown as Cluster) : Cluster.attach(inject('clusterDir'));
const REAL = inject('realNode');
const HELM = join(BIN_DIR, 'helm');
const IMAGE = doctorImage();

interface Obj {
  kind: string;
  metadata: { name: string };
  spec?: any;
}

/** What `manifest` prints, made to fit the test node: no CPU request (the runner pods take its two CPUs). */
function manifest(name: string, extra: string[]): Obj[] {
  const r = spawnSync(
    process.execPath,
    [
      'bin/runner-doctor',
      'manifest',
      '--namespace',
      NS,
      '--name',
      name,
      '--image',
      IMAGE,
      '--timeout',
      '90',
      '--arg=--no-derived-targets',
      ...extra,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  const objs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
  for (const o of objs.filter((x) => x.kind === 'Job')) {
    const pod = o.spec.template.spec;
    pod.nodeSelector = { 'kubernetes.io/hostname': REAL };
    const [ctr] = pod.containers;
    delete ctr.resources.requests.cpu;
    delete ctr.resources.limits.cpu;
  }
  return objs;
}

async function jobOutcome(
  name: string,
  timeoutMs = 180_000,
): Promise<{ succeeded: boolean; exitCode?: number; message?: string }> {
  let out: { succeeded: boolean; exitCode?: number; message?: string } | undefined;
  await c.waitFor(
    async () => {
      const job = JSON.parse(await c.k(['get', 'job', '-n', NS, name, '-o', 'json']));
      const done = (job.status?.conditions ?? []).find(
        (x: { type: string; status: string }) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True',
      );
      if (!done) return false;
      const pods = JSON.parse(
        await c.k(['get', 'pods', '-n', NS, '-l', `batch.kubernetes.io/job-name=${name}`, '-o', 'json']),
      ).items;
      const term = pods[0]?.status?.containerStatuses?.[0]?.state?.terminated;
      out = { succeeded: done.type === 'Complete', exitCode: term?.exitCode, message: term?.message };
      return true;
    },
    timeoutMs,
    `Job ${name} to finish`,
  );
  if (!out) throw new Error('unreachable');
  return out;
}

describe.skipIf(Boolean(skip))('runner-doctor as a Job on the real node', () => {
  beforeAll(async () => {
    const built = await buildImages({ doctor: true });
    await importImages(join(BIN_DIR, 'ctr'), inject('realNodeSocket'), built.archives);
  }, 300_000);

  it('the generated Job runs the check with its own ServiceAccount and reports the verdict in its termination message', async () => {
    const objs = manifest('rd-job', []);
    onTestFinished(async () => {
      await c.kubectl(['delete', 'job', '-n', NS, 'rd-job', '--ignore-not-found', '--wait=true']);
    });
    await c.apply(objs);
    const t0 = performance.now();
    const outcome = await jobOutcome('rd-job');
    console.log(`Job from apply to done: ${Math.round(performance.now() - t0)} ms`);
    expect(outcome).toMatchObject({ succeeded: true, exitCode: 0 });
    expect(outcome.message).toMatch(/^runner-doctor clean \(exit 0\): 0 failed, \d+ warnings, 0 errors, \d+ passed/);
  });

  it('a finding at the threshold fails the Job, with the exit code in its status', async () => {
    await c.apply(manifest('rd-job-warn', ['--fail-on', 'warn']));
    onTestFinished(async () => {
      await c.kubectl(['delete', 'job', '-n', NS, 'rd-job-warn', '--ignore-not-found', '--wait=true']);
    });
    const outcome = await jobOutcome('rd-job-warn');
    expect(outcome).toMatchObject({ succeeded: false, exitCode: 1 });
    expect(outcome.message).toMatch(/^runner-doctor findings \(exit 1\)/);
  });

  it('the Helm chart: `helm install --wait --wait-for-jobs` succeeds on a healthy runner, `helm test` passes, and a failing threshold fails the install', async () => {
    const env = {
      ...process.env,
      KUBECONFIG: c.kubeconfig,
      HELM_CACHE_HOME: join(c.dir, 'helm-cache'),
      HELM_CONFIG_HOME: join(c.dir, 'helm-config'),
      HELM_DATA_HOME: join(c.dir, 'helm-data'),
    };
    const helm = (args: string[]) => spawnSync(HELM, args, { env, encoding: 'utf8', timeout: 240_000 });
    const [repository, tag] = IMAGE.split(':');
    const values = [
      '--set',
      `image.repository=${repository}`,
      '--set',
      `image.tag=${tag}`,
      '--set',
      'extraArgs={--no-derived-targets}',
      '--set',
      'timeout=90',
      '--set',
      'resources.requests.cpu=null',
      '--set',
      'resources.limits.cpu=null',
      '--set',
      `nodeSelector.kubernetes\\.io/hostname=${REAL}`,
    ];
    onTestFinished(() => {
      helm(['uninstall', 'rd-helm', '-n', NS, '--wait']);
      helm(['uninstall', 'rd-helm-warn', '-n', NS, '--wait']);
    });
    const ok = helm([
      'install',
      'rd-helm',
      'deploy/helm/runner-doctor',
      '-n',
      NS,
      '--wait',
      '--wait-for-jobs',
      '--timeout',
      '4m',
      ...values,
    ]);
    expect(ok.status, `${ok.stdout}\n${ok.stderr}`).toBe(0);
    const test = helm(['test', 'rd-helm', '-n', NS, '--timeout', '4m']);
    expect(test.status, `${test.stdout}\n${test.stderr}`).toBe(0);
    // An upgrade that changes the arguments runs a new Job (a Job's pod template is immutable) and Helm
    // removes the previous revision's.
    const up = helm([
      'upgrade',
      'rd-helm',
      'deploy/helm/runner-doctor',
      '-n',
      NS,
      '--wait',
      '--wait-for-jobs',
      '--timeout',
      '4m',
      ...values,
      '--set',
      'timeout=91',
    ]);
    expect(up.status, `${up.stdout}\n${up.stderr}`).toBe(0);
    const jobs = JSON.parse(
      await c.k(['get', 'jobs', '-n', NS, '-l', 'app.kubernetes.io/instance=rd-helm', '-o', 'json']),
    ).items as { metadata: { name: string }; status?: { succeeded?: number } }[];
    expect(jobs.map((j) => [j.metadata.name, j.status?.succeeded])).toEqual([['rd-helm-2', 1]]);
    const bad = helm([
      'install',
      'rd-helm-warn',
      'deploy/helm/runner-doctor',
      '-n',
      NS,
      '--wait',
      '--wait-for-jobs',
      '--timeout',
      '4m',
      ...values,
      '--set',
      'failOn=warn',
    ]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/job .*failed|BackoffLimitExceeded/i);
  }, 1_200_000);
});
