// `list` and `explain`: the check catalogue from the registry.
import { CHECKS } from '../../checks/index.ts';
import { docsUrl } from '../engine/docs.ts';
import { EXIT } from '../engine/report.ts';
import { UsageError } from './errors.ts';

export function listCommand(json: boolean): number {
  if (json) {
    const out = CHECKS.map((c) => ({ id: c.id, title: c.title, category: c.category, scope: c.scope, severity: c.severity, tags: c.tags ?? [], requires: c.requires ?? [], docs: { ...c.docs, url: docsUrl(c) } }));
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return EXIT.ok;
  }
  const width = Math.max(...CHECKS.map((c) => c.id.length));
  let cat = '';
  const lines: string[] = [];
  for (const c of [...CHECKS].sort((a, b) => a.category.localeCompare(b.category))) {
    if (c.category !== cat) lines.push(`${lines.length ? '\n' : ''}${(cat = c.category)}`);
    lines.push(`  ${c.id.padEnd(width)}  ${c.scope.padEnd(7)}  ${c.title}`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n${CHECKS.length} checks. \`runner-doctor explain <id>\` for details.\n`);
  return EXIT.ok;
}

export function explainCommand(id: string): number {
  const c = CHECKS.find((x) => x.id === id);
  if (!c) {
    const near = CHECKS.filter((x) => x.id.includes(id) || id.includes(x.id.split('.').at(-1) ?? '')).map((x) => x.id);
    throw new UsageError(`no check with id "${id}"${near.length ? ` (did you mean ${near.slice(0, 3).join(', ')}?)` : ''}; see runner-doctor list`);
  }
  const out = [
    `${c.id} — ${c.title}`,
    `category: ${c.category}   scope: ${c.scope}   severity: ${c.severity}${c.tags?.length ? `   tags: ${c.tags.join(', ')}` : ''}`,
    ...(c.requires?.length ? [`requires: ${c.requires.join(', ')}`] : []),
    '',
    `What it checks:  ${c.docs.what}`,
    `Why it matters:  ${c.docs.why}`,
    `How to fix:      ${c.docs.fix}`,
    '',
    `Docs: ${docsUrl(c)}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return EXIT.ok;
}
