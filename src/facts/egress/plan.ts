// One run's egress options (targets, overrides, CAs, DNS servers, stage timeouts), validated up front so
// a bad flag is a usage error, and the doctor's own view of the endpoints, tested from this process.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  applyOverrides,
  DEFAULT_TIMEOUTS,
  deriveTargets,
  type EgressTarget,
  type EgressView,
  parseTargetSpec,
  type RunnerSettings,
  type StageTimeouts,
  type TargetOverride,
} from '../../domain/egress.ts';
import { proxyConfigFrom } from '../../domain/proxy.ts';
import { probeAll } from './probe.ts';

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
  const files = st.isDirectory()
    ? readdirSync(path)
        .map((f) => join(path, f))
        .filter((f) => statSync(f).isFile())
    : [path];
  const out: string[] = [];
  for (const f of files)
    for (const m of readFileSync(f, 'utf8').matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g))
      out.push(m[0]);
  return out;
}

export class EgressPlan {
  readonly opts: EgressOptions;
  readonly timeouts: StageTimeouts;
  readonly extraCA: string[];
  readonly userTargets: EgressTarget[];

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
        throw new Error(
          `--ca ${f}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
        );
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
  async doctorView(
    from: string,
    settings: RunnerSettings | undefined,
    env: NodeJS.ProcessEnv,
    insideRunner: boolean,
    signal?: AbortSignal,
  ): Promise<EgressView> {
    const proxy = proxyConfigFrom(env, insideRunner);
    const ca = [...this.extraCA];
    if (insideRunner && env.CUSTOM_CERT_LOCATION) {
      try {
        ca.push(...readCAs(env.CUSTOM_CERT_LOCATION));
      } catch {
        /* the TLS stage says what is wrong when the runner's own CA is missing */
      }
    }
    const results = await probeAll(this.targetsFor(settings), {
      timeouts: this.timeouts,
      extraCA: ca,
      proxy,
      dnsServers: this.opts.dnsServers,
      signal,
    });
    return { from, tool: 'node', results, ...(proxy ? { proxy: proxy.source } : {}) };
  }
}
