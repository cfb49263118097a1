import type { CheckDef } from './types.ts';

/** Where a check is documented: the generated catalogue, one anchor per check id. */
export function docsAnchor(check: Pick<CheckDef, 'id' | 'docs'>): string {
  return check.docs.anchor ?? check.id.replace(/[^a-z0-9]+/g, '-');
}

/** The docs link of a check, or of one of its messages (`anchor` may be a full URL). */
export function docsUrl(check: Pick<CheckDef, 'id' | 'docs'>, anchor?: string): string {
  if (anchor && /^https?:\/\//.test(anchor)) return anchor;
  return `docs/checks.md#${anchor ?? docsAnchor(check)}`;
}
