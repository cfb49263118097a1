// Writes docs/checks.md from the registry: every check's what/why/fix, the facts it reads and every
// finding it can report (code, status, text, fix) under stable anchors. A test fails when the file is
// out of date; `npm run docs` regenerates it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { renderCatalogue } from '../src/cli/catalogue.ts';

mkdirSync(new URL('../docs', import.meta.url), { recursive: true });
writeFileSync(new URL('../docs/checks.md', import.meta.url), renderCatalogue());
console.log('docs/checks.md written');
