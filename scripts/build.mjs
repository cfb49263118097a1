// Bundles the CLI into one ESM file. ink and React stay in the bundle but are only reached through a
// dynamic import, which esbuild turns into a lazily initialised module: they cost nothing unless the
// interactive terminal reporter is used.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const started = Date.now();
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/runner-doctor.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minifySyntax: true,
  legalComments: 'none',
  sourcemap: false,
  define: {
    __RD_VERSION__: JSON.stringify(pkg.version),
    __RD_PROBE__: JSON.stringify(readFileSync(new URL('../src/probe/probe.sh', import.meta.url), 'utf8')),
  },
  banner: { js: "import { createRequire as __rdCreateRequire } from 'node:module'; const require = __rdCreateRequire(import.meta.url);" },
  alias: { 'react-devtools-core': './scripts/devtools-stub.mjs' },
  logLevel: 'warning',
});
console.log(`built dist/runner-doctor.mjs in ${Date.now() - started} ms`);
