// `list` and `explain`: the check catalogue from the registry, messages included.
import { CHECKS } from '../../checks/index.ts';
import { docsUrl } from '../engine/docs.ts';
import { EXIT } from '../engine/report.ts';
import type { AnyCheck } from '../engine/types.ts';
import { UsageError } from './errors.ts';

export function catalogEntry(c: AnyCheck) {
  return {
    id: c.id,
    title: c.title,
    category: c.category,
    scope: c.scope,
    tags: c.tags ?? [],
    requires: c.requires ?? [],
    facts: c.needs,
    docs: { ...c.docs, url: docsUrl(c) },
    messages: Object.entries(c.messages).map(([id, m]) => ({
      code: `${c.id}/${id}`,
      status: m.status,
      text: m.text,
      ...(m.fix ? { fix: m.fix } : {}),
      ...(m.command ? { command: m.command } : {}),
    })),
  };
}

export function listCommand(json: boolean): number {
  if (json) {
    process.stdout.write(`${JSON.stringify(CHECKS.map(catalogEntry), null, 2)}\n`);
    return EXIT.ok;
  }
  const width = Math.max(...CHECKS.map((c) => c.id.length));
  let cat = '';
  const lines: string[] = [];
  for (const c of CHECKS) {
    if (c.category !== cat) lines.push(`${lines.length ? '\n' : ''}${(cat = c.category)}`);
    lines.push(`  ${c.id.padEnd(width)}  ${c.scope.padEnd(7)}  ${c.title}`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n${CHECKS.length} checks. \`runner-doctor explain <id>\` for details.\n`);
  return EXIT.ok;
}

export function explainCommand(id: string): number {
  const [checkId, messageId] = id.split('/');
  const c = CHECKS.find((x) => x.id === checkId);
  if (!c) {
    const near = CHECKS.filter((x) => x.id.includes(id) || id.includes(x.id.split('.').at(-1) ?? '')).map((x) => x.id);
    throw new UsageError(
      `no check with id "${id}"${near.length ? ` (did you mean ${near.slice(0, 3).join(', ')}?)` : ''}; see runner-doctor list`,
    );
  }
  if (messageId && !Object.hasOwn(c.messages, messageId))
    throw new UsageError(`${c.id} has no message "${messageId}" (it has: ${Object.keys(c.messages).join(', ')})`);
  const messages = Object.entries(c.messages).filter(([m]) => !messageId || m === messageId);
  const out = [
    `${c.id} — ${c.title}`,
    `category: ${c.category}   scope: ${c.scope}${c.tags?.length ? `   tags: ${c.tags.join(', ')}` : ''}`,
    `reads: ${c.needs.join(', ')}`,
    ...(c.requires?.length ? [`requires: ${c.requires.join(', ')}`] : []),
    '',
    `What it checks:  ${c.docs.what}`,
    `Why it matters:  ${c.docs.why}`,
    `How to fix:      ${c.docs.fix}`,
    '',
    'Findings:',
    ...messages.flatMap(([m, def]) => [
      `  ${def.status.padEnd(5)} ${c.id}/${m}`,
      `        ${def.text}`,
      ...(def.fix ? [`        fix: ${def.fix}`] : []),
      ...(def.command ? [`        $ ${def.command}`] : []),
    ]),
    '',
    `Docs: ${docsUrl(c)}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return EXIT.ok;
}
