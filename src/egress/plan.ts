// One run's egress phase: which endpoints, with which options, tested from where. The doctor's own view
// and each pod's view are collected once and shared by the per-view check and the comparison check.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TIMEOUTS, probeAll, type EndpointResult, type StageTimeouts } from './probe.ts';
import { proxyConfigFrom } from './proxy.ts';
import { Memo } from '../util/memo.ts';
import { applyOverrides, deriveTargets, parseTargetSpec, type EgressTarget, type RunnerSettings, type TargetOverride } from './targets.ts';

export interface EgressView {
  /** `doctor` or the pod (`namespace/name`). */
  from: string;
  /** The tool that ran the stages: node (the doctor), python3, curl, wget, getent or none. */
  tool: string;
  results: EndpointResult[];
  /** Where the proxy settings came from, if any. */
  proxy?: string;
}

export interface EgressOptions {
  targets: string[];
  override: Record<string, TargetOverride>;
  derived: boolean;
  caFiles: string[];
  dnsServers: string[];
  stageTimeoutMs?: number;
}

/** PEM certificates from a file, or every file in a directory (CUSTOM_CERT_LOCATION may be either). */
export function readCAs(path: string): string[] {
  const st = statSync(path);
  const files = st.isDirectory() ? readdirSync(path).map((f) => join(path, f)).filter((f) => statSync(f).isFile()) : [path];
  const out: string[] = [];
  for (const f of files) for (const m of readFileSync(f, 'utf8').matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)) out.push(m[0]);
  return out;
}

export class EgressPlan {
  readonly opts: EgressOptions;
  readonly timeouts: StageTimeouts;
  readonly extraCA: string[];
  readonly userTargets: EgressTarget[];
  readonly #views = new Memo();

  /** Throws a one-line Error for a bad target spec, override or unreadable CA file (a usage error). */
  constructor(opts: EgressOptions) {
    this.opts = opts;
    const t = opts.stageTimeoutMs;
    this.timeouts = t ? { dns: t, tcp: t, tls: t, http: t } : DEFAULT_TIMEOUTS;
    this.extraCA = opts.caFiles.flatMap((f) => {
      try {
        const pems = readCAs(f);
        if (!pems.length) throw new Error('no PEM certificate in it');
        return pems;
      } catch (e) {
        throw new Error(`--ca ${f}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
      }
    });
    this.userTargets = opts.targets.map(parseTargetSpec);
    applyOverrides(this.userTargets, opts.override); // validates the overrides now
  }

  targetsFor(settings: RunnerSettings | undefined): EgressTarget[] {
    const derived = this.opts.derived ? deriveTargets(settings ?? {}) : [];
    const seen = new Set<string>();
    const all = [...derived, ...this.userTargets].filter((x) => !seen.has(x.name) && seen.add(x.name));
    return applyOverrides(all, this.opts.override);
  }

  /** The doctor's own view: its proxy env (the runner's PROXY_* first when it runs inside a runner). */
  doctorView(settings: RunnerSettings | undefined, env: NodeJS.ProcessEnv, insideRunner: boolean): Promise<EgressView> {
    return this.#views.once('doctor', async () => {
      const proxy = proxyConfigFrom(env, insideRunner);
      const ca = [...this.extraCA];
      if (insideRunner && env.CUSTOM_CERT_LOCATION) {
        try {
          ca.push(...readCAs(env.CUSTOM_CERT_LOCATION));
        } catch {
          /* credentials.* and the TLS stage say what is wrong with it */
        }
      }
      const results = await probeAll(this.targetsFor(settings), { timeouts: this.timeouts, extraCA: ca, proxy, dnsServers: this.opts.dnsServers });
      return { from: 'doctor', tool: 'node', results, ...(proxy ? { proxy: proxy.source } : {}) };
    });
  }

  /** A pod's view, collected by `run` (the exec) once. */
  podView(pod: string, run: () => Promise<EgressView>): Promise<EgressView> {
    return this.#views.once(`pod:${pod}`, run);
  }
}

export function settingsFromEnv(env: Record<string, string | undefined>, image?: string): RunnerSettings {
  return { region: env.MATILLION_REGION, cloud: env.CLOUD_PROVIDER, awsRegion: env.AWS_REGION || env.AWS_DEFAULT_REGION, keyVault: env.DEFAULT_KEYVAULT, image };
}
