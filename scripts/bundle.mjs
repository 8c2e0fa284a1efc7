// Bundles the CLI into dist/bundle/main.cjs (esbuild), so a run loads one file instead of resolving
// and compiling about a hundred ES modules: start-up is most of the time of `migc check` on one plan
// and of `migc lint` on a small folder. bin/migc.js runs the bundle; dist/ (tsc) stays the library.
//
// - One CommonJS file, run by bin/load-cli.js with V8's code cache that scripts/code-cache.mjs
//   makes here: Node 20 has no compile cache for ES modules, and with it V8 deserializes the
//   bytecode of the functions a run needs instead of compiling them (measured in
//   bench/startup-results.md, fifth round). What main.ts imports lazily (lint, verify, the
//   emitters, handlebars, ajv for the config file) stays lazy: esbuild wraps each such module in a
//   function that runs on its first import.
// - import.meta.url is the bundle's own URL: dist/bundle/ is two folders below the package root,
//   as src/cli/ is, so `new URL('../../', import.meta.url)` (templates, docs, package.json,
//   schema) still finds the package root. import.meta.resolve comes from bin/load-cli.js.
// - libpg-query (a .wasm beside its JS), PGlite (its data files), pg (optional native parts) and
//   the optional peers of --svg stay external, loaded from node_modules as before; their dynamic
//   imports become require(), which a script compiled from a code cache can always call (V8 loses
//   the import() callback of such a script on Node 20).
// - The built-in templates are compiled by Handlebars here, not at every run (precompiledTemplates
//   below).
// - The last line names the build (a hash of the bundle), and the cache carries the same name, so
//   a cache is never used with a bundle it was not made from.
// - Only ASCII (asciiOnly below), read as Latin-1.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bundle`;
const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

export async function bundle() {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { main: 'src/cli/main.ts' },
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20.19',
    supported: { 'dynamic-import': false },
    define: { 'import.meta.url': '__migcUrl', 'import.meta.resolve': '__migcResolve' },
    banner: { js: "const __migcUrl = require('node:url').pathToFileURL(__filename).href;" },
    // The optional peers (puppeteer and mermaid-cli, for --svg) are the user's own install and must
    // be loaded from it as they are: bundled, puppeteer's config loader ran CommonJS code
    // (__filename) in an ES module and --svg failed in any project with a package.json.
    // jsonc-parser's build for Node is UMD, whose require() of its own parts esbuild cannot follow.
    external: ['libpg-query', '@electric-sql/pglite', 'pg', 'jsonc-parser', ...Object.keys(manifest.peerDependencies ?? {}), 'puppeteer-core'],
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [precompiledTemplates],
  });
  const file = `${outdir}/main.cjs`;
  writeFileSync(file, asciiOnly(readFileSync(file, 'utf8')));
  const id = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 32);
  appendFileSync(file, `\n//# migc-build ${id}\n`);
  // A fresh process: V8's flags must be its defaults when the cache is made, as when it is used.
  const made = spawnSync(process.execPath, [`${root}scripts/code-cache.mjs`], { stdio: 'inherit' });
  if (made.status !== 0) throw new Error('scripts/code-cache.mjs failed');
}

/**
 * The built-in templates compiled by Handlebars here, in place of src/emit/precompiled-templates.ts
 * (which has none): each with the text it was compiled from, so that a run compiles a template
 * only when its text differs (src/emit/templates.ts).
 */
const precompiledTemplates = {
  name: 'precompiled-templates',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/]emit[\\/]precompiled-templates\.ts$/ }, async () => {
      const { default: Handlebars } = await import('handlebars');
      const { templateOptions } = await import('../dist/emit/templates.js');
      const { templateNames, templateFileName } = await import('../dist/emit/template-names.js');
      const entries = templateNames.map((name) => {
        const text = readFileSync(`${root}templates/${templateFileName(name)}`, 'utf8');
        return `  ${JSON.stringify(name)}: { text: ${JSON.stringify(text)}, spec: ${Handlebars.precompile(text, { ...templateOptions })} },`;
      });
      return { contents: `export const precompiledTemplates = {\n${entries.join('\n')}\n};\n`, loader: 'js' };
    });
  },
};

/**
 * The bundle with every character outside ASCII written as a \\u escape, so bin/load-cli.js reads
 * it as Latin-1: decoding 2 MB of UTF-8 took 8 ms of each start, Latin-1 1 ms. esbuild escapes
 * strings and names itself; what it leaves are a comment and a regular expression of
 * markdown-it, where the escape means the same character. A character after a backslash would
 * change meaning, so the build stops there instead.
 */
function asciiOnly(code) {
  // Each UTF-16 unit on its own: a pair of escaped surrogates is the one character in strings and
  // regular expressions alike.
  return code.replace(/[^\0-\x7f]/g, (unit, at) => {
    if (code[at - 1] === '\\') throw new Error(`dist/bundle/main.cjs: cannot escape ${JSON.stringify(unit)} after a backslash at offset ${at}`);
    return `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle();
