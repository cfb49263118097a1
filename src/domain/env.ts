// Reading the runner's environment (the env fact), without ever touching a secret's value.
import type { EnvFact } from '../engine/facts.ts';
import { asProvider, type Provider } from './platforms.ts';

export const isSet = (env: EnvFact, name: string): boolean => (env[name]?.length ?? 0) > 0;
export const usable = (env: EnvFact, name: string): boolean => isSet(env, name) && !env[name]?.placeholder;
export const envValue = (env: EnvFact, name: string): string | undefined => env[name]?.value;

export function cloudProvider(env: EnvFact): Provider | undefined {
  return asProvider(envValue(env, 'CLOUD_PROVIDER'));
}

/** A provider's check applies when CLOUD_PROVIDER names it, or is unset and that provider's variables are present. */
export function providerApplies(env: EnvFact, provider: Provider, markers: readonly string[]): boolean {
  const declared = cloudProvider(env);
  if (declared) return declared === provider;
  return markers.some((m) => isSet(env, m));
}
