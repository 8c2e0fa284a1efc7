import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { rowsOf, sqlEngines } from './sql-engines.js';

/**
 * MG247: ADD COLUMN, then an UPDATE that sets it to a constant on every row, writes every row
 * again; ADD COLUMN ... DEFAULT sets the value in the catalog (the twenty-first trial's tt-rss).
 */
const table = 'CREATE TABLE entries (id int PRIMARY KEY, title text);\n';

async function mg247(migration: string, options: { postgres?: number } = {}): Promise<string[]> {
  const files = { '1.sql': table, '2.sql': `SET lock_timeout = '5s';\n${migration}` };
  const result = await lint({ files: Object.keys(files), config: { postgres: options.postgres ?? 15, rules: {} } }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG247').map((d) => `${result.sources.get(d.file)!.position(d.span!.start).line} ${d.severity}`);
}

describe('MG247', () => {
  it('is told of a column just added and set to a constant on every row, from PostgreSQL 11', async () => {
    const fill = "ALTER TABLE entries ADD COLUMN lang varchar(2);\nUPDATE entries SET lang = '';\nALTER TABLE entries ALTER COLUMN lang SET NOT NULL;\n";
    expect(await mg247(fill)).toEqual(['3 warning']);
    expect(await mg247(fill, { postgres: 10 })).toEqual([]);
  });

  it('says to leave out an UPDATE the ADD COLUMN\'s default did already, and to add without a default for NULL (cds, MusicBrainz)', async () => {
    const files = { '1.sql': table, '2.sql': "ALTER TABLE entries ADD COLUMN n bigint NOT NULL DEFAULT 0;\nUPDATE entries SET n = 0;\nALTER TABLE entries ADD COLUMN added timestamptz DEFAULT now();\nUPDATE entries SET added = NULL;\n" };
    const result = await lint({ files: Object.keys(files), config: { postgres: 15, rules: {} } }, memoryHost(files));
    expect(result.diagnostics.filter((d) => d.code === 'MG247').map((d) => d.help)).toEqual([
      'Leave out the UPDATE: the ADD COLUMN gave every row that value already, its DEFAULT, in the catalog.',
      'Give the value where the column is added, and leave out the UPDATE: ALTER TABLE entries ADD COLUMN added <type> (no default: its rows are NULL); then, for the rows inserted later, ALTER COLUMN ... SET DEFAULT <theirs> (or DROP DEFAULT). Each is catalog-only from PostgreSQL 11, and a NOT NULL added with the default scans nothing.',
    ]);
  });

  it('is not told of a value computed per row, a volatile one, a WHERE, or a column that was there', async () => {
    expect(await mg247('ALTER TABLE entries ADD COLUMN slug text;\nUPDATE entries SET slug = lower(title);\n')).toEqual([]);
    expect(await mg247('ALTER TABLE entries ADD COLUMN token text;\nUPDATE entries SET token = md5(random()::text);\n')).toEqual([]);
    expect(await mg247("ALTER TABLE entries ADD COLUMN lang text;\nUPDATE entries SET lang = 'en' WHERE id < 10;\n")).toEqual([]);
    expect(await mg247("UPDATE entries SET title = '';\n")).toEqual([]);
  });
});

for (const engine of sqlEngines()) {
  it(`the UPDATE writes every row again, the default none, on ${engine.name}`, async () => {
    const db = await engine.open();
    try {
      const size = async (t: string) => Number(rowsOf(await db.run(`SELECT pg_relation_size('${t}') AS n`))[0]!.n);
      const file = async (t: string) => String(rowsOf(await db.run(`SELECT pg_relation_filenode('${t}') AS f`))[0]!.f);
      for (const t of ['filled', 'defaulted']) await db.run(`CREATE TABLE ${t} (id int PRIMARY KEY, title text); INSERT INTO ${t} SELECT g, 'entry ' || g FROM generate_series(1, 20000) g;`);
      const before = await size('filled');
      await db.run("ALTER TABLE filled ADD COLUMN lang varchar(2); UPDATE filled SET lang = ''; ALTER TABLE filled ALTER COLUMN lang SET NOT NULL;");
      expect(await size('filled')).toBeGreaterThan(before * 1.8);
      const node = await file('defaulted');
      const same = await size('defaulted');
      await db.run("ALTER TABLE defaulted ADD COLUMN lang varchar(2) NOT NULL DEFAULT ''");
      expect(await file('defaulted')).toBe(node);
      expect(await size('defaulted')).toBe(same);
      expect(rowsOf(await db.run("SELECT count(*)::int AS n FROM defaulted WHERE lang = ''"))).toEqual([{ n: 20000 }]);
    } finally {
      await db.close();
    }
  });
}
