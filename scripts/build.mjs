// Bundles the CLI into one ESM entry file, dist/runner-doctor.mjs, that bin/runner-doctor runs.
// Everything reached only through a dynamic import (the check command, ink + React, client-node) is
// split into chunks beside it and loaded on first use: `--version` and `list` parse none of it.
//
// A build never pulls the ground from under a running doctor: the chunks have content-hashed names and
// are added beside the old ones, and the entry file is replaced last with one rename, so a process that
// loaded the old entry still finds the old chunks it imports lazily. Chunks no entry has used for an
// hour are pruned.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = fileURLToPath(new URL('../dist', import.meta.url));
const TMP = `${DIST}.build-${process.pid}`;

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const started = Date.now();
rmSync(TMP, { recursive: true, force: true });
try {
  await build({
    entryPoints: ['src/cli/main.ts'],
    outdir: TMP,
    entryNames: 'runner-doctor',
    chunkNames: 'chunks/[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minifySyntax: true,
    legalComments: 'none',
    sourcemap: false,
    define: {
      __RD_VERSION__: JSON.stringify(pkg.version),
      __RD_PROBE__: JSON.stringify(readFileSync(new URL('../src/facts/pod/probe.sh', import.meta.url), 'utf8')),
    },
    banner: {
      js: "import { createRequire as __rdCreateRequire } from 'node:module'; const require = __rdCreateRequire(import.meta.url);",
    },
    alias: { 'react-devtools-core': './scripts/devtools-stub.mjs' },
    logLevel: 'warning',
  });
  mkdirSync(join(DIST, 'chunks'), { recursive: true });
  const now = new Date();
  for (const f of readdirSync(join(TMP, 'chunks'))) {
    renameSync(join(TMP, 'chunks', f), join(DIST, 'chunks', f));
    utimesSync(join(DIST, 'chunks', f), now, now);
  }
  renameSync(join(TMP, 'runner-doctor.mjs'), join(DIST, 'runner-doctor.mjs'));
  // This build's chunks were just touched; older ones stay an hour for processes still running on them.
  for (const f of readdirSync(join(DIST, 'chunks'))) {
    if (Date.now() - statSync(join(DIST, 'chunks', f)).mtimeMs > 3_600_000)
      rmSync(join(DIST, 'chunks', f), { force: true });
  }
} finally {
  rmSync(TMP, { recursive: true, force: true });
}
console.log(`built dist/runner-doctor.mjs in ${Date.now() - started} ms`);
