/// <reference types="vite/client" />
// Every check judged from tables of facts (test/unit/checks/*.table.ts): a valid and an invalid table
// each, asserting finding codes. The last test asserts that every message of every registered check is
// produced by at least one case, so no outcome exists that no test has seen.
import { expect, it } from 'vitest';
import { CHECKS } from '../../checks/index.ts';
import { type CheckTable, producedCodes, runTable } from '../helpers/check-table.ts';

const modules = import.meta.glob<{ tables: CheckTable[] }>('./checks/*.table.ts', { eager: true });
const tables = Object.values(modules).flatMap((m) => m.tables);
for (const t of tables) runTable(t);

it('every registered check has a valid and an invalid table', () => {
  const missing = CHECKS.filter((c) => {
    const t = tables.filter((x) => x.check.id === c.id);
    return !t.some((x) => x.valid.length > 0) || !t.some((x) => x.invalid.length > 0);
  }).map((c) => c.id);
  expect(missing).toEqual([]);
});

it('every message of every check is produced by some table case', () => {
  const unreached = CHECKS.flatMap((c) => Object.keys(c.messages).map((m) => `${c.id}/${m}`)).filter(
    (code) => !producedCodes.has(code),
  );
  expect(unreached).toEqual([]);
});
