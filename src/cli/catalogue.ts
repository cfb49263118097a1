// docs/checks.md, rendered from the registry: what/why/fix, the facts each check reads and the RBAC
// they need, and every finding it can report.
import { CHECKS } from '../../checks/index.ts';
import { COLLECTORS, rulesFor } from '../facts/registry.ts';
import { docsAnchor } from '../engine/docs.ts';
import { CATEGORIES } from '../engine/types.ts';

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderCatalogue(): string {
  const lines = [
    '# Checks',
    '',
    'Generated from the registry by `npm run docs`; `runner-doctor explain <id>` prints the same. A finding code is `<check id>/<message id>`: waivers and baselines may name one.',
    '',
  ];
  for (const cat of CATEGORIES) {
    const cs = CHECKS.filter((c) => c.category === cat);
    if (!cs.length) continue;
    lines.push(`## ${cat}`, '');
    for (const c of cs) {
      const rules = rulesFor(c.needs).map(
        (r) => `\`${r.verbs.join(',')} ${r.apiGroups[0] ? `${r.apiGroups[0]}/` : ''}${r.resources.join(',')}\``,
      );
      lines.push(
        `<a id="${docsAnchor(c)}"></a>`,
        `### \`${c.id}\` — ${c.title}`,
        '',
        `scope: ${c.scope}${c.tags?.length ? ` · tags: ${c.tags.join(', ')}` : ''}${c.requires?.length ? ` · requires: ${c.requires.join(', ')}` : ''}`,
        '',
        `- **What it checks:** ${c.docs.what}`,
        `- **Why it matters:** ${c.docs.why}`,
        `- **How to fix:** ${c.docs.fix}`,
        `- **Reads:** ${c.needs.map((f) => `\`${f}\` (${COLLECTORS.get(f)?.describe ?? 'no collector'})`).join('; ')}`,
        ...(rules.length ? [`- **RBAC:** ${rules.join(', ')}`] : []),
        '',
        '| finding | status | message | fix |',
        '|---|---|---|---|',
        ...Object.entries(c.messages).map(
          ([id, m]) => `| \`${c.id}/${id}\` | ${m.status} | ${esc(m.text)} | ${esc(m.fix ?? '')} |`,
        ),
        '',
      );
    }
  }
  return lines.join('\n');
}
