// Temporary directories of a test file, removed when its tests are done (pass or fail): a test run
// leaves nothing in /tmp. A test that needs its directory gone earlier still removes it itself. The
// hook is registered when a test file imports this (vitest evaluates helpers once per file); outside
// vitest the caller decides: the bench calls removeTempDirs() at its end; the demo keeps what the
// cluster it leaves running still uses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made = new Set<string>();
try {
  if (process.env.VITEST) afterAll(() => removeTempDirs());
} catch {
  // Not in a test file (vitest's global set-up): what it makes lives as long as the run's cluster.
}

/** Removes every directory tempDir() made in this process (the bench's fixture trees, toolboxes …). */
export function removeTempDirs(): void {
  for (const d of made) rmSync(d, { recursive: true, force: true });
  made.clear();
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}
