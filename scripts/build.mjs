// Bundles the CLI into one ESM entry file, dist/runner-doctor.mjs, that bin/runner-doctor runs.
// Everything reached only through a dynamic import (the check command, ink + React, client-node) is
// split into chunks beside it and loaded on first use: `--version` and `list` parse none of it.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const started = Date.now();
await build({
  entryPoints: ['src/cli/main.ts'],
  outdir: 'dist',
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
console.log(`built dist/runner-doctor.mjs in ${Date.now() - started} ms`);
