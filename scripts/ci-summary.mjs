// Reads vitest's JUnit file and prints the plain closing line CI understands: `N passed, N failed, N skipped`.
import { readFileSync } from 'node:fs';

const xml = readFileSync(process.argv[2] ?? '.vitest-results/junit.xml', 'utf8');
const cases = xml.match(/<testcase\b[\s\S]*?(?:\/>|<\/testcase>)/g) ?? [];
let failed = 0;
let skipped = 0;
for (const c of cases) {
  if (/<(failure|error)\b/.test(c)) failed++;
  else if (/<skipped\b/.test(c)) skipped++;
}
const passed = cases.length - failed - skipped;
if (cases.length === 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
