// Makes dist/bundle/main.cjs.v8cache: V8's code cache for the CLI's bundle, after a run of the
// commands whose start-up matters most (`check` on the example plans, `lint` on a folder), so it
// holds the bytecode of the functions they run. Run by scripts/bundle.mjs in a process of its
// own; the runs here work on a throwaway folder and print nothing.
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { cacheContents, cacheFile, loadCli } from '../bin/load-cli.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = loadCli({ codeCache: false });
const work = mkdtempSync(join(tmpdir(), 'migc-code-cache-'));
try {
  // The example plans (SQL steps, batches, app versions), checked as a user checks them.
  cpSync(join(root, 'plans'), join(work, 'plans'), { recursive: true });
  mkdirSync(join(work, 'migrations'));
  writeFileSync(join(work, 'migrations/001_users.sql'), 'CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\nCREATE INDEX users_email ON users (email);\n');
  writeFileSync(join(work, 'migrations/002_orders.sql'), 'CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total numeric);\nALTER TABLE orders ADD CONSTRAINT orders_user FOREIGN KEY (user_id) REFERENCES users (id);\nALTER TABLE users ADD COLUMN name text NOT NULL DEFAULT \'\';\nUPDATE users SET name = email;\nALTER TABLE orders ALTER COLUMN total TYPE bigint;\nDROP INDEX users_email;\n');
  const io = { cwd: work, stdout: () => true, stderr: () => true, color: false };
  await cli.exports.startSqlParser();
  await cli.exports.main(['check', 'plans'], io);
  await cli.exports.main(['lint', 'migrations'], io);
  // V8 takes a cache only under the flags it was made with (a hash of them is in it), and loading
  // the parser changed some (src/sql/parser.ts): back to V8's defaults, which a run starts with.
  setFlagsFromString('--no-liftoff-only --wasm-tier-up --wasm-dynamic-tiering');
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  writeFileSync(temporary, cacheContents(cli.build, cli.script.createCachedData()));
  renameSync(temporary, cacheFile);
} finally {
  rmSync(work, { recursive: true, force: true });
}
