import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { root } from './helpers.js';

/**
 * lint judges plain files: its findings speak of files and transactions, never of a plan's steps,
 * of what migc does when it writes a plan's scripts, or of migc's own example plans.
 */
it("lint's findings speak of files and transactions, not of plan steps", async () => {
  const fixtures = `${root}test/fixtures/rules`;
  const files: Record<string, string> = { 'schema.sql': readFileSync(`${fixtures}/schema.sql`, 'utf8') };
  for (const code of readdirSync(fixtures).filter((f) => /^MG\d{3}$/.test(f))) {
    for (const f of readdirSync(`${fixtures}/${code}`).filter((n) => n.endsWith('.sql'))) files[`${code}/${f}`] = readFileSync(`${fixtures}/${code}/${f}`, 'utf8');
  }
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  const codes = new Set(result.diagnostics.map((d) => d.code));
  // The check is only as good as the findings it reads: most hazard rules must have spoken.
  for (const code of ['MG112', 'MG201', 'MG202', 'MG207', 'MG208', 'MG212', 'MG217', 'MG218', 'MG220']) expect(codes).toContain(code);
  const planTalk = /\bsteps?\b|migc (runs|arranges|writes)|plans\/|in plans\b/i;
  const wrong = result.diagnostics.filter((d) => planTalk.test(`${d.message} ${d.help ?? ''}`)).map((d) => `${d.file} ${d.code}: ${d.message} / ${d.help}`);
  expect(wrong).toEqual([]);
});

it('MG218 names the statement whose lock blocks the most, where it is and why it locks a table not its own, and says whom that lock blocks', async () => {
  const schema = 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text, status text);\nCREATE TABLE payments (id bigint PRIMARY KEY, account_id bigint);\n';
  const fkOnly = "ALTER TABLE payments ADD CONSTRAINT payments_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);\nUPDATE accounts SET status = 'active' WHERE status IS NULL;\n";
  const both = "ALTER TABLE payments ADD CONSTRAINT payments_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);\nALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\nUPDATE accounts SET status = 'active' WHERE status IS NULL;\n";
  const mg218 = async (sql: string) => {
    const result = await lint({ files: ['1.sql', '2.sql'], fileTransaction: true }, memoryHost({ '1.sql': schema, '2.sql': sql }));
    return result.diagnostics.filter((d) => d.code === 'MG218').map((d) => d.message);
  };
  expect(await mg218(fkOnly)).toEqual(['this UPDATE runs in the same transaction as ALTER TABLE payments ADD CONSTRAINT (line 1), which holds SHARE ROW EXCLUSIVE on accounts as the referenced table of the foreign key payments_account_fk it adds, so every writer waits for accounts until the backfill commits']);
  expect(await mg218(both)).toEqual(['this UPDATE runs in the same transaction as ALTER TABLE accounts SET NOT NULL (line 2), which holds ACCESS EXCLUSIVE on accounts, so every reader and writer waits for accounts until the backfill commits']);
});
