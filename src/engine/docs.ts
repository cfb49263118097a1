import type { CheckDef } from './types.ts';

/** Where a check is documented: the generated catalogue, one anchor per check id. */
export function docsAnchor(check: Pick<CheckDef, 'id' | 'docs'>): string {
  return check.docs.anchor ?? check.id.replace(/[^a-z0-9]+/g, '-');
}

export function docsUrl(check: Pick<CheckDef, 'id' | 'docs'>): string {
  return `docs/checks.md#${docsAnchor(check)}`;
}
