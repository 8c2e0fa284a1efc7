import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { loadSqlParser } from '../src/sql/parser.js';
import { rowsOf, sqlEngines, type SqlEngine } from './sql-engines.js';

/**
 * MG246: what it says of an UPDATE ... FROM without a join, checked on PostgreSQL (PGlite, and the
 * server of MIGC_TEST_DATABASE_URL): the reported statement (commento's comment counts) gives
 * every page the same count where the pages' counts differ; the joined one, each its own; the
 * one-row FROM, the one value it means.
 */
const schema = 'CREATE TABLE pages (domain text, path text, comment_count int, PRIMARY KEY (domain, path));\nCREATE TABLE comments (id int PRIMARY KEY, domain text, path text);\n';
const data = "INSERT INTO pages VALUES ('a', '/1', 0), ('a', '/2', 0), ('b', '/1', 0);\nINSERT INTO comments VALUES (1, 'a', '/1'), (2, 'a', '/1'), (3, 'a', '/2'), (4, 'b', '/1'), (5, 'b', '/1'), (6, 'b', '/1');\n";
const unjoined = 'UPDATE pages SET comment_count = sub.n FROM (SELECT count(*) AS n FROM comments GROUP BY domain, path) AS sub;';
const joined = 'UPDATE pages p SET comment_count = sub.n FROM (SELECT domain, path, count(*) AS n FROM comments GROUP BY domain, path) AS sub WHERE p.domain = sub.domain AND p.path = sub.path;';
const oneRow = 'UPDATE pages SET comment_count = sub.n FROM (SELECT count(*) AS n FROM comments) AS sub;';

for (const { name, open } of sqlEngines()) {
  describe(`MG246 on ${name}`, () => {
    let db: SqlEngine;
    beforeAll(async () => {
      await loadSqlParser();
      db = await open();
    });
    afterAll(() => db?.close());

    const counts = async (update: string) => {
      await db.run('DROP TABLE IF EXISTS pages, comments');
      await db.run(schema + data);
      await db.run(update);
      return rowsOf(await db.run('SELECT comment_count FROM pages ORDER BY domain, path')).map((r) => Number(r.comment_count));
    };

    it('reports the unjoined UPDATE, which gives every page one arbitrary count; not the joined one, nor the one-row FROM', async () => {
      const files = { '1.sql': schema, '2.sql': `SET lock_timeout = '5s';\n${unjoined}\n${joined}\n${oneRow}\n` };
      const result = await lint({ files: Object.keys(files) }, memoryHost(files));
      expect(result.diagnostics.filter((d) => d.code === 'MG246').map((d) => `${result.sources.get(d.file)!.position(d.span!.start).line} ${d.message}`)).toEqual([
        '2 UPDATE pages ... FROM sub has no condition joining pages to it: every row of pages matches every row of sub, and PostgreSQL updates each with one of them, which one is not predictable',
      ]);
      const wrong = await counts(unjoined);
      expect(new Set(wrong).size).toBe(1);
      expect(await counts(joined)).toEqual([2, 1, 3]);
      expect(await counts(oneRow)).toEqual([6, 6, 6]);
    });
  });
}

it('a FROM over a table of one row (Lemmy\'s local_site) is one row once --assume-rows says so', async () => {
  await loadSqlParser();
  const files = {
    '1.sql': 'CREATE TABLE local_site (id int PRIMARY KEY, open_registration boolean, registration_mode text);\n',
    '2.sql': "WITH subquery AS (SELECT CASE WHEN open_registration THEN 'open' ELSE 'closed' END AS mode FROM local_site)\nUPDATE local_site SET registration_mode = subquery.mode FROM subquery;\n",
  };
  const codes = async (assumeRows?: Map<string, number>) => (await lint({ files: Object.keys(files), ...(assumeRows ? { config: { assumeRows } } : {}) }, memoryHost(files))).diagnostics.filter((d) => d.code === 'MG246').length;
  expect(await codes()).toBe(1);
  expect(await codes(new Map([['local_site', 1]]))).toBe(0);
});

it('names a join in the FROM by its tables (the nineteenth trial\'s WebAPI)', async () => {
  await loadSqlParser();
  const files = {
    '1.sql': 'CREATE TABLE crit (id int PRIMARY KEY, analysis_id int, agg_id int);\nCREATE TABLE analysis (id int PRIMARY KEY, type text);\nCREATE TABLE agg (id int PRIMARY KEY, name text);\n',
    '2.sql': "UPDATE crit SET agg_id = ag.id\nFROM crit c2 JOIN analysis a ON a.id = c2.analysis_id, agg ag\nWHERE ag.name = 'Events count' AND a.type = 'CRITERIA_SET';\n",
  };
  const [found] = (await lint({ files: Object.keys(files) }, memoryHost(files))).diagnostics.filter((d) => d.code === 'MG246');
  expect(found!.message).toBe('UPDATE crit ... FROM c2, a, ag has no condition joining crit to them: every row of crit matches every row of c2, a and ag, and PostgreSQL updates each with one of them, which one is not predictable');
  expect(found!.help).toMatch(/^Join them in the WHERE \(WHERE crit\.key = c2\.key,/);
});

it('a FROM table whose key the WHERE pins to one value, by its name, is one row (the twenty-fourth trial\'s F: trieve\'s default organization)', async () => {
  await loadSqlParser();
  const schema = 'CREATE TABLE organizations (id uuid PRIMARY KEY, name text UNIQUE NOT NULL, kind text, region text, seq int, UNIQUE (region, seq));\nCREATE TABLE datasets (id uuid PRIMARY KEY, organization_id uuid);\n';
  const found = async (update: string) => (await lint({ files: ['1.sql', '2.sql'] }, memoryHost({ '1.sql': schema, '2.sql': update }))).diagnostics.filter((d) => d.code === 'MG246').length;
  expect(await found("UPDATE datasets SET organization_id = organizations.id FROM organizations WHERE organizations.name = 'DEFAULT';\n")).toBe(0);
  expect(await found("UPDATE datasets SET organization_id = o.id FROM organizations o WHERE o.region = 'eu' AND o.seq = 1;\n")).toBe(0);
  // Not a key, two values of one, or part of a key: several rows.
  expect(await found("UPDATE datasets SET organization_id = organizations.id FROM organizations WHERE organizations.kind = 'DEFAULT';\n")).toBe(1);
  expect(await found("UPDATE datasets SET organization_id = organizations.id FROM organizations WHERE organizations.name IN ('a', 'b');\n")).toBe(1);
  expect(await found("UPDATE datasets SET organization_id = o.id FROM organizations o WHERE o.region = 'eu';\n")).toBe(1);
});
