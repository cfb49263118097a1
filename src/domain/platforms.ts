// What we know about the vendor's regions, images and registries and the platforms runners live on
// (domain.md §3, §4, §5).

/** MATILLION_REGION values the control plane knows; others fall back to us1. */
export const REGIONS = ['us1', 'eu1', 'au1'] as const;

export type Provider = 'AWS' | 'AZURE' | 'GCP';
export const PROVIDERS: readonly Provider[] = ['AWS', 'AZURE', 'GCP'];

export function asProvider(v: string | undefined): Provider | undefined {
  const u = v?.trim().toUpperCase();
  return u === 'AWS' || u === 'AZURE' || u === 'GCP' ? u : undefined;
}

/** A well-formed IRSA role ARN. */
export const IRSA_ARN = /^arn:aws[-a-z]*:iam::[0-9]+:role\/.+/;

/** The vendor's image repositories. */
export const VENDOR_REPOSITORIES: readonly RegExp[] = [
  /^public\.ecr\.aws\/matillion\/etl-agent$/,
  /^matillion\.azurecr\.io\/cloud-agent$/,
  /^(europe|us|australia-southeast1)-docker\.pkg\.dev\/maia-492711\/maia-runners\/maia-runner$/,
];

/** Supported image tracks; any other tag is outside the support window (a digest pin is fine). */
export const IMAGE_TRACKS = ['stable', 'current'] as const;

/** What egress an image pull needs, by registry. */
export const REGISTRY_EGRESS: readonly (readonly [RegExp, string])[] = [
  [
    /public\.ecr\.aws/,
    'egress to public.ecr.aws, api.ecr-public.us-east-1.amazonaws.com and the prod-<region>-starport-layer-bucket S3 endpoint must be allowed',
  ],
  [/azurecr\.io/, 'egress to matillion.azurecr.io and matillion.<region>.data.azurecr.io must be allowed'],
  [/docker\.pkg\.dev/, 'egress to <region>-docker.pkg.dev must be allowed'],
];

/** Runtime security agents by DaemonSet name, most specific first. */
export const SECURITY_AGENTS: readonly (readonly [RegExp, string])[] = [
  [/falcon-container-sensor/, 'CrowdStrike Falcon (container sensor)'],
  [/falcon-node-sensor/, 'CrowdStrike Falcon (node sensor)'],
  [/falcon-sensor/, 'CrowdStrike Falcon'],
  [/microsoft-defender|defender-collector/, 'Microsoft Defender for Containers'],
  [/twistlock-defender-ds/, 'Prisma Cloud (Twistlock) Defender'],
  [/neuvector-enforcer-pod/, 'NeuVector enforcer'],
  [/sysdig-agent/, 'Sysdig agent'],
  [/aqua-enforcer/, 'Aqua enforcer'],
  [/falco/, 'Falco'],
];

export function securityAgent(daemonSet: string): string | undefined {
  return SECURITY_AGENTS.find(([re]) => re.test(daemonSet))?.[1];
}

/** Splits `repo[:tag][@digest]`. */
export function splitImage(image: string): { repo: string; tag?: string; digest?: string } {
  const [name = '', digest] = image.split('@');
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? { repo: name.slice(0, colon), tag: name.slice(colon + 1), digest } : { repo: name, digest };
}
