// The report as Prometheus metrics, against a real Pushgateway (the Debian binary) on 127.0.0.1: what is
// pushed comes back from its /metrics, a second push replaces the group (stale series are gone), and an
// unreachable gateway is one line naming the URL. Nothing but 127.0.0.1 is ever contacted.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeFor, type Report, SCHEMA_VERSION } from '../../src/engine/report.ts';
import type { CheckResult, Status } from '../../src/engine/types.ts';
import { summarize } from '../../src/engine/run.ts';
import {
  MAX_CHECK_SERIES,
  metricsText,
  pushMetrics,
  STATUS_VALUE,
  writeMetricsFile,
} from '../../src/cli/metrics-push.ts';
import { hangingServer, refusedPort } from '../helpers/net-servers.ts';
import { tempDir } from '../helpers/tmp.ts';

const PUSHGATEWAY = '/usr/bin/prometheus-pushgateway';
const missing = existsSync(PUSHGATEWAY) ? '' : `${PUSHGATEWAY} is missing (apt-get install prometheus-pushgateway)`;
if (missing && process.env.CI) throw new Error(`metrics-push tests (CI=true): ${missing}`);
if (missing) console.log(`Pushgateway tests skipped: ${missing}`);

const result = (checkId: string, target: string, status: Status, messageId: string): CheckResult => ({
  checkId,
  code: `${checkId}/${messageId}`,
  title: checkId,
  category: checkId.split('.')[0] as CheckResult['category'],
  scope: target === 'cluster' ? 'cluster' : 'pod',
  status,
  message: `${checkId} is ${status}`,
  target,
  durationMs: 3,
});

const POD_A = 'matillion/matillion-runner-app-7d9f-abcde';
const POD_B = 'matillion/matillion-runner-app-7d9f-fghij';
const ALL: CheckResult[] = [
  result('runtime.python.present', POD_A, 'pass', 'present'),
  result('runtime.python.present', POD_B, 'pass', 'present'),
  result('runtime.python.file', POD_A, 'fail', 'security-agent-kill'),
  result('filesystem.tmp.writable', POD_A, 'warn', 'low-space'),
  result('environment.region', POD_A, 'info', 'region'),
  result('workload.secrets', 'cluster', 'error', 'error-forbidden'),
  result('credentials.gcp', POD_A, 'skip', 'skip-not-applicable'),
  result('cluster.version', 'cluster', 'pass', 'supported'),
];

function makeReport(results: CheckResult[], namespace = 'matillion'): Report {
  return {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'runner-doctor', version: '0.1.0' },
    target: { mode: 'cluster', description: `cluster https://127.0.0.1:6443, namespace ${namespace}`, namespace },
    startedAt: '2026-01-02T03:04:00.000Z',
    finishedAt: '2026-01-02T03:04:05.500Z',
    durationMs: 5500,
    failOn: 'fail',
    summary: summarize(results),
    results,
    notes: [],
  };
}

/** Parses exposition text into `name{labels}` → value (labels in the order written). */
function series(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(\{.*\})? (\S+)$/.exec(line);
    if (m) out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}
const checkSeries = (text: string) =>
  [...series(text).keys()].filter((k) => k.startsWith('runner_doctor_check_status{'));

describe('metricsText', () => {
  it('one series per (check, target, code), the status both as label and as value; counts, run, info', async () => {
    const report = makeReport(ALL);
    const s = series(await metricsText(report));
    expect(
      s.get(
        `runner_doctor_check_status{check="runtime.python.file",category="runtime",target="${POD_A}",status="fail",code="runtime.python.file/security-agent-kill"}`,
      ),
    ).toBe(3);
    const values = Object.fromEntries(
      [...s]
        .filter(([k]) => k.startsWith('runner_doctor_check_status'))
        .map(([k, v]) => [/status="(\w+)"/.exec(k)![1], v]),
    );
    expect(values).toEqual(STATUS_VALUE);
    expect(checkSeries(await metricsText(report))).toHaveLength(ALL.length);
    expect(s.get('runner_doctor_findings{status="pass"}')).toBe(3);
    expect(s.get('runner_doctor_findings{status="fail"}')).toBe(1);
    expect(s.get('runner_doctor_run_duration_seconds')).toBe(5.5);
    expect(s.get('runner_doctor_last_run_timestamp_seconds')).toBe(Date.parse('2026-01-02T03:04:05.500Z') / 1000);
    expect(s.get('runner_doctor_exit_code')).toBe(exitCodeFor(report));
    expect(s.get('runner_doctor_exit_code')).toBe(1);
    expect(s.get('runner_doctor_info{version="0.1.0",mode="cluster",namespace="matillion"}')).toBe(1);
    expect(s.get('runner_doctor_check_series_dropped')).toBe(0);
  });

  it('uses a new registry per call: nothing carries over from one report to the next', async () => {
    await metricsText(makeReport(ALL));
    const text = await metricsText(makeReport(ALL.slice(0, 1)));
    expect(checkSeries(text)).toHaveLength(1);
    expect((await import('prom-client')).register.getMetricsAsArray()).toHaveLength(0);
  });

  it(`caps runner_doctor_check_status at ${MAX_CHECK_SERIES} series, worst first, and says how many were dropped`, async () => {
    const many = Array.from({ length: MAX_CHECK_SERIES + 200 }, (_, i) =>
      result('runtime.python.present', `matillion/pod-${i}`, 'pass', 'present'),
    );
    many.push(result('runtime.python.file', 'matillion/pod-last', 'fail', 'security-agent-kill'));
    const text = await metricsText(makeReport(many));
    expect(checkSeries(text)).toHaveLength(MAX_CHECK_SERIES);
    expect(text).toContain('target="matillion/pod-last",status="fail"');
    expect(series(text).get('runner_doctor_check_series_dropped')).toBe(201);
  });

  it('scrubs label values and takes the real exit code when given', async () => {
    const text = await metricsText(makeReport([result('network.egress', 'proxy-s3cret', 'pass', 'ok')]), {
      scrub: (v) => v.replaceAll('s3cret', '***'),
      exitCode: 3,
    });
    expect(text).not.toContain('s3cret');
    expect(text).toContain('target="proxy-***"');
    expect(series(text).get('runner_doctor_exit_code')).toBe(3);
  });

  it('writeMetricsFile writes .prom content atomically, leaving no temp file behind', async () => {
    const dir = tempDir('rd-textfile-');
    const path = join(dir, 'runner_doctor.prom');
    await writeMetricsFile(makeReport(ALL), path);
    await writeMetricsFile(makeReport(ALL.slice(0, 2)), path);
    expect(readdirSync(dir)).toEqual(['runner_doctor.prom']);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('# TYPE runner_doctor_check_status gauge');
    expect(checkSeries(text)).toHaveLength(2);
    rmSync(dir, { recursive: true });
  });
});

describe.skipIf(Boolean(missing))('pushMetrics against a real Pushgateway', () => {
  let gw: ChildProcess | undefined;
  let url = '';
  let dataDir = '';
  let stderr = '';

  beforeAll(async () => {
    dataDir = tempDir('rd-pushgateway-');
    const port = await refusedPort();
    url = `http://127.0.0.1:${port}`;
    gw = spawn(
      PUSHGATEWAY,
      [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${join(dataDir, 'pushgateway.data')}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    gw.stderr?.on('data', (b) => (stderr += b));
    const until = Date.now() + 15_000;
    for (;;) {
      const ready = await fetch(`${url}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > until || gw.exitCode !== null) throw new Error(`the Pushgateway did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    // It writes its persistence file on the way out: wait for it before removing the directory.
    if (gw && gw.exitCode === null) await new Promise((r) => gw!.once('exit', r).kill());
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const scraped = async () => series(await (await fetch(`${url}/metrics`)).text());
  const ours = (s: Map<string, number>) =>
    [...s.keys()].filter((k) => k.startsWith('runner_doctor_check_status{') && k.includes('job="runner-doctor"'));

  it('pushes every series; a second push replaces the group, so stale series are gone', async () => {
    await pushMetrics(makeReport(ALL), { url });
    let s = await scraped();
    expect(ours(s)).toHaveLength(ALL.length);
    const fail = ours(s).find((k) => k.includes('status="fail"'))!;
    expect(s.get(fail)).toBe(3);
    // The grouping key (job, namespace) is on every series the gateway serves.
    expect(fail).toContain('namespace="matillion"');
    expect(fail).toContain(`target="${POD_A}"`);
    expect([...s].find(([k]) => k.startsWith('runner_doctor_exit_code{'))?.[1]).toBe(1);
    expect([...s.keys()].some((k) => k.startsWith('runner_doctor_info{') && k.includes('version="0.1.0"'))).toBe(true);

    await pushMetrics(makeReport(ALL.slice(0, 2)), { url });
    s = await scraped();
    expect(ours(s)).toHaveLength(2);
    expect(ours(s).some((k) => k.includes('status="fail"'))).toBe(false);
    expect([...s].find(([k]) => k.startsWith('runner_doctor_findings{') && k.includes('status="fail"'))?.[1]).toBe(0);
  });

  it('keeps one group per namespace, and honours job and extra groupings', async () => {
    await pushMetrics(makeReport(ALL.slice(0, 1), 'other'), {
      url,
      job: 'doctor-cron',
      groupings: { cluster: 'aks-1' },
    });
    const keys = [...(await scraped()).keys()].filter((k) => k.startsWith('runner_doctor_check_status{'));
    expect(
      keys.some(
        (k) => k.includes('job="doctor-cron"') && k.includes('namespace="other"') && k.includes('cluster="aks-1"'),
      ),
    ).toBe(true);
    // The matillion group of the first test is untouched.
    expect(keys.some((k) => k.includes('job="runner-doctor"') && k.includes('namespace="matillion"'))).toBe(true);
  });

  it('an unreachable Pushgateway is one line naming the URL and the cause', async () => {
    const closed = `http://127.0.0.1:${await refusedPort()}`;
    const err = await pushMetrics(makeReport(ALL), { url: closed, timeoutMs: 3000 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).not.toContain('\n');
    expect(err!.message).toContain(closed);
    expect(err!.message).toMatch(/unreachable \(ECONNREFUSED\)/);
  });

  it('a Pushgateway that never answers is cut off at timeoutMs', async () => {
    const hang = await hangingServer();
    const err = await pushMetrics(makeReport(ALL), { url: `http://127.0.0.1:${hang.port}`, timeoutMs: 500 }).then(
      () => undefined,
      (e: Error) => e,
    );
    await hang.close();
    expect(err?.message).toMatch(/timed out after 500 ms$/);
  });

  it('an HTTP error is one line with the status', async () => {
    const err = await pushMetrics(makeReport(ALL), { url, groupings: { 'bad-label': 'x' } }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^cannot push metrics to the Pushgateway http:\/\/127\.0\.0\.1:\d+: HTTP 400/);
    expect(err!.message).toContain('improper label name');
    expect(err!.message).not.toContain('\n');
  });

  it('refuses a grouping label that would overwrite a label of the series (the gateway would do it silently)', async () => {
    await expect(pushMetrics(makeReport(ALL), { url, groupings: { target: 'x' } })).rejects.toThrow(
      /grouping label "target"/,
    );
  });
});
