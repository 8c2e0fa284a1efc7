import { expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';

/**
 * One ALTER TABLE with many subcommands: each finding about one subcommand points at that
 * subcommand, not at the whole statement (issue 12, item 13), so a reader sees which part is meant.
 */
it('points each finding of a many-part ALTER TABLE at the subcommand it is about', async () => {
  const sql = `SET lock_timeout = '5s';
ALTER TABLE orders ADD COLUMN note text,
  ALTER COLUMN total TYPE numeric(20,2),
  ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id),
  ADD CONSTRAINT orders_total_ck CHECK (total > 0),
  ALTER COLUMN user_id SET NOT NULL,
  ADD CONSTRAINT orders_code_key UNIQUE (code),
  ADD COLUMN flag boolean NOT NULL DEFAULT false,
  ADD COLUMN shop_id bigint REFERENCES shops,
  ADD COLUMN seen timestamptz DEFAULT clock_timestamp();
ALTER TABLE orders ADD COLUMN note2 text,
  ADD COLUMN required boolean NOT NULL;
`;
  const result = await lint({ files: ['1.sql'] }, memoryHost({ '1.sql': sql }));
  // A new column's REFERENCES has only NULLs to check (no MG208), but still wants an index (MG230).
  // The statement rewrites the table (the type change, the volatile default), which checks SET NOT
  // NULL as it writes each row: no scan of its own, so no MG207. (flag has a default: without
  // one the statement would fail on a table with a row, MG206, and its work be of an empty table.)
  const at = result.diagnostics.map((d) => `${d.code} ${sql.slice(d.span!.start, d.span!.end)}`).sort();
  expect(at).toEqual([
    'MG205 ADD COLUMN seen timestamptz DEFAULT clock_timestamp()',
    'MG206 ADD COLUMN required boolean NOT NULL',
    'MG208 ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id)',
    'MG209 ADD CONSTRAINT orders_total_ck CHECK (total > 0)',
    'MG210 ADD CONSTRAINT orders_code_key UNIQUE (code)',
    'MG212 ALTER COLUMN total TYPE numeric(20,2)',
    'MG230 ADD COLUMN shop_id bigint REFERENCES shops',
    'MG230 ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id)',
  ]);
});

it('skips the comments before a subcommand or a table\'s column: the finding points at the column, not at the comment above it (the eighteenth trial\'s taproot-assets)', async () => {
  const sql = `SET lock_timeout = '5s';
CREATE TABLE child (
    id bigint PRIMARY KEY,
    -- The parent this child belongs to.
    parent_id bigint NOT NULL REFERENCES parent (id), /* and its owner */ owner_id bigint REFERENCES parent (id)
);
ALTER TABLE orders ADD COLUMN note text,
  -- the user, now required
  ALTER COLUMN user_id SET NOT NULL;
`;
  const files = { '0.sql': 'CREATE TABLE parent (id bigint PRIMARY KEY);\nCREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint);\n', '1.sql': sql };
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  const at = result.diagnostics.filter((d) => d.file === '1.sql' && (d.code === 'MG230' || d.code === 'MG207')).map((d) => `${d.code} ${sql.slice(d.span!.start, d.span!.end)}`);
  expect(at).toEqual([
    'MG230 parent_id bigint NOT NULL REFERENCES parent (id)',
    'MG230 owner_id bigint REFERENCES parent (id)',
    'MG207 ALTER COLUMN user_id SET NOT NULL',
  ]);
});
