// Builders for the in-pod check tables: the healthy runner environment of fixtures.ts with every fact
// present (so a table edits `f.cgroup.memoryLimit` without first proving `f.cgroup` exists), and
// shorthands for the edits most cases make.
import type { CheckResult } from '../../../src/engine/types.ts';
import type {
  CgroupFact,
  CredentialsFact,
  EnvFact,
  FactMap,
  FilesystemFact,
  IdentityFact,
  KernelFact,
  RunConfigFact,
  RuntimesFact,
} from '../../../src/engine/facts.ts';
import {
  NOW,
  healthyCgroup,
  healthyCredentials,
  healthyFilesystem,
  healthyKernel,
  healthyRuntimes,
  hardenedIdentity,
  runnerEnv,
} from './fixtures.ts';

/** Every fact an in-pod (or run-scoped) check reads. */
export interface PodFacts {
  runtimes: RuntimesFact;
  filesystem: FilesystemFact;
  cgroup: CgroupFact;
  identity: IdentityFact;
  env: EnvFact;
  credentials: CredentialsFact;
  kernel: KernelFact;
  now: number;
  config: RunConfigFact;
}

/** The healthy runner environment (healthyPodFacts()), changed by `change`. */
export function pod(change: (f: PodFacts) => void = () => {}): Partial<FactMap> {
  const f: PodFacts = {
    runtimes: healthyRuntimes(),
    filesystem: healthyFilesystem(),
    cgroup: healthyCgroup(),
    identity: hardenedIdentity(),
    env: runnerEnv(),
    credentials: healthyCredentials(),
    kernel: healthyKernel(),
    now: NOW,
    config: { waivers: [] },
  };
  change(f);
  return f;
}

/** The healthy environment with runner variables changed (`null` removes one) and no projected tokens unless given. */
export const withEnv = (over: Record<string, string | null>, tokens?: CredentialsFact['tokens']): Partial<FactMap> =>
  pod((f) => {
    f.env = runnerEnv(over);
    if (tokens) f.credentials.tokens = tokens;
  });

/** Where the azure-workload-identity webhook projects its token. */
export const AZURE_TOKEN_PATH = '/var/run/secrets/azure/tokens/azure-identity-token';

// --- assertions for a case's `expect` ------------------------------------------------------------------

/** The first result's message is exactly `text` (or matches the pattern). */
export const message =
  (want: string | RegExp) =>
  (rs: CheckResult[]): void => {
    const got = rs[0]?.message ?? '';
    if (typeof want === 'string' ? got !== want : !want.test(got))
      throw new Error(`message: expected ${String(want)}, got "${got}"`);
  };

/** The first result's details hold these values. */
export const details =
  (want: Record<string, unknown>) =>
  (rs: CheckResult[]): void => {
    const got = rs[0]?.details ?? {};
    for (const [k, v] of Object.entries(want)) {
      if (JSON.stringify(got[k]) !== JSON.stringify(v))
        throw new Error(`details.${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(got[k])}`);
    }
  };

/** The first result's remediation text matches. */
export const remediation =
  (want: RegExp) =>
  (rs: CheckResult[]): void => {
    const got = rs[0]?.remediation?.text ?? '';
    if (!want.test(got)) throw new Error(`remediation: expected ${String(want)}, got "${got}"`);
  };

/** All of the given assertions. */
export const all =
  (...checks: ((rs: CheckResult[]) => void)[]) =>
  (rs: CheckResult[]): void => {
    for (const c of checks) c(rs);
  };
