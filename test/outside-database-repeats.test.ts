import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';

/**
 * MG220 tells a statement that reaches outside the database once per run: the same statement in a
 * later file (pgstac repeats its guarded role set-up in every file: 232 warnings, the
 * thirty-fourth trial's B), or a function of the same name made again in the same untrusted
 * language (Evergreen's plperlu functions, the thirty-third trial's C), is a note that names the
 * file that told it. Another statement, another function, or a repeat within one file is told.
 */
async function mg220(files: Record<string, string>): Promise<string[]> {
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.filter((d) => d.code === 'MG220').map((d) => `${d.file} ${d.severity} ${d.message.slice(0, d.message.indexOf(':'))}`);
}

const role = "DO $$ BEGIN CREATE ROLE pgstac_read; EXCEPTION WHEN duplicate_object THEN RAISE NOTICE '%, skipping', SQLERRM; END $$;\n";
const perl = (body: string) => `CREATE OR REPLACE FUNCTION evergreen.lowercase(text) RETURNS text LANGUAGE plperlu AS $$ ${body} $$;\n`;

describe('MG220 once per run', () => {
  it('a note for the same statement in a later file, naming the file that told it', async () => {
    expect(await mg220({ '001.sql': role, '002.sql': role, '003.sql': `${role}CREATE ROLE pgstac_admin;\n` })).toEqual([
      '001.sql warning this statement reaches outside the database',
      '002.sql info this statement reaches outside the database, as the same statement in 001.sql did (told there)',
      '003.sql info this statement reaches outside the database, as the same statement in 001.sql did (told there)',
      '003.sql warning this statement reaches outside the database',
    ]);
  });

  it('a note for a function made again in the same language, whatever its body; told again within one file', async () => {
    expect(await mg220({ '001.sql': perl('return lc(shift);'), '002.sql': perl('return lc($_[0]);'), '003.sql': `${perl('1;')}${perl('2;')}`.replace(/lowercase/g, 'uppercase') })).toEqual([
      '001.sql warning this statement reaches outside the database',
      '002.sql info this statement reaches outside the database, as the function of that name in 001.sql did (told there)',
      '003.sql warning this statement reaches outside the database',
      '003.sql warning this statement reaches outside the database',
    ]);
  });
});
