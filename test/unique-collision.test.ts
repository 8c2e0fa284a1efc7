import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG248: an UPDATE that sets a column a unique key covers to a function of itself that maps
 * different values to one. Each case is linted; then, on PostgreSQL, its schema is made, rows that
 * differ only in what the function changes are put in, and the UPDATE must fail with a duplicate
 * key (or, for the cases migc leaves alone, run).
 */
interface Case {
  readonly name: string;
  readonly schema: string;
  /** Rows already there: what a database the migration meets may hold. */
  readonly rows: string;
  readonly update: string;
  /** Whether MG248 reports the UPDATE, and PostgreSQL refuses it on those rows. */
  readonly collides: boolean;
  readonly message?: RegExp;
  /** The help's query finds the colliding values (run on the same rows): how many. */
  readonly found?: number;
}

const cases: Case[] = [
  {
    // The twentieth trial's pocket-id.
    name: 'rtrim of a UNIQUE column, with a WHERE that leaves the row it collides with out',
    schema: 'CREATE TABLE apis (id int PRIMARY KEY, audience text UNIQUE);',
    rows: "INSERT INTO apis VALUES (1, 'https://a'), (2, 'https://a/');",
    update: "UPDATE apis SET audience = RTRIM(audience, '/') WHERE audience <> RTRIM(audience, '/');",
    collides: true,
    message: /^UPDATE sets audience of apis, which the unique constraint apis_audience_key keeps unique, to rtrim\(audience, '\/'\): .* \(or one it changes ends with the value of a row its WHERE leaves out\), and PostgreSQL refuses the statement: duplicate key value violates unique constraint apis_audience_key$/,
    found: 1,
  },
  {
    // langfuse's user_emails_all_lowercase.
    name: 'lower of a column a unique index covers',
    schema: 'CREATE TABLE users (id int PRIMARY KEY, email text);\nCREATE UNIQUE INDEX users_email_key ON users (email);',
    rows: "INSERT INTO users VALUES (1, 'Ann@x.org'), (2, 'ann@x.org');",
    update: 'UPDATE "users" SET "email" = LOWER("email");',
    collides: true,
    found: 1,
  },
  {
    name: 'normalize of one column of a key of two, through a cast',
    schema: 'CREATE TABLE members (org int, username text, UNIQUE (org, username));',
    rows: "INSERT INTO members VALUES (1, U&'e\\0301'), (1, U&'\\00E9'), (2, U&'e\\0301');",
    update: 'UPDATE members m SET username = normalize(m.username, NFC)::text;',
    collides: true,
    message: /which the unique constraint members_org_username_key \(org, username\) keeps unique/,
    found: 1,
  },
  {
    // goalert's add-country-code: '+1555' and '1555' for the same type.
    name: 'substring of a column of a key of two',
    schema: 'CREATE TABLE contact (id int PRIMARY KEY, type text, value text, UNIQUE (type, value));',
    rows: "INSERT INTO contact VALUES (1, 'SMS', '+1555'), (2, 'SMS', '1555');",
    update: "UPDATE contact SET value = substring(value from 2) WHERE value LIKE '+%';",
    collides: true,
    found: 1,
  },
  {
    name: 'a column no key covers: no finding, and it runs',
    schema: 'CREATE TABLE users (id int PRIMARY KEY, name text);',
    rows: "INSERT INTO users VALUES (1, 'Ann'), (2, 'ann');",
    update: 'UPDATE users SET name = lower(name);',
    collides: false,
  },
  {
    name: 'a function that keeps values apart: no finding, and it runs',
    schema: 'CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE);',
    rows: "INSERT INTO users VALUES (1, 'Ann'), (2, 'ann');",
    update: "UPDATE users SET email = email || '.old';",
    collides: false,
  },
];

async function linted(c: Case) {
  await loadSqlParser();
  const files = { '001_schema.sql': `${c.schema}\n`, '002_update.sql': `${c.update}\n` };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG248');
}

describe('MG248 unique-collision', () => {
  it.each(cases)('$name', async (c) => {
    const found = await linted(c);
    expect(found.length).toBe(c.collides ? 1 : 0);
    if (c.message) expect(found[0]!.message).toMatch(c.message);
    if (c.collides) expect(found[0]!.help).toMatch(/^Look for the values that would collide before it runs: SELECT .* HAVING count\(\*\) > 1;/);
  });

  it('not on a table made in the same migration (no rows), nor on one emptied before in its transaction', async () => {
    await loadSqlParser();
    const files = {
      '001_a.sql': 'CREATE TABLE tags (id int PRIMARY KEY, label text UNIQUE);\nUPDATE tags SET label = lower(label);\n',
      '002_b.sql': 'BEGIN;\nDELETE FROM tags;\nUPDATE tags SET label = lower(label);\nCOMMIT;\n',
    };
    const result = await lint({ files: Object.keys(files) }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG248')).toEqual([]);
  });
});

function engineSuite(name: string, open: () => Promise<SqlEngine>) {
  describe(`MG248's cases on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      db = await open();
    });
    afterAll(() => db?.close());
    it.each(cases)('$name', async (c) => {
      await db.run('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
      await db.run(c.schema);
      await db.run(c.rows);
      if (c.found !== undefined) {
        const [finding] = await linted(c);
        const query = /SELECT .*? HAVING count\(\*\) > 1;/.exec(finding!.help!)![0];
        const result = (await db.run(query)) as { rows?: unknown[] } | { rows?: unknown[] }[];
        const rows = Array.isArray(result) ? result.at(-1)!.rows : result.rows;
        expect(rows?.length).toBe(c.found);
      }
      if (c.collides) await expect(db.run(c.update)).rejects.toThrow(/duplicate key value violates unique constraint/);
      else await expect(db.run(c.update)).resolves.toBeDefined();
    });
  });
}

for (const engine of sqlEngines()) engineSuite(engine.name, engine.open);
