// Loads the CLI's bundle (dist/bundle/main.cjs, built by scripts/bundle.mjs) with V8's code cache
// for it (dist/bundle/main.cjs.v8cache, made by scripts/code-cache.mjs at build time, never at run
// time). With the cache, V8 reads the compiled bytecode of the functions a `check` or a `lint`
// runs instead of parsing and compiling 2 MB of JavaScript again on every start: the largest part
// of migc's own start-up. Without it, or when V8 refuses it (another Node version, other V8
// flags), the bundle compiles as any script does: slower, same behaviour.
//
// CommonJS, as bin/migc.js is (bin/package.json): a CLI whose entry is an ES module starts Node's
// ES module loader, ~8 ms of a `migc check` (bench/startup-results.md, tenth round).
'use strict';
const { hash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { Script } = require('node:vm');

const bundleFile = join(__dirname, '../dist/bundle/main.cjs');
const cacheFile = `${bundleFile}.v8cache`;

/** The last line of the bundle names its build; the cache's first line names the build it was made from. */
const buildLine = /\n\/\/# migc-build ([0-9a-f]{16,})\n?$/;

/**
 * Runs the bundle as Node runs a CommonJS module, and returns its exports (main, colorWanted,
 * startSqlParser), `script` (to make a cache from, after a run), the bundle's `build` and whether
 * V8 took the cache (`cacheUsed`). `codeCache: false` compiles without one; `cache` names another file.
 */
function loadCli({ codeCache = true, cache = cacheFile } = {}) {
  const source = readFileSync(bundleFile, 'latin1'); // ASCII only (scripts/bundle.mjs)
  const build = buildLine.exec(source.slice(-200))?.[1];
  const cachedData = codeCache && build !== undefined ? readCache(cache, build) : undefined;
  // The same wrapper as Node's for a CommonJS module, plus import.meta.resolve, which the bundle
  // cannot have: the optional packages of --svg are ES modules only, found as an ES module finds
  // them, by a small one (resolve.mjs) loaded when --svg asks; so it answers with a promise.
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __migcResolve) {${source}\n})`, {
    filename: bundleFile,
    ...(cachedData ? { cachedData } : {}),
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundleFile), module, bundleFile, dirname(bundleFile), resolveAsModule);
  return { exports: module.exports, script, build, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
}

/**
 * The cache's V8 data, when it was made from this build of the bundle and is whole. V8 checks the
 * version and flags it was made with but not its bytes: a damaged cache crashed it, or was taken.
 */
function readCache(file, build) {
  let data;
  try {
    data = readFileSync(file);
  } catch {
    return undefined;
  }
  const end = data.indexOf(10);
  const [magic, madeFrom, digest] = data.toString('latin1', 0, Math.max(end, 0)).split(' ');
  if (end < 0 || magic !== 'migc-build' || madeFrom !== build) return undefined;
  const v8Data = data.subarray(end + 1);
  return hash('sha256', v8Data) === digest ? v8Data : undefined;
}

/** The contents of a cache file for `build`: its header (the build, a digest of V8's data), then V8's data. */
function cacheContents(build, v8Data) {
  return Buffer.concat([Buffer.from(`migc-build ${build} ${hash('sha256', v8Data)}\n`, 'latin1'), v8Data]);
}

/** Where an ES module in this package would find `specifier` (its URL), as import.meta.resolve says. */
function resolveAsModule(specifier) {
  return import(pathToFileURL(join(__dirname, 'resolve.mjs')).href).then((m) => m.resolve(specifier));
}

exports.bundleFile = bundleFile;
exports.cacheFile = cacheFile;
exports.loadCli = loadCli;
exports.readCache = readCache;
exports.cacheContents = cacheContents;
