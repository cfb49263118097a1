// The registry and the architecture, checked like a linter: ids, categories, file names and
// prerequisites line up; every fact a check declares has a collector; checks are pure (no transport,
// no file system, no clock, no casts, no error handling of their own); and the module graph has no cycles.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks/index.ts';
import { placeholders } from '../../src/engine/messages.ts';
import { CATEGORIES, SCOPES, STATUSES } from '../../src/engine/types.ts';
import { COLLECTORS } from '../../src/facts/registry.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) =>
    statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : [],
  );
const checkFiles = walk(join(ROOT, 'checks')).filter((f) => !f.endsWith('index.ts'));

describe('the check registry', () => {
  it('ids are unique, start with their category, and name their file', () => {
    const ids = CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CHECKS) {
      expect(CATEGORIES, c.id).toContain(c.category);
      expect(SCOPES, c.id).toContain(c.scope);
      expect(c.id.startsWith(`${c.category}.`), `${c.id} is in category ${c.category}`).toBe(true);
    }
    const files = checkFiles.map((f) => relative(join(ROOT, 'checks'), f).replace(/\.ts$/, '').replace('/', '.'));
    expect(files.sort()).toEqual([...ids].sort());
  });

  it('prerequisites exist and run on the same scope', () => {
    for (const c of CHECKS)
      for (const r of c.requires ?? [])
        expect(CHECKS.find((x) => x.id === r)?.scope, `${c.id} requires ${r}`).toBe(c.scope);
  });

  it('every fact a check declares has a collector', () => {
    for (const c of CHECKS) for (const f of c.needs) expect(COLLECTORS.has(f), `${c.id} needs ${f}`).toBe(true);
  });

  it('messages are data: a known status, placeholders that are names, a fix only where it means something', () => {
    for (const c of CHECKS) {
      expect(Object.keys(c.messages).length, c.id).toBeGreaterThan(0);
      for (const [id, m] of Object.entries(c.messages)) {
        expect(id, c.id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
        expect(STATUSES, `${c.id}/${id}`).toContain(m.status);
        expect(m.text.trim(), `${c.id}/${id}`).not.toBe('');
        expect(m.text, `${c.id}/${id}: skip reasons are data, not message prefixes`).not.toMatch(/^not applicable:/i);
        for (const p of [...placeholders(m.text), ...placeholders(m.fix ?? ''), ...placeholders(m.command ?? '')])
          expect(p).toMatch(/^[A-Za-z][A-Za-z0-9_]*$/);
      }
    }
  });
});

describe('checks are pure judges', () => {
  const sources = checkFiles.map((f) => ({ file: relative(ROOT, f), text: readFileSync(f, 'utf8') }));
  // Comments and string literals stripped, so prose about casts or clocks does not trip the rules.
  const code = (t: string) =>
    t
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '')
      .replace(/^import\s[\s\S]*?from\s+'[^']+';$/gm, '')
      .replace(/(['"`])(?:\\.|(?!\1)[^\\])*\1/g, "''");

  it('import nothing from the collectors, the transport, the file system or the network', () => {
    for (const { file, text } of sources) {
      for (const m of text.matchAll(/from\s+'([^']+)'/g)) {
        const spec = m[1] ?? '';
        expect(spec, file).not.toMatch(/src\/facts\/|^node:|^@kubernetes\/client-node$|^undici|^yaml$/);
      }
    }
  });

  it('read no clock, catch no errors, and use no casts or non-null assertions', () => {
    for (const { file, text } of sources) {
      const c = code(text);
      expect(c, file).not.toMatch(/\bDate\.now\(|\bnew Date\(\)|\bperformance\.now\(/);
      expect(c, file).not.toMatch(/\btry\s*\{|\.catch\(/);
      expect(c.replace(/\bas const\b/g, ''), file).not.toMatch(
        /\)\s+as\s+[A-Z{[a-z]|\w\s+as\s+(?:unknown|never|any|[A-Z])/,
      );
      expect(c, file).not.toMatch(/[\w)\]]!(?:[.;,)\]\s]|$)(?!=)/m);
    }
  });
});

describe('the module graph', () => {
  const files = [...walk(join(ROOT, 'src')), ...walk(join(ROOT, 'checks')), ...walk(join(ROOT, 'reporters'))];
  const edges = new Map<string, string[]>();
  for (const f of files) {
    const deps: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(/^(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/gm)) {
      if (/^import\s+type\b/.test(m[0]) || /^export\s+type\b/.test(m[0])) continue;
      deps.push(resolve(dirname(f), m[1] ?? ''));
    }
    edges.set(f, deps);
  }

  it('has no import cycles (type-only imports aside)', () => {
    const state = new Map<string, 'active' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'active') {
        cycles.push([...path.slice(path.indexOf(f)), f].map((x) => relative(ROOT, x)).join(' → '));
        return;
      }
      state.set(f, 'active');
      for (const d of edges.get(f) ?? []) visit(d, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of edges.keys()) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('keeps the layers apart: domain knowledge imports no collector, the engine imports no collector or check', () => {
    const bad = [...edges].flatMap(([f, deps]) => {
      const from = relative(ROOT, f);
      return deps
        .map((d) => relative(ROOT, d))
        .filter(
          (to) =>
            (from.startsWith('src/domain/') && /^(src\/(facts|cli)|checks)\//.test(to)) ||
            (from.startsWith('src/engine/') && /^(src\/(facts|cli)|checks)\//.test(to)),
        )
        .map((to) => `${from} → ${to}`);
    });
    expect(bad).toEqual([]);
  });

  it('every collector is in the registry under its own name', () => {
    for (const [name, c] of COLLECTORS) expect(c.name).toBe(name);
  });
});
