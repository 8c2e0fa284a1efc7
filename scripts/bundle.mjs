// Bundles the CLI into dist/bundle/ (esbuild), so a run loads a few files instead of resolving and
// compiling about a hundred ES modules: start-up is most of the time of `migc check` on one plan
// and of `migc lint` on a small folder. bin/migc.js runs the bundle; dist/ (tsc) stays the library.
//
// - ES modules with code splitting: what main.ts imports lazily (lint, verify, the emitters,
//   handlebars, ajv for the config file) stays in chunks loaded only by the commands that need it.
// - dist/bundle/ is two folders below the package root, as src/cli/ is, so `new URL('../../',
//   import.meta.url)` (templates, docs, package.json, schema) still finds the package root.
// - libpg-query (a .wasm beside its JS), PGlite (its data files), pg (optional native parts) and
//   the optional peers of --svg
//   stay external, loaded from node_modules as before.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;
const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

export async function bundle() {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    // sql-parser: bin/migc.js starts loading the SQL parser through it before the CLI loads.
    entryPoints: { main: 'src/cli/main.ts', 'sql-parser': 'src/sql/parser.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    // The optional peers (puppeteer and mermaid-cli, for --svg) are the user's own install and must
    // be loaded from it as they are: bundled, puppeteer's config loader ran CommonJS code
    // (__filename) in an ES module and --svg failed in any project with a package.json.
    external: ['libpg-query', '@electric-sql/pglite', 'pg', ...Object.keys(manifest.peerDependencies ?? {}), 'puppeteer-core'],
    // CommonJS packages bundled into ES modules (handlebars, ajv) call require() for Node's own modules.
    banner: { js: "import { createRequire as __migcCreateRequire } from 'node:module'; const require = __migcCreateRequire(import.meta.url);" },
    chunkNames: 'chunk-[hash]',
    legalComments: 'none',
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle();
