// Reading the runner's environment from probe facts, without ever touching a secret's value.
import type { ProbeFacts } from './facts.ts';

/** Variables every runner needs (domain: chart env + config Secret). */
export const REQUIRED_ENV = ['ACCOUNT_ID', 'AGENT_ID', 'MATILLION_REGION', 'CLOUD_PROVIDER', 'OAUTH_CLIENT_ID', 'OAUTH_CLIENT_SECRET'] as const;

export const isSet = (p: ProbeFacts, name: string): boolean => (p.env.get(name)?.length ?? 0) > 0;
export const usable = (p: ProbeFacts, name: string): boolean => isSet(p, name) && !p.env.get(name)?.placeholder;
export const envValue = (p: ProbeFacts, name: string): string | undefined => p.env.get(name)?.value;

export type Provider = 'AWS' | 'AZURE' | 'GCP';
export function cloudProvider(p: ProbeFacts): Provider | undefined {
  const v = envValue(p, 'CLOUD_PROVIDER')?.trim().toUpperCase();
  return v === 'AWS' || v === 'AZURE' || v === 'GCP' ? v : undefined;
}

/** A provider's check applies when CLOUD_PROVIDER names it, or is unset and that provider's variables are present. */
export function providerApplies(p: ProbeFacts, provider: Provider, markers: readonly string[]): boolean {
  const declared = cloudProvider(p);
  if (declared) return declared === provider;
  return markers.some((m) => isSet(p, m));
}

export const IRSA_ARN = /^arn:aws[-a-z]*:iam::[0-9]+:role\/.+/;
export const PLACEHOLDER = /<[A-Za-z][^>]*>/;
