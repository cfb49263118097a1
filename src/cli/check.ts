// `runner-doctor check`: plan targets, run the engine, render every requested output from one report.
import { hostname } from 'node:os';
import { CHECKS } from '../../checks/index.ts';
import { ConfigError, loadConfig, type DoctorConfig } from '../config/load.ts';
import { localFactSource } from '../facts/local.ts';
import { runChecks, summarize, type PlannedTarget } from '../engine/run.ts';
import { EXIT, exitCodeFor, SCHEMA_VERSION, type Report } from '../engine/report.ts';
import { selectChecks, splitList } from '../engine/select.ts';
import type { CheckDef } from '../engine/types.ts';
import type { ClusterPlan } from './cluster-plan.ts';
import { isSecretName, SecretScrubber } from '../redact/redact.ts';
import { UsageError } from './errors.ts';
import { parseOutputs, writeOutputs, type OutputSpec } from './outputs.ts';
import { toolVersion } from './version.ts';
import { EgressPlan, settingsFromEnv } from '../egress/plan.ts';
import type { TargetOverride } from '../egress/targets.ts';

export interface CheckArgs {
  local?: boolean;
  output?: string[];
  failOn?: 'warn' | 'fail';
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
}

/** Colour for the final text: on a TTY unless NO_COLOR; forced by FORCE_COLOR (not 0) anywhere. */
export function useColor(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY && !env.CI;
}

/** Every secret-looking value in this process's environment: scrubbed from every output as a last line of defence. */
function scrubberFor(env: NodeJS.ProcessEnv): SecretScrubber {
  const s = new SecretScrubber();
  for (const [k, v] of Object.entries(env)) if (isSecretName(k)) s.add(v);
  return s;
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
    if (!m) throw new UsageError(`--egress-override ${JSON.stringify(o)}: expected host=address[:port]`);
    override[m[1]!.trim()] = { ...override[m[1]!.trim()], connect: m[2]!.trim() };
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

export async function runCheckCommand(args: CheckArgs): Promise<number> {
  const started = new Date();
  const version = toolVersion();
  const scrubber = scrubberFor(process.env);
  // Outputs are parsed first so that even a config error leaves a report behind.
  const outputs: OutputSpec[] = parseOutputs(args.output ?? []);
  const stdoutTaken = outputs.some((o) => o.path === '-');
  let description = args.local ? `local environment (${hostname()})` : 'cluster';

  const fatalReport = (message: string, remediation: string, failOn: 'warn' | 'fail' = 'fail'): Report => ({
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'runner-doctor', version },
    target: { mode: args.local ? 'local' : 'cluster', description },
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: Date.now() - started.getTime(),
    failOn,
    summary: summarize([]),
    results: [],
    fatal: { message, remediation },
    notes: [],
  });

  let config: DoctorConfig | undefined;
  try {
    if (args.config) config = await loadConfig(args.config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    await writeOutputs(outputs, fatalReport(`config error: ${e.message}`, 'fix the config file (see README: Configuration)'), scrubber).catch(() => {});
    throw new UsageError(e.message);
  }

  const failOn = args.failOn ?? config?.failOn ?? 'fail';
  const only = splitList(args.only ?? config?.only);
  const skip = splitList([...(args.skip ?? []), ...(config?.skip ?? [])]);
  const selection = selectChecks(CHECKS, only, skip);
  if (selection.unknown.length) throw new UsageError(`no check, category or tag matches ${selection.unknown.map((s) => `"${s}"`).join(', ')} (see runner-doctor list)`);
  const timeoutS = positive('timeout', args.timeout ?? config?.timeout) ?? 120;
  const checkTimeoutS = positive('check-timeout', args.checkTimeout) ?? 30;
  if (args.concurrency !== undefined && (!Number.isInteger(args.concurrency) || args.concurrency < 1)) throw new UsageError(`--concurrency must be a whole number ≥ 1, not ${args.concurrency}`);

  const configFacts = { path: config?.path, waivers: config?.waivers ?? [], now: started };
  const egress = buildEgressPlan(args, config);
  let targets: PlannedTarget[];
  let fatal: Report['fatal'];
  let cluster: ClusterPlan | undefined;
  if (args.local) {
    targets = [{ target: { kind: 'local', name: 'local' }, scopes: ['local', 'pod', 'network'], source: localFactSource({ root: args.root ?? '', shell: args.probeShell }, configFacts, () => egress.doctorView(settingsFromEnv(process.env), process.env, true)) }];
  } else {
    if (args.pod && !args.namespace) throw new UsageError('--pod needs --namespace');
    const { planCluster } = await import('./cluster-plan.ts');
    cluster = await planCluster({ kubeconfig: args.kubeconfig, context: args.context, namespace: args.namespace, release: args.release, pod: args.pod, probeTimeoutMs: checkTimeoutS * 1000 }, configFacts, egress);
    targets = cluster.targets;
    fatal = cluster.fatal;
  }
  description = cluster?.description ?? description;
  const planned = targets.flatMap((t) => selection.checks.filter((c) => t.scopes.includes(c.scope)).map((c: CheckDef) => ({ check: c, target: t.target.name })));

  const interactive = process.stdout.isTTY === true && !process.env.CI && !stdoutTaken;
  const live = interactive ? (await import('../../reporters/terminal.ts')).startLive(planned) : undefined;
  const outcome = await runChecks({
    checks: selection.checks,
    targets,
    concurrency: args.concurrency ?? 8,
    checkTimeoutMs: checkTimeoutS * 1000,
    deadlineMs: timeoutS * 1000,
    waivers: config?.waivers,
    now: started,
    onStart: live?.onStart,
    onResult: live?.onResult,
  });
  await live?.stop();

  const report: Report = {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'runner-doctor', version },
    target: { mode: args.local ? 'local' : 'cluster', description, ...(cluster?.namespace ? { namespace: cluster.namespace } : {}), ...(cluster?.context ? { context: cluster.context } : {}) },
    startedAt: outcome.startedAt.toISOString(),
    finishedAt: outcome.finishedAt.toISOString(),
    durationMs: outcome.finishedAt.getTime() - outcome.startedAt.getTime(),
    failOn,
    summary: outcome.summary,
    results: outcome.results,
    notes: [
      ...(outcome.deadlineHit ? [`the global deadline (${timeoutS} s) passed: unfinished checks are reported as errors`] : []),
      ...(cluster ? cluster.notes : []),
      ...(cluster?.client ? [`${cluster.client.requests} Kubernetes API requests`] : []),
    ],
  };
  // The probe could not run at all: every result is that same error; say so once, as a fatal.
  const probeErrors = outcome.results.filter((r) => r.scope === 'pod' && r.status === 'error' && r.details?.reason === 'probe');
  const judged = outcome.results.some((r) => r.scope === 'pod' && r.status !== 'error' && r.status !== 'skip');
  if (fatal) report.fatal = fatal;
  else if (args.local && probeErrors.length > 0 && !judged) {
    report.fatal = { message: `the local probe failed: ${probeErrors[0]!.message}`, remediation: probeErrors[0]!.remediation?.text ?? 'see runner-doctor --help' };
  }

  const unwritten = await writeOutputs(outputs, report, scrubber);
  if (!stdoutTaken) {
    const { renderPlain } = await import('../../reporters/plain.ts');
    process.stdout.write(scrubber.scrub(renderPlain(report, { color: useColor(process.env, process.stdout.isTTY === true) })));
  }
  return report.fatal || unwritten ? EXIT.couldNotRun : exitCodeFor(report);
}
