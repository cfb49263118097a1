// Writes docs/checks.md from the registry: every check's what/why/fix under a stable anchor.
import { writeFileSync, mkdirSync } from 'node:fs';
import { CHECKS } from '../checks/index.ts';
import { CATEGORIES } from '../src/engine/types.ts';
import { docsAnchor } from '../src/engine/docs.ts';

const lines = ['# Checks', '', 'Generated from the registry by `npm run docs`; `runner-doctor explain <id>` prints the same.', ''];
for (const cat of CATEGORIES) {
  const cs = CHECKS.filter((c) => c.category === cat);
  if (!cs.length) continue;
  lines.push(`## ${cat}`, '');
  for (const c of cs) {
    lines.push(`<a id="${docsAnchor(c)}"></a>`, `### \`${c.id}\` — ${c.title}`, '', `scope: ${c.scope} · severity: ${c.severity}${c.tags?.length ? ` · tags: ${c.tags.join(', ')}` : ''}${c.requires?.length ? ` · requires: ${c.requires.join(', ')}` : ''}`, '', `- **What it checks:** ${c.docs.what}`, `- **Why it matters:** ${c.docs.why}`, `- **How to fix:** ${c.docs.fix}`, '');
  }
}
mkdirSync(new URL('../docs', import.meta.url), { recursive: true });
writeFileSync(new URL('../docs/checks.md', import.meta.url), lines.join('\n'));
console.log(`docs/checks.md: ${CHECKS.length} checks`);
