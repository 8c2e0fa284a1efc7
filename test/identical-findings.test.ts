import { expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';

/**
 * The same finding twice at one place is said once: a function whose body makes two like
 * statements, judged at its call after an ALTER TABLE of the transaction, drew two identical
 * MG218 warnings at the call (cas-cif's, the thirty-fifth trial's R).
 */
it('says an identical finding at one place once', async () => {
  const files = {
    '1.sql': 'CREATE TABLE form_change (id int PRIMARY KEY, a int, b int);\nCREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN UPDATE form_change SET a = 1; UPDATE form_change SET b = 2; END $$;\n',
    '2.sql': 'BEGIN;\nALTER TABLE form_change DISABLE TRIGGER ALL;\nSELECT f();\nCOMMIT;\n',
  };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  const mg218 = result.diagnostics.filter((d) => d.code === 'MG218');
  expect(mg218).toHaveLength(1);
  expect(result.sources.get('2.sql')!.position(mg218[0]!.span!.start).line).toBe(3);
});
