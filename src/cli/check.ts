// `runner-doctor check`: plan the targets, collect facts (live, or from a snapshot), run the engine,
// render every requested output from one report. The run's deadline counts from process start and
// covers everything: kubeconfig loading, discovery, every API call, exec and egress probe.
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { CHECKS } from '../../checks/index.ts';
import { ConfigError, type DoctorConfig, loadConfig } from '../config/load.ts';
import { type PlannedTarget, runChecks, summarize, type FactStore } from '../engine/run.ts';
import { EXIT, exitCodeFor, type FailOn, type Report, SCHEMA_VERSION } from '../engine/report.ts';
import { selectChecks, splitList } from '../engine/select.ts';
import { FactError, type KubeScopeFact } from '../engine/facts.ts';
import type { AnyCheck, Target } from '../engine/types.ts';
import { runnerSelector } from '../domain/chart.ts';
import { isRunning, podName, runnerContainer } from '../domain/runner.ts';
import { Redactor } from '../redact/redact.ts';
import { UsageError } from './errors.ts';
import { parseOutputs, writeAtomic, writeOutputs, type OutputSpec } from './outputs.ts';
import { toolVersion } from './version.ts';
import { EgressPlan } from '../facts/egress/plan.ts';
import type { TargetOverride } from '../domain/egress.ts';
import type { RunResources } from '../facts/collector.ts';
import { Bound } from '../util/bound.ts';
import { buildCloudLogs, type CloudLogsArgs } from './cloud-logs-options.ts';

export interface CheckArgs extends CloudLogsArgs {
  local?: boolean;
  output?: string[];
  failOn?: FailOn;
  only?: string[];
  skip?: string[];
  config?: string;
  timeout?: number;
  checkTimeout?: number;
  concurrency?: number;
  root?: string;
  probeShell?: string;
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  release?: string;
  pod?: string;
  target?: string[];
  egressOverride?: string[];
  ca?: string[];
  derivedTargets?: boolean;
  dnsServer?: string[];
  egressTimeout?: number;
  saveSnapshot?: string;
  fromSnapshot?: string;
  summaryFile?: string;
  pushgateway?: string;
  metricsFile?: string;
  /** --identity-exchange / --no-identity-exchange; unset: on, unless derived targets are off. */
  identityExchange?: boolean;
  baseline?: string;
  verbose?: boolean;
}

/** Colour for the final text: on a TTY unless NO_COLOR; forced by FORCE_COLOR (not 0) anywhere. */
export function colorWanted(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY && !env.CI;
}

function positive(name: string, v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isFinite(v) || v <= 0) throw new UsageError(`--${name} must be a positive number of seconds, not ${v}`);
  return v;
}

/** The egress phase's options from flags and config; a bad target, override or CA file is a usage error. */
function buildEgressPlan(args: CheckArgs, config: DoctorConfig | undefined): EgressPlan {
  const override: Record<string, TargetOverride> = { ...(config?.egress?.override ?? {}) };
  for (const o of args.egressOverride ?? []) {
    const m = o.match(/^([^=]+)=(.+)$/);
    if (!m?.[1] || !m[2]) throw new UsageError(`--egress-override ${JSON.stringify(o)}: expected host=address[:port]`);
    const host = m[1].trim();
    override[host] = { ...override[host], connect: m[2].trim() };
  }
  const stage = positive('egress-timeout', args.egressTimeout ?? config?.egress?.stageTimeout);
  try {
    return new EgressPlan({
      targets: [...(config?.egress?.targets ?? []), ...splitList(args.target)],
      override,
      derived: args.derivedTargets ?? config?.egress?.derivedTargets ?? true,
      caFiles: [...(config?.egress?.ca ?? []), ...(args.ca ?? [])],
      dnsServers: [...(config?.egress?.dnsServers ?? []), ...(args.dnsServer ?? [])],
      stageTimeoutMs: stage ? stage * 1000 : undefined,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

const LOCAL: PlannedTarget = { target: { kind: 'local', name: 'local' }, scopes: ['pod', 'vantage', 'run'] };
const DOCTOR: PlannedTarget = { target: { kind: 'doctor', name: 'doctor' }, scopes: ['vantage', 'run'] };
const CLUSTER: PlannedTarget = { target: { kind: 'cluster', name: 'cluster' }, scopes: ['cluster'] };
const podTarget = (t: Target): PlannedTarget => ({ target: t, scopes: ['pod', 'vantage'] });

/** Failures that mean the cluster cannot be examined at all (a fatal), rather than one fact missing. */
const FATAL_KINDS = new Set(['unreachable', 'unauthorized', 'tls', 'config', 'timeout', 'deadline']);

export async function runCheckCommand(args: CheckArgs): Promise<number> {
  // The deadline counts from process start: start-up, config and discovery are part of the run.
  const startedMs = Math.round(performance.timeOrigin);
  const version = toolVersion();
  const redactor = new Redactor().addEnv(process.env);
  // Outputs are parsed first so that even a config error leaves a report behind.
  const outputs: OutputSpec[] = parseOutputs(args.output ?? []);
  const stdoutTaken = outputs.some((o) => o.path === '-');
  if (
    args.fromSnapshot &&
    (args.local || args.namespace || args.kubeconfig || args.context || args.pod || args.release)
  )
    throw new UsageError(
      '--from-snapshot judges a saved run: it takes no --local, --namespace, --kubeconfig, --context, --pod or --release',
    );
  if (args.fromSnapshot && args.saveSnapshot)
    throw new UsageError('--from-snapshot and --save-snapshot cannot be combined');
  let description = args.local ? `local environment (${hostname()})` : 'cluster';
  let mode: Report['target']['mode'] = args.local ? 'local' : 'cluster';

  const report = (results: Report['results'], failOn: FailOn, extra: Partial<Report> = {}): Report => {
    const finished = Date.now();
    return {
      schemaVersion: SCHEMA_VERSION,
      tool: { name: 'runner-doctor', version },
      target: { mode, description },
      startedAt: new Date(startedMs).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      durationMs: finished - startedMs,
      failOn,
      summary: summarize(results),
      results,
      notes: [],
      ...extra,
    };
  };

  let config: DoctorConfig | undefined;
  try {
    if (args.config) config = await loadConfig(args.config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    await writeOutputs(
      outputs,
      report([], 'fail', {
        fatal: {
          message: `config error: ${e.message}`,
          remediation: 'fix the config file (see README: Configuration)',
        },
      }),
      redactor,
    ).catch(() => {});
    throw new UsageError(e.message);
  }

  const failOn = args.failOn ?? config?.failOn ?? 'fail';
  // The baseline is read before the run: a bad file is a usage error, not a comparison lost at the end.
  const baseline = args.baseline ? await (await import('./baseline.ts')).loadBaseline(args.baseline) : undefined;
  if (failOn === 'new' && !baseline)
    throw new UsageError('--fail-on new compares with an earlier report: name it with --baseline PREVIOUS.json');
  const only = splitList(args.only ?? config?.only);
  const skip = splitList([...(args.skip ?? []), ...(config?.skip ?? [])]);
  const selection = selectChecks(CHECKS, only, skip);
  if (selection.unknown.length)
    throw new UsageError(
      `no check, category or tag matches ${selection.unknown.map((s) => `"${s}"`).join(', ')} (see runner-doctor list)`,
    );
  const timeoutS = positive('timeout', args.timeout ?? config?.timeout) ?? 120;
  const checkTimeoutS = positive('check-timeout', args.checkTimeout) ?? 30;
  if (args.concurrency !== undefined && (!Number.isInteger(args.concurrency) || args.concurrency < 1))
    throw new UsageError(`--concurrency must be a whole number ≥ 1, not ${args.concurrency}`);
  if (args.pod && !args.namespace && !args.fromSnapshot) throw new UsageError('--pod needs --namespace');

  const deadlineAt = startedMs + timeoutS * 1000;
  const abort = new AbortController();
  const deadlineTimer = setTimeout(() => abort.abort(), Math.max(0, deadlineAt - Date.now()));
  deadlineTimer.unref();
  // SIGTERM (a Job past its activeDeadlineSeconds, a CI cancel) or Ctrl-C ends the run like the deadline:
  // unfinished checks become errors and every report is still written. As PID 1 in the doctor's image,
  // Node would otherwise ignore SIGTERM until the kubelet's SIGKILL. A second signal exits at once.
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) process.exit(sig === 'SIGINT' ? 130 : 143);
    interrupted = sig;
    process.stderr.write(
      `runner-doctor: ${sig}: stopping and writing the report of what was judged (again to quit now)\n`,
    );
    abort.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  let store: FactStore;
  let live: import('../facts/store.ts').LiveFactStore | undefined;
  let targets: PlannedTarget[];
  let fatal: Report['fatal'];
  let namespace: string | undefined;
  let context: string | undefined;
  let now = Date.now();
  const notes: string[] = [];

  if (args.fromSnapshot) {
    const { loadSnapshot, SnapshotFactStore } = await import('../facts/snapshot.ts');
    let snap: import('../facts/snapshot.ts').Snapshot;
    try {
      snap = await loadSnapshot(args.fromSnapshot);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    mode = snap.mode;
    description = snap.description;
    namespace = snap.namespace;
    context = snap.context;
    fatal = snap.fatal;
    const stored = snap.facts.run?.now;
    if (stored && 'value' in stored && typeof stored.value === 'number') now = stored.value;
    targets = snap.targets.map((t) =>
      t.kind === 'local' ? LOCAL : t.kind === 'doctor' ? DOCTOR : t.kind === 'cluster' ? CLUSTER : podTarget(t),
    );
    store = new SnapshotFactStore(snap);
    notes.push(`judged offline from the snapshot ${args.fromSnapshot} taken ${snap.createdAt}`);
  } else {
    const { LiveFactStore } = await import('../facts/store.ts');
    const run: RunResources = {
      mode,
      signal: abort.signal,
      redactor,
      config: { ...(config?.path ? { path: config.path } : {}), waivers: config?.waivers ?? [] },
      now,
      env: process.env,
      local: { root: args.root ?? '', shell: args.probeShell },
      egress: buildEgressPlan(args, config),
      probeTimeoutMs: checkTimeoutS * 1000,
      execSlots: new Bound(args.concurrency ?? 8),
      podTargets: [],
      // The exchange contacts the cloud's identity endpoint, a derived endpoint: off with them unless asked for.
      identityExchange: args.identityExchange ?? args.derivedTargets ?? config?.egress?.derivedTargets ?? true,
    };
    const cloudLogs = buildCloudLogs(args, config, run.egress.extraCA);
    if (cloudLogs) run.cloudLogs = cloudLogs;
    live = new LiveFactStore(run);
    store = live;
    if (args.local) {
      targets = [LOCAL];
    } else {
      targets = [DOCTOR, CLUSTER];
      namespace = args.namespace;
      const planned = await planCluster(args, run, live, timeoutS, selection.checks);
      description = planned.description;
      context = planned.context;
      fatal = planned.fatal;
      run.podTargets = planned.pods;
      targets.push(...planned.pods.map(podTarget));
      if (planned.note) notes.push(planned.note);
    }
  }

  const plannedPairs = targets.flatMap((t) =>
    selection.checks.filter((c) => t.scopes.includes(c.scope)).map((c) => ({ check: c, target: t.target.name })),
  );
  const interactive = process.stdout.isTTY === true && !process.env.CI && !stdoutTaken;
  const liveView = interactive ? (await import('../../reporters/terminal.ts')).startLive(plannedPairs) : undefined;
  const outcome = await runChecks({
    checks: selection.checks,
    targets,
    store,
    now,
    deadlineAt,
    abort,
    deadlineLabel: `--timeout ${timeoutS} s`,
    waivers: config?.waivers,
    redactor,
    onStart: liveView?.onStart,
    onResult: liveView?.onResult,
  });
  clearTimeout(deadlineTimer);
  await liveView?.stop();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);

  const client = live?.run.kube?.client;
  const rep = report(outcome.results, failOn, {
    target: {
      mode,
      description,
      ...(namespace ? { namespace } : {}),
      ...(context ? { context } : {}),
      ...(args.fromSnapshot ? { snapshot: args.fromSnapshot } : {}),
    },
    notes: [
      ...(interrupted
        ? [`interrupted by ${interrupted}: unfinished checks are reported as errors`]
        : outcome.deadlineHit || abort.signal.aborted
          ? [
              `the run's deadline (--timeout ${timeoutS} s, from process start) passed: unfinished checks are reported as errors`,
            ]
          : []),
      ...notes,
      ...(client ? [`${client.requests} Kubernetes API requests`] : []),
      ...(client
        ? [`${client.bytes} bytes received from the Kubernetes API (${client.decodedBytes} decompressed)`]
        : []),
    ],
  });
  // The probe could not run at all: every in-pod result is that same error; say so once, as a fatal.
  const probeErrors = outcome.results.filter(
    (r) => r.scope === 'pod' && r.status === 'error' && r.details?.reason === 'probe',
  );
  const judged = outcome.results.some((r) => r.scope === 'pod' && r.status !== 'error' && r.status !== 'skip');
  const firstProbeError = probeErrors[0];
  if (fatal) rep.fatal = fatal;
  else if (mode === 'local' && firstProbeError && !judged)
    rep.fatal = {
      message: `the local probe failed: ${firstProbeError.message}`,
      remediation: firstProbeError.remediation?.text ?? 'see runner-doctor --help',
    };

  let unwritten = 0;
  if (args.saveSnapshot && live) {
    const { buildSnapshot, serializeSnapshot } = await import('../facts/snapshot.ts');
    const snap = buildSnapshot(
      live,
      {
        tool: rep.tool,
        mode,
        description,
        ...(namespace ? { namespace } : {}),
        ...(context ? { context } : {}),
        targets: targets.map((t) => t.target),
        ...(rep.fatal ? { fatal: rep.fatal } : {}),
      },
      redactor,
    );
    try {
      await writeAtomic(args.saveSnapshot, serializeSnapshot(snap, args.saveSnapshot));
    } catch (e) {
      process.stderr.write(
        `runner-doctor: cannot write the snapshot to ${args.saveSnapshot}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`,
      );
      unwritten++;
    }
  }
  if (baseline && args.baseline) {
    const { compareWithBaseline } = await import('../engine/baseline.ts');
    rep.baseline = compareWithBaseline(rep.results, baseline, args.baseline);
  }
  unwritten += await writeOutputs(outputs, rep, redactor);
  const code = rep.fatal || unwritten ? EXIT.couldNotRun : exitCodeFor(rep);
  if (args.pushgateway || args.metricsFile) {
    // Batch runs: the same report as gauges. A failed push is a warning; the report is never lost for it.
    const m = await import('./metrics-push.ts');
    const opts = { exitCode: code, scrub: (t: string) => redactor.scrub(t) };
    if (args.pushgateway)
      await m
        .pushMetrics(rep, { url: args.pushgateway, ...opts })
        .catch((e: Error) => process.stderr.write(`runner-doctor: warning: ${e.message}\n`));
    if (args.metricsFile)
      await m
        .writeMetricsFile(rep, args.metricsFile, opts)
        .catch((e: NodeJS.ErrnoException) =>
          process.stderr.write(
            `runner-doctor: warning: cannot write the metrics to ${args.metricsFile}: ${e.code ?? e.message}\n`,
          ),
        );
  }
  if (args.summaryFile) {
    // The termination message of a Job's pod (kubectl get pod shows it): small, plain, already redacted.
    const { verdictText } = await import('../../reporters/plain.ts');
    await writeFile(args.summaryFile, redactor.scrub(verdictText(rep, code)).slice(0, 4000)).catch(
      (e: NodeJS.ErrnoException) => {
        process.stderr.write(
          `runner-doctor: cannot write the summary to ${args.summaryFile}: ${e.code ?? e.message}\n`,
        );
      },
    );
  }
  if (!stdoutTaken) {
    const { renderPlain } = await import('../../reporters/plain.ts');
    process.stdout.write(
      redactor.scrub(
        renderPlain(rep, {
          color: colorWanted(process.env, process.stdout.isTTY === true),
          verbose: args.verbose === true,
        }),
      ),
    );
  }
  return code;
}

interface ClusterPlan {
  description: string;
  context?: string;
  pods: Target[];
  fatal?: Report['fatal'];
  note?: string;
}

/**
 * Loads credentials and discovers the runner pods (through the runnerPods fact, under the deadline):
 * each Running one becomes a target for the in-pod checks and its own egress test.
 */
async function planCluster(
  args: CheckArgs,
  run: RunResources,
  store: import('../facts/store.ts').LiveFactStore,
  timeoutS: number,
  checks: readonly AnyCheck[],
): Promise<ClusterPlan> {
  const { KubeClient, KubeError, loadAccess } = await import('../facts/kube/client.ts');
  let access: import('../facts/kube/client.ts').Access;
  try {
    access = await loadAccess({ kubeconfig: args.kubeconfig, context: args.context });
  } catch (e) {
    if (!(e instanceof KubeError)) throw e;
    run.kubeError = e;
    return {
      description: 'cluster (kubeconfig could not be loaded)',
      pods: [],
      fatal: { message: e.message, remediation: e.remediation ?? '' },
    };
  }
  const scope: KubeScopeFact = {
    ...(args.namespace ? { namespace: args.namespace } : {}),
    ...(args.release ? { release: args.release } : {}),
    ...(args.pod ? { pod: args.pod } : {}),
    selector: runnerSelector(args.release),
  };
  run.kube = { client: new KubeClient(access, { signal: run.signal }), access, scope };
  const description = `cluster ${access.server} (context ${access.context}), ${args.namespace ? `namespace ${args.namespace}` : 'all namespaces'}`;
  // Every cluster fact the selected checks read is started now, beside discovery: the LISTs go out in one
  // round trip instead of waiting for the runner pods first (each is collected once; errors are kept).
  const { COLLECTORS } = await import('../facts/registry.ts');
  for (const f of new Set(checks.filter((c) => c.scope === 'cluster').flatMap((c) => c.needs))) {
    const col = COLLECTORS.get(f);
    if (col?.scope === 'run' && !col.afterDiscovery) store.get(CLUSTER.target, f).catch(() => {});
  }
  // With --namespace, the access review every exec waits for needs no discovery either: ask it now.
  if (args.namespace && checks.some((c) => c.scope === 'pod' || c.scope === 'vantage')) {
    const { requireExec } = await import('../facts/pod/collectors.ts');
    requireExec({ run, shared: (k, f) => store.shared(k, f) }, args.namespace).catch(() => {});
  }
  let pods: import('../domain/kube.ts').Pod[];
  try {
    pods = await store.get(CLUSTER.target, 'runnerPods');
  } catch (e) {
    const fatal =
      e instanceof FactError && FATAL_KINDS.has(e.kind)
        ? {
            message: e.kind === 'deadline' ? `${e.message} (--timeout ${timeoutS} s)` : e.message,
            remediation: e.remediation ?? '',
          }
        : undefined;
    if (fatal || !(e instanceof FactError))
      return { description, context: access.context, pods: [], ...(fatal ? { fatal } : {}) };
    // The runner pods could not be listed (forbidden): the in-pod checks still report, each with that cause.
    run.discoveryError = e;
    return { description, context: access.context, pods: [{ kind: 'pod', name: 'runner pods' }] };
  }
  const targets: Target[] = pods.filter(isRunning).map((p) => ({
    kind: 'pod',
    name: podName(p),
    pod: {
      namespace: p.metadata?.namespace ?? 'default',
      name: p.metadata?.name ?? '',
      container: runnerContainer(p)?.name ?? '',
    },
  }));
  const note =
    pods.length > 0 && targets.length === 0
      ? 'no runner pod is Running: in-pod checks were not run (see workload.runner-pods)'
      : undefined;
  return { description, context: access.context, pods: targets, ...(note ? { note } : {}) };
}
