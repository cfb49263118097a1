// EKS Fargate (domain.md §1, §9): nodes labelled eks.amazonaws.com/compute-type=fargate, one pod each,
// no DaemonSets — runtime security agents arrive as sidecars injected by a mutating webhook — and the
// pod's ephemeral storage sized from its requests (20 GiB when it asks for none, 175 GiB at most).
import { GiB } from './format.ts';

export const FARGATE_LABEL = 'eks.amazonaws.com/compute-type';
export const FARGATE_VALUE = 'fargate';
export const FARGATE_DEFAULT_EPHEMERAL = 20 * GiB;
export const FARGATE_MAX_EPHEMERAL = 175 * GiB;

export const isFargate = (labels: Record<string, string> | undefined): boolean =>
  labels?.[FARGATE_LABEL] === FARGATE_VALUE;

/** A mutating admission webhook configuration, reduced to names. */
export interface WebhookInfo {
  name: string;
  webhooks: string[];
}

/** Security agents that reach Fargate pods as injected sidecars: by container, image or webhook name. */
export const SIDECAR_AGENTS: readonly (readonly [RegExp, string])[] = [
  [/falcon|crowdstrike/i, 'CrowdStrike Falcon (container sensor)'],
  [/twistlock|prisma|defender-sidecar/i, 'Prisma Cloud (Twistlock) Defender'],
  [/aqua/i, 'Aqua MicroEnforcer'],
  [/sysdig/i, 'Sysdig serverless agent'],
  [/neuvector/i, 'NeuVector'],
  [/defender|microsoft/i, 'Microsoft Defender for Containers'],
];

export function sidecarAgent(...names: (string | undefined)[]): string | undefined {
  for (const n of names) {
    const hit = n ? SIDECAR_AGENTS.find(([re]) => re.test(n)) : undefined;
    if (hit) return hit[1];
  }
  return undefined;
}
