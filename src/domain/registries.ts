// What an image pull needs to reach, by the registry the runner's image comes from (domain.md §3, §9):
// ECR Public (public.ecr.aws, its API in us-east-1, the regional layer bucket), ACR (the registry and
// its regional data endpoint), Artifact Registry, a private ECR (a pull-through cache) — and any other
// registry whose path ends in the vendor's repository, which is a mirror: then only the mirror is needed.
import { splitImage } from './platforms.ts';

export interface RegistryEndpoint {
  host: string;
  purpose: string;
  /** 443 unless the image reference names another. */
  port?: number;
}

/** The vendor's repositories by path, whatever registry serves them. */
const VENDOR_PATHS: readonly (readonly [RegExp, string])[] = [
  [/(^|\/)matillion\/etl-agent$/, 'public.ecr.aws/matillion/etl-agent'],
  [/(^|\/)cloud-agent$/, 'matillion.azurecr.io/cloud-agent'],
  [/(^|\/)maia-runners\/maia-runner$/, '<region>-docker.pkg.dev/maia-492711/maia-runners/maia-runner'],
];

const HOST = /^[A-Za-z0-9.-]+(:\d+)?$/;

/**
 * The endpoints a pull of `image` needs. `awsRegion` (with where it came from) names the layer bucket's
 * region; `azureRegion` (the cluster's, from its nodes) names the ACR data endpoint.
 */
export function registryEndpoints(
  image: string,
  o: { awsRegion?: string; awsRegionSource?: string; azureRegion?: string } = {},
): RegistryEndpoint[] {
  const { repo } = splitImage(image);
  const slash = repo.indexOf('/');
  const registry = slash > 0 ? repo.slice(0, slash) : '';
  const path = slash > 0 ? repo.slice(slash + 1) : repo;
  if (!registry || !HOST.test(registry) || !registry.includes('.')) return [];
  const aws = o.awsRegion || 'us-east-1';
  const from = o.awsRegion
    ? `region ${aws} from ${o.awsRegionSource ?? 'AWS_REGION'}`
    : `region ${aws}: AWS_REGION is not set`;
  const bucket = (r: string, why: string): RegistryEndpoint => ({
    host: `prod-${r}-starport-layer-bucket.s3.${r}.amazonaws.com`,
    purpose: `image layers (${why})`,
  });
  if (registry === 'public.ecr.aws')
    return [
      { host: 'public.ecr.aws', purpose: 'image registry' },
      { host: 'api.ecr-public.us-east-1.amazonaws.com', purpose: 'image registry API (all regions use us-east-1)' },
      bucket(aws, from),
    ];
  const ecr = registry.match(/^\d{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$/);
  if (ecr?.[1]) {
    const mirrored = VENDOR_PATHS.find(([re]) => re.test(path))?.[1];
    const what = mirrored ? `private ECR, a pull-through cache of ${mirrored}` : 'private ECR';
    return [
      { host: registry, purpose: `image registry (${what})` },
      { host: `api.ecr.${ecr[1]}.amazonaws.com`, purpose: 'image registry API' },
      bucket(ecr[1], `region ${ecr[1]} of the registry`),
    ];
  }
  const acr = registry.match(/^([a-z0-9]+)\.azurecr\.io$/);
  if (acr?.[1])
    return [
      { host: registry, purpose: 'image registry' },
      ...(o.azureRegion && /^[a-z0-9]+$/.test(o.azureRegion)
        ? [
            {
              host: `${acr[1]}.${o.azureRegion}.data.azurecr.io`,
              purpose: `image layers (the registry's data endpoint in ${o.azureRegion}, the cluster's region)`,
            },
          ]
        : []),
    ];
  if (/-docker\.pkg\.dev$/.test(registry)) return [{ host: registry, purpose: 'image registry' }];
  // Anything else that serves the vendor's repository is a mirror: the pull needs only the mirror.
  const mirrored = VENDOR_PATHS.find(([re]) => re.test(path))?.[1];
  const [host = registry, port] = registry.split(':');
  return mirrored
    ? [{ host, purpose: `image registry (a mirror of ${mirrored})`, ...(port ? { port: Number(port) } : {}) }]
    : [];
}
