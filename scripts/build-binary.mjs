// `npm run build:binary`: dist/runner-doctor-linux-x64, one executable that needs no Node.js installed —
// a Node single executable application (SEA): the node@24 dev dependency's own binary with our bundle
// injected by postject. `--out PATH` writes it elsewhere (the tests build into a temp dir).
//
// What Node 24's SEA can and cannot do decided the shape (tried on this very binary, 24.21):
// - the SEA main is one CommonJS script: 24 has no `mainFormat` (ESM mains arrive in Node 25; here the
//   option is ignored and an ESM main fails to parse), and our CLI is ESM with top-level await (ink's
//   yoga-layout, main.ts itself), which esbuild cannot turn into CommonJS;
// - `import()` from that CommonJS main works (of files, too), and so do module.registerHooks;
// - a loader importing ONE unsplit ESM file would do, but `--version` would then parse all 20 MB of it
//   (measured with node on this machine: 0.66 s, against 0.17 s for the code-split bundle's 200 KB).
// So the main is a small CommonJS loader, and the same code-split ESM build as `npm run build` rides
// along as SEA assets. The loader registers in-thread module hooks (module.registerHooks) that serve
// those files from memory under a virtual file: URL, then `import()`s the entry: the chunks still load
// lazily, and nothing is ever written to disk (runner containers often have a read-only root).
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import postject from 'postject';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = join(ROOT, 'node_modules/node/bin/node');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** Where the embedded modules live as far as the module loader is concerned; nothing exists there. */
const VIRTUAL_ROOT = 'file:///runner-doctor.sea/';

if (process.platform !== 'linux')
  throw new Error(
    `build:binary builds for Linux only (this is ${process.platform}: macOS and Windows need signing steps)`,
  );
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(values.out ?? join(ROOT, `dist/runner-doctor-linux-${process.arch}`));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'rd-sea-'));
// Copied beside the target and renamed: a half-written binary never sits at the final path.
const tmp = `${out}.tmp-${process.pid}`;

/**
 * The SEA main (CommonJS; `require` there reaches built-in modules only). Serialized into the blob with
 * Function#toString, so it must use nothing from this file's scope.
 */
function seaMain(virtualRoot) {
  const { registerHooks } = require('node:module');
  const { getAsset } = require('node:sea');
  registerHooks({
    resolve(specifier, context, next) {
      if (specifier.startsWith(virtualRoot)) return { url: specifier, shortCircuit: true };
      // The bundle's own imports between chunks are relative ('./chunks/x.mjs', '../runner-doctor.mjs').
      if (context.parentURL?.startsWith(virtualRoot) && /^\.\.?\//.test(specifier))
        return { url: new URL(specifier, context.parentURL).href, shortCircuit: true };
      return next(specifier, context);
    },
    load(url, context, next) {
      if (!url.startsWith(virtualRoot)) return next(url, context);
      return { format: 'module', source: getAsset(url.slice(virtualRoot.length), 'utf8'), shortCircuit: true };
    },
  });
  import(`${virtualRoot}runner-doctor.mjs`).catch((e) => {
    process.stderr.write(`runner-doctor: internal error: ${String(e?.message ?? e).split('\n')[0]}\n`);
    process.exit(3);
  });
}

try {
  // The same bundle as scripts/build.mjs (options copied from it, since importing it would run it and
  // empty dist/), written to the work directory instead of dist/.
  const app = join(work, 'app');
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    outdir: app,
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
      __RD_PROBE__: JSON.stringify(readFileSync(join(ROOT, 'src/facts/pod/probe.sh'), 'utf8')),
    },
    banner: {
      // createRequire of the virtual URL: the bundle only ever requires built-in modules through it.
      js: "import { createRequire as __rdCreateRequire } from 'node:module'; const require = __rdCreateRequire(import.meta.url);",
    },
    alias: { 'react-devtools-core': join(ROOT, 'scripts/devtools-stub.mjs') },
    logLevel: 'warning',
  });

  const assets = Object.fromEntries(
    readdirSync(app, { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => join(f.parentPath, f.name))
      .map((file) => [relative(app, file), file]),
  );
  writeFileSync(join(work, 'main.cjs'), `(${seaMain})(${JSON.stringify(VIRTUAL_ROOT)});\n`);
  const config = join(work, 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify({
      main: join(work, 'main.cjs'),
      output: join(work, 'sea.blob'),
      disableExperimentalSEAWarning: true,
      // Both could only cover the few lines of main.cjs (a snapshot cannot hold ES modules), and the
      // docs of 24 say a code cache breaks import() there.
      useSnapshot: false,
      useCodeCache: false,
      assets,
    }),
  );
  // The blob must come from the very binary it is injected into.
  execFileSync(NODE, ['--experimental-sea-config', config], { stdio: 'pipe' });

  // Injected in the work directory (dist/ may be emptied by a concurrent `npm run build` meanwhile).
  const binary = join(work, 'runner-doctor');
  copyFileSync(NODE, binary);
  // postject's ELF parser (LIEF) warns about every note section of node's binary it cannot name;
  // harmless (it adds a note of its own), so those lines are dropped and everything else still shows.
  const warn = console.warn;
  console.warn = (...a) => String(a[0]).startsWith("warning: Can't find string offset") || warn(...a);
  try {
    await postject.inject(binary, 'NODE_SEA_BLOB', readFileSync(join(work, 'sea.blob')), { sentinelFuse: FUSE });
  } finally {
    console.warn = warn;
  }
  mkdirSync(dirname(out), { recursive: true });
  copyFileSync(binary, tmp);
  chmodSync(tmp, 0o755);
  renameSync(tmp, out);
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(tmp, { force: true });
}
const shown = relative(process.cwd(), out);
console.log(`built ${shown.startsWith('..') ? out : shown} in ${Date.now() - started} ms`);
