// Message templates: `{{name}}` placeholders filled from a finding's values. A placeholder without a
// value is a bug in the check (it throws, and the engine reports the check as crashed).
import type { Vars } from './types.ts';

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;

export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

export function render(template: string, vars: Vars, clean: (s: string) => string = (s) => s): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const v = vars[name];
    if (v === undefined || v === null) throw new Error(`message placeholder {{${name}}} has no value`);
    return clean(String(v));
  });
}
