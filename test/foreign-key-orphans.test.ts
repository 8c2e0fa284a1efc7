import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { rowsOf, sqlEngines } from './sql-engines.js';

/**
 * MG208's help counts the rows a new foreign key fails on (the twentieth trial's pocket-id: a key
 * added where none was, at start-up, where the failure stops the server), and the count is a query
 * PostgreSQL runs: checked on both engines against what the ADD does.
 */
const schema = 'CREATE TABLE clients (id text PRIMARY KEY);\nCREATE TABLE codes (id int PRIMARY KEY, client_id text, region text, tenant text);\nCREATE TABLE tenants (region text, tenant text, PRIMARY KEY (region, tenant));\n';

async function helpFor(statement: string): Promise<string> {
  const files = { '1.sql': schema, '2.sql': `SET lock_timeout = '5s';\n${statement}\n` };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  return result.diagnostics.find((d) => d.code === 'MG208')?.help ?? '';
}

const countQuery = (help: string) => /look first, (SELECT count\(\*\) .*;)$/.exec(help)?.[1];

describe('MG208 and the rows a new foreign key fails on', () => {
  it('gives the query that counts them, for the referenced primary key and for columns written out', async () => {
    expect(countQuery(await helpFor('ALTER TABLE codes ADD CONSTRAINT codes_client_fk FOREIGN KEY (client_id) REFERENCES clients;'))).toBe('SELECT count(*) FROM codes c WHERE c.client_id IS NOT NULL AND NOT EXISTS (SELECT FROM clients p WHERE p.id = c.client_id);');
    expect(countQuery(await helpFor('ALTER TABLE codes ADD CONSTRAINT codes_tenant_fk FOREIGN KEY (region, tenant) REFERENCES tenants (region, tenant);'))).toBe('SELECT count(*) FROM codes c WHERE c.region IS NOT NULL AND c.tenant IS NOT NULL AND NOT EXISTS (SELECT FROM tenants p WHERE p.region = c.region AND p.tenant = c.tenant);');
    // A referenced table whose key migc has not seen: no query.
    expect(countQuery(await helpFor('ALTER TABLE codes ADD CONSTRAINT codes_other_fk FOREIGN KEY (client_id) REFERENCES elsewhere;'))).toBeUndefined();
  });

  for (const engine of sqlEngines()) {
    it(`counts the rows the ADD fails on, on ${engine.name}`, async () => {
      const query = countQuery(await helpFor('ALTER TABLE codes ADD CONSTRAINT codes_tenant_fk FOREIGN KEY (region, tenant) REFERENCES tenants (region, tenant);'))!;
      const db = await engine.open();
      try {
        await db.run(schema);
        await db.run("INSERT INTO tenants VALUES ('eu', 'a'); INSERT INTO codes VALUES (1, NULL, 'eu', 'a'), (2, NULL, 'eu', 'b'), (3, NULL, NULL, 'b'), (4, NULL, 'us', 'a');");
        expect(rowsOf(await db.run(query))).toEqual([{ count: expect.anything() }]);
        expect(Number(rowsOf(await db.run(query))[0]!.count)).toBe(2);
        await expect(db.run('ALTER TABLE codes ADD CONSTRAINT codes_tenant_fk FOREIGN KEY (region, tenant) REFERENCES tenants (region, tenant)')).rejects.toThrow(/violates foreign key constraint/);
        await db.run("DELETE FROM codes WHERE id IN (2, 4)");
        expect(Number(rowsOf(await db.run(query))[0]!.count)).toBe(0);
        await db.run('ALTER TABLE codes ADD CONSTRAINT codes_tenant_fk FOREIGN KEY (region, tenant) REFERENCES tenants (region, tenant)');
      } finally {
        await db.close();
      }
    });
  }
});
