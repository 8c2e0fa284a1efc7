import { randomBytes } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchemaState } from '../src/analyze/sql/schema-state.js';
import { catalogOf, lockStrength, predictLocks, type PredictedLock } from '../src/sql/locks.js';
import { loadSqlParser, parseSql } from '../src/sql/parser.js';
import { serverEngine, type RehearsalDatabase, type Engine } from '../src/verify/engine.js';
import { disagreement, runObserved } from '../src/verify/observe.js';

/**
 * The static lock prediction against what PostgreSQL really takes: each statement runs in a
 * transaction on PGlite (and on a real server when MIGC_TEST_DATABASE_URL is set), and the
 * strongest lock seen on each table must be the predicted one, exactly.
 */
const setup = `
  CREATE TABLE t (id bigint PRIMARY KEY, n integer NOT NULL DEFAULT 0);
  CREATE TABLE c (id bigint PRIMARY KEY, t_id bigint);
  CREATE INDEX t_n_idx ON t (n);
  CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
  CREATE TRIGGER t_noop BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION noop();
  ALTER TABLE t ADD CONSTRAINT t_n_positive CHECK (n >= 0) NOT VALID;
  INSERT INTO t SELECT g, g FROM generate_series(1, 20) g;
  CREATE TABLE p (id bigint PRIMARY KEY, code text UNIQUE);
  CREATE TABLE r (id bigint PRIMARY KEY, p_id bigint REFERENCES p, p_code text, CONSTRAINT r_code_fk FOREIGN KEY (p_code) REFERENCES p (code));
  CREATE TABLE rr (id bigint PRIMARY KEY, r_id bigint);
  ALTER TABLE rr ADD FOREIGN KEY (r_id) REFERENCES r;
  CREATE SCHEMA app;
  CREATE TABLE app.s (id bigint PRIMARY KEY, x integer);
  CREATE INDEX s_x_idx ON app.s (x);
  CREATE TABLE u (id bigint PRIMARY KEY, code text);
  CREATE UNIQUE INDEX u_code_uidx ON u (code);
  CREATE TABLE ur (id bigint PRIMARY KEY, u_id bigint REFERENCES u, u_code text REFERENCES u (code));
  CREATE TABLE pt (id bigint, k integer) PARTITION BY RANGE (k);
  CREATE TABLE pt1 (id bigint, k integer);
  CREATE TABLE pt2 PARTITION OF pt FOR VALUES FROM (10) TO (20);
  CREATE TABLE o (id serial PRIMARY KEY, note text);
  INSERT INTO o (note) VALUES ('a'), ('b');
  CREATE TABLE oi (id integer GENERATED ALWAYS AS IDENTITY, x integer);
  CREATE SEQUENCE app.s_seq;
  CREATE TABLE q (id bigint PRIMARY KEY, label text);
  INSERT INTO q VALUES (1, 'a'), (2, 'b'), (3, 'c');
  CREATE TABLE qc (id bigint PRIMARY KEY, q_id bigint REFERENCES q ON DELETE CASCADE);
  CREATE TABLE qn (id bigint PRIMARY KEY, q_id bigint REFERENCES q ON DELETE SET NULL ON UPDATE CASCADE);
  CREATE TABLE qr (id bigint PRIMARY KEY, q_id bigint REFERENCES q);
  INSERT INTO qc VALUES (1, 1);
  INSERT INTO qn VALUES (1, 1);
  INSERT INTO qr VALUES (1, 3);
  ALTER TABLE qr ADD CONSTRAINT qr_q_check_fk FOREIGN KEY (q_id) REFERENCES q NOT VALID;
  CREATE VIEW ov AS SELECT o.id, q.label FROM o JOIN q ON q.id = o.id;
  CREATE VIEW ovv AS SELECT * FROM ov;
  CREATE MATERIALIZED VIEW om AS SELECT id FROM o;
  CREATE TYPE mood AS ENUM ('a', 'b');
  CREATE TABLE pp (id bigint, k integer) PARTITION BY RANGE (k);
  CREATE TABLE pp1 PARTITION OF pp FOR VALUES FROM (0) TO (10);
  CREATE TABLE pp2 PARTITION OF pp FOR VALUES FROM (10) TO (20) PARTITION BY RANGE (k);
  CREATE TABLE pp21 PARTITION OF pp2 FOR VALUES FROM (10) TO (20);
  CREATE INDEX pp_k_idx0 ON pp (k);
  CREATE TABLE ao (id bigint PRIMARY KEY, n integer NOT NULL, s text, g integer GENERATED ALWAYS AS (n * 2) STORED);
  CREATE UNIQUE INDEX ao_n_uidx ON ao (n);
  CREATE RULE ao_rule AS ON INSERT TO ao WHERE false DO INSTEAD NOTHING;
  CREATE VIEW aov AS SELECT id FROM ao;
  CREATE TABLE ihp (id bigint);
  CREATE TABLE ihk (id bigint);
  CREATE TABLE ihc (id bigint) INHERITS (ihp);
  CREATE TYPE aot AS (id bigint);
  CREATE TABLE aotyped OF aot;
`;

/**
 * Each statement and the strongest lock it takes on each relation, as both engines show it and
 * the analysis predicts it; where PostgreSQL 18 (PGlite) takes more than 15, what it adds.
 */
const cases: [string, Record<string, string>, { readonly pg18?: Record<string, string> }?][] = [
  ['ALTER TABLE t ADD COLUMN extra integer', { 'public.t': 'AccessExclusiveLock' }],
  ['ALTER TABLE t ALTER COLUMN n TYPE bigint', { 'public.t': 'AccessExclusiveLock' }],
  ['ALTER TABLE t ALTER COLUMN n SET DEFAULT 1', { 'public.t': 'AccessExclusiveLock' }],
  ['ALTER TABLE t ADD CONSTRAINT t_n_small CHECK (n < 1000) NOT VALID', { 'public.t': 'AccessExclusiveLock' }],
  ['ALTER TABLE t VALIDATE CONSTRAINT t_n_positive', { 'public.t': 'ShareUpdateExclusiveLock' }],
  ['ALTER TABLE t ALTER COLUMN n SET STATISTICS 200', { 'public.t': 'ShareUpdateExclusiveLock' }],
  ['ALTER TABLE t SET (fillfactor = 70)', { 'public.t': 'ShareUpdateExclusiveLock' }],
  ['ALTER TABLE t DISABLE TRIGGER t_noop', { 'public.t': 'ShareRowExclusiveLock' }],
  // Every ALTER TABLE subcommand, as PostgreSQL's AlterTableGetLockLevel (tablecmds.c) and each
  // storage parameter's own lock mode (reloptions.c) have it; the same on 15 and 18.
  ['ALTER TABLE ao ALTER COLUMN n SET (n_distinct = -0.5)', { 'public.ao': 'ShareUpdateExclusiveLock' }],
  ['ALTER TABLE ao ALTER COLUMN n SET (n_distinct_inherited = 100), ALTER COLUMN s SET STATISTICS 500', { 'public.ao': 'ShareUpdateExclusiveLock' }],
  ['ALTER TABLE ao ALTER COLUMN n RESET (n_distinct)', { 'public.ao': 'ShareUpdateExclusiveLock' }],
  ['ALTER TABLE ao ALTER COLUMN n RESET (n_distinct), ALTER COLUMN s SET DEFAULT 0', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao ALTER COLUMN s SET STORAGE EXTERNAL', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao ALTER COLUMN s SET COMPRESSION pglz', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao CLUSTER ON ao_n_uidx', { 'public.ao': 'ShareUpdateExclusiveLock' }],
  ['ALTER TABLE ao SET WITHOUT CLUSTER', { 'public.ao': 'ShareUpdateExclusiveLock' }],
  ['ALTER TABLE ao SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)', { 'public.ao': 'ShareUpdateExclusiveLock' }],
  ['ALTER TABLE ao RESET (autovacuum_vacuum_scale_factor, fillfactor)', { 'public.ao': 'ShareUpdateExclusiveLock' }],
  ['ALTER TABLE ao SET (parallel_workers = 2, toast_tuple_target = 256, vacuum_truncate = false, vacuum_index_cleanup = off, log_autovacuum_min_duration = 10)', { 'public.ao': 'ShareUpdateExclusiveLock' }],
  ['ALTER TABLE ao SET (user_catalog_table = true)', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao SET (fillfactor = 70, user_catalog_table = true)', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao RESET (user_catalog_table)', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER VIEW aov SET (security_barrier = true)', { 'public.aov': 'AccessExclusiveLock' }],
  ['ALTER VIEW aov SET (check_option = local)', { 'public.aov': 'AccessExclusiveLock' }],
  ['ALTER VIEW aov RESET (security_invoker)', { 'public.aov': 'AccessExclusiveLock' }],
  ['ALTER TABLE t ENABLE ALWAYS TRIGGER t_noop', { 'public.t': 'ShareRowExclusiveLock' }],
  ['ALTER TABLE t ENABLE REPLICA TRIGGER t_noop', { 'public.t': 'ShareRowExclusiveLock' }],
  ['ALTER TABLE t DISABLE TRIGGER ALL', { 'public.t': 'ShareRowExclusiveLock' }],
  ['ALTER TABLE t ENABLE TRIGGER USER', { 'public.t': 'ShareRowExclusiveLock' }],
  ['ALTER TABLE ao DISABLE RULE ao_rule', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao ENABLE RULE ao_rule', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao ENABLE ALWAYS RULE ao_rule', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao ENABLE REPLICA RULE ao_rule', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao REPLICA IDENTITY FULL', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao REPLICA IDENTITY USING INDEX ao_n_uidx', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao OWNER TO CURRENT_USER', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE r ALTER CONSTRAINT r_code_fk DEFERRABLE INITIALLY DEFERRED', { 'public.r': 'AccessExclusiveLock' }],
  ['ALTER TABLE ihk INHERIT ihp', { 'public.ihk': 'AccessExclusiveLock', 'public.ihp': 'ShareUpdateExclusiveLock' }],
  ['ALTER TABLE ihc NO INHERIT ihp', { 'public.ihc': 'AccessExclusiveLock', 'public.ihp': 'AccessShareLock' }],
  ['ALTER TABLE ihk OF aot', { 'public.ihk': 'AccessExclusiveLock' }],
  ['ALTER TABLE aotyped NOT OF', { 'public.aotyped': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao ENABLE ROW LEVEL SECURITY', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao FORCE ROW LEVEL SECURITY', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao NO FORCE ROW LEVEL SECURITY', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao ALTER COLUMN g DROP EXPRESSION', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao ALTER COLUMN s SET NOT NULL', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao ALTER COLUMN n DROP NOT NULL', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao SET ACCESS METHOD heap', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ao SET WITHOUT OIDS', { 'public.ao': 'AccessExclusiveLock' }],
  ['ALTER TABLE ihk SET UNLOGGED', { 'public.ihk': 'AccessExclusiveLock' }],
  ['ALTER TABLE c ADD CONSTRAINT c_t_fk FOREIGN KEY (t_id) REFERENCES t (id) NOT VALID', { 'public.c': 'ShareRowExclusiveLock', 'public.t': 'ShareRowExclusiveLock' }],
  ['ALTER TABLE c ADD COLUMN owner_id bigint REFERENCES t', { 'public.c': 'AccessExclusiveLock', 'public.t': 'ShareRowExclusiveLock' }],
  ['CREATE TABLE d (id bigint PRIMARY KEY, t_id bigint REFERENCES t, c_id bigint, parent bigint REFERENCES d, FOREIGN KEY (c_id) REFERENCES public.c)', { 'public.d': 'AccessExclusiveLock', 'public.t': 'ShareRowExclusiveLock', 'public.c': 'ShareRowExclusiveLock' }],
  ['ALTER TABLE t RENAME COLUMN n TO m', { 'public.t': 'AccessExclusiveLock' }],
  ['ALTER TABLE ihk SET SCHEMA app', { 'app.ihk': 'AccessExclusiveLock' }],
  ['ALTER VIEW ovv SET SCHEMA app', { 'app.ovv': 'AccessExclusiveLock' }],
  ['ALTER SEQUENCE app.s_seq SET SCHEMA public', { 'public.s_seq': 'AccessExclusiveLock' }],
  ['ALTER TABLE c RENAME TO c2', { 'public.c2': 'AccessExclusiveLock' }],
  ['CREATE INDEX t_id_n_idx ON t (id, n)', { 'public.t': 'ShareLock' }],
  ['CREATE TRIGGER t_noop2 BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION noop()', { 'public.t': 'ShareRowExclusiveLock' }],
  ['DROP TRIGGER t_noop ON t', { 'public.t': 'AccessExclusiveLock' }],
  ['UPDATE t SET n = n + 1 WHERE id < 5', { 'public.t': 'RowExclusiveLock' }],
  ['DELETE FROM c WHERE id < 0', { 'public.c': 'RowExclusiveLock' }],
  ['INSERT INTO c (id, t_id) VALUES (1, 1)', { 'public.c': 'RowExclusiveLock' }],
  ['TRUNCATE c', { 'public.c': 'AccessExclusiveLock' }],
  ['LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE', { 'public.t': 'ShareRowExclusiveLock' }],
  ['CLUSTER t USING t_n_idx', { 'public.t': 'AccessExclusiveLock' }],
  // Foreign keys: p <- r (r_p_id_fkey on p's primary key, r_code_fk on its unique code) <- rr (rr_r_id_fkey).
  ['ALTER TABLE r DROP CONSTRAINT r_p_id_fkey', { 'public.r': 'AccessExclusiveLock', 'public.p': 'AccessExclusiveLock' }],
  ['ALTER TABLE r DROP CONSTRAINT IF EXISTS r_code_fk', { 'public.r': 'AccessExclusiveLock', 'public.p': 'AccessExclusiveLock' }],
  ['ALTER TABLE rr DROP CONSTRAINT rr_r_id_fkey, ADD CONSTRAINT rr_r_fk FOREIGN KEY (r_id) REFERENCES r NOT VALID', { 'public.rr': 'AccessExclusiveLock', 'public.r': 'AccessExclusiveLock' }],
  // The whole statement's locks, under which a foreign key added in it is validated (MG208): the
  // DROP's ACCESS EXCLUSIVE on both tables, ADD COLUMN's on its own.
  ['ALTER TABLE rr DROP CONSTRAINT rr_r_id_fkey, ADD CONSTRAINT rr_r_fk FOREIGN KEY (r_id) REFERENCES r ON DELETE CASCADE', { 'public.rr': 'AccessExclusiveLock', 'public.r': 'AccessExclusiveLock' }],
  ['ALTER TABLE c ADD COLUMN t2_id bigint, ADD CONSTRAINT c_t2_fk FOREIGN KEY (t2_id) REFERENCES t (id)', { 'public.c': 'AccessExclusiveLock', 'public.t': 'ShareRowExclusiveLock' }],
  ['ALTER TABLE r DROP CONSTRAINT r_p_id_fkey, ADD CONSTRAINT r_id_positive CHECK (id > 0)', { 'public.r': 'AccessExclusiveLock', 'public.p': 'AccessExclusiveLock' }],
  ['ALTER TABLE r DROP COLUMN p_id', { 'public.r': 'AccessExclusiveLock', 'public.p': 'AccessExclusiveLock' }],
  ['ALTER TABLE p DROP COLUMN code CASCADE', { 'public.p': 'AccessExclusiveLock', 'public.r': 'AccessExclusiveLock' }],
  ['ALTER TABLE p DROP CONSTRAINT p_code_key CASCADE', { 'public.p': 'AccessExclusiveLock', 'public.r': 'AccessExclusiveLock' }],
  ['ALTER TABLE p DROP CONSTRAINT p_pkey CASCADE', { 'public.p': 'AccessExclusiveLock', 'public.r': 'AccessExclusiveLock' }],
  ['ALTER TABLE r ALTER COLUMN p_id TYPE bigint', { 'public.r': 'AccessExclusiveLock', 'public.p': 'AccessExclusiveLock' }],
  ['ALTER TABLE p ALTER COLUMN id TYPE numeric', { 'public.p': 'AccessExclusiveLock', 'public.r': 'AccessExclusiveLock' }],
  ['ALTER TABLE r RENAME CONSTRAINT r_code_fk TO r_code_fk2', { 'public.r': 'AccessExclusiveLock' }],
  ['ALTER TABLE r VALIDATE CONSTRAINT r_code_fk', { 'public.r': 'ShareUpdateExclusiveLock' }],
  ['DROP TABLE rr', { 'public.r': 'AccessExclusiveLock', 'public.rr': 'AccessExclusiveLock' }],
  ['DROP TABLE r CASCADE', { 'public.p': 'AccessExclusiveLock', 'public.r': 'AccessExclusiveLock', 'public.rr': 'AccessExclusiveLock' }],
  ['DROP TABLE rr, r', { 'public.p': 'AccessExclusiveLock', 'public.r': 'AccessExclusiveLock', 'public.rr': 'AccessExclusiveLock' }],
  ['TRUNCATE p CASCADE', { 'public.p': 'AccessExclusiveLock', 'public.r': 'AccessExclusiveLock', 'public.rr': 'AccessExclusiveLock' }],
  ['TRUNCATE rr', { 'public.rr': 'AccessExclusiveLock' }],
  // DROP INDEX names only the index: the schema says its table.
  ['DROP INDEX t_n_idx', { 'public.t': 'AccessExclusiveLock' }],
  ['DROP INDEX IF EXISTS public.t_n_idx', { 'public.t': 'AccessExclusiveLock' }],
  ['DROP INDEX app.s_x_idx', { 'app.s': 'AccessExclusiveLock' }],
  ['DROP INDEX t_n_idx, app.s_x_idx RESTRICT', { 'public.t': 'AccessExclusiveLock', 'app.s': 'AccessExclusiveLock' }],
  ['DROP INDEX IF EXISTS no_such_idx', {}],
  ['DROP INDEX IF EXISTS no_such_idx, t_n_idx', { 'public.t': 'AccessExclusiveLock' }],
  // ur_u_code_fkey relies on the unique index and goes with it; ur_u_id_fkey relies on u_pkey.
  ['DROP INDEX u_code_uidx CASCADE', { 'public.u': 'AccessExclusiveLock', 'public.ur': 'AccessExclusiveLock' }],
  ['REINDEX INDEX t_n_idx', { 'public.t': 'ShareLock' }],
  ['REINDEX INDEX app.s_x_idx', { 'app.s': 'ShareLock' }],
  // ATTACH PARTITION scans the table it attaches under ACCESS EXCLUSIVE (its parent only SHARE UPDATE EXCLUSIVE, 12+).
  ['ALTER TABLE pt ATTACH PARTITION pt1 FOR VALUES FROM (0) TO (10)', { 'public.pt': 'ShareUpdateExclusiveLock', 'public.pt1': 'AccessExclusiveLock' }],
  // DETACH PARTITION without CONCURRENTLY: ACCESS EXCLUSIVE on both.
  ['ALTER TABLE pt DETACH PARTITION pt2', { 'public.pt': 'AccessExclusiveLock', 'public.pt2': 'AccessExclusiveLock' }],
  // Reads: every table a query names, in any clause, takes ACCESS SHARE; FOR UPDATE/SHARE ROW SHARE.
  ['SELECT 1', {}],
  ['UPDATE t SET n = (SELECT count(*) FROM p) WHERE id IN (SELECT p_id FROM r)', { 'public.t': 'RowExclusiveLock', 'public.p': 'AccessShareLock', 'public.r': 'AccessShareLock' }],
  ['WITH x AS (SELECT id FROM p) SELECT * FROM x, t WHERE EXISTS (SELECT FROM app.s)', { 'public.p': 'AccessShareLock', 'public.t': 'AccessShareLock', 'app.s': 'AccessShareLock' }],
  ['WITH d AS (DELETE FROM c RETURNING *) INSERT INTO t SELECT id + 100, 0 FROM d', { 'public.c': 'RowExclusiveLock', 'public.t': 'RowExclusiveLock' }],
  // A CTE's own body, and the CTEs before it, read the table of its name (unless RECURSIVE); a
  // data change's own table is the table whatever the WITH names (the thirty-eighth trial's B).
  ['WITH p AS (SELECT id FROM p) INSERT INTO c (id, t_id) SELECT id, id FROM p WHERE false', { 'public.p': 'AccessShareLock', 'public.c': 'RowExclusiveLock' }],
  ['WITH x AS (SELECT id FROM r), r AS (SELECT id FROM x) SELECT * FROM r', { 'public.r': 'AccessShareLock' }],
  ['WITH RECURSIVE rr AS (SELECT 1 AS id UNION ALL SELECT id + 1 FROM rr WHERE id < 3) SELECT * FROM rr', {}],
  ['WITH t AS (SELECT id FROM p) UPDATE t SET n = 1 WHERE id IN (SELECT id FROM t)', { 'public.t': 'RowExclusiveLock', 'public.p': 'AccessShareLock' }],
  ['INSERT INTO c (id, t_id) SELECT id, id FROM t WHERE n > (SELECT min(id) FROM rr)', { 'public.c': 'RowExclusiveLock', 'public.t': 'AccessShareLock', 'public.rr': 'AccessShareLock' }],
  ['UPDATE t SET n = 1 FROM p WHERE p.id = t.id', { 'public.t': 'RowExclusiveLock', 'public.p': 'AccessShareLock' }],
  ['DELETE FROM c USING t WHERE t.id = c.t_id', { 'public.c': 'RowExclusiveLock', 'public.t': 'AccessShareLock' }],
  ['MERGE INTO c USING t ON c.id = t.id WHEN NOT MATCHED THEN INSERT (id, t_id) VALUES (t.id, t.id)', { 'public.c': 'RowExclusiveLock', 'public.t': 'AccessShareLock' }],
  ['SELECT id FROM t FOR UPDATE', { 'public.t': 'RowShareLock' }],
  ['SELECT t.id FROM t JOIN p ON true FOR SHARE OF t', { 'public.t': 'RowShareLock', 'public.p': 'AccessShareLock' }],
  ['EXPLAIN SELECT * FROM t', { 'public.t': 'AccessShareLock' }],
  ['LOCK TABLE t IN ACCESS SHARE MODE', { 'public.t': 'AccessShareLock' }],
  // Sequences: nextval, setval and currval lock theirs; so does an INSERT that leaves out a serial or identity column.
  ["SELECT setval('o_id_seq', (SELECT max(id) FROM o))", { 'public.o_id_seq': 'RowExclusiveLock', 'public.o': 'AccessShareLock' }],
  ["SELECT setval(pg_get_serial_sequence('o', 'id'), 10)", { 'public.o_id_seq': 'RowExclusiveLock' }],
  ["SELECT nextval('app.s_seq'::regclass)", { 'app.s_seq': 'RowExclusiveLock' }],
  ["INSERT INTO o (note) VALUES ('c')", { 'public.o': 'RowExclusiveLock', 'public.o_id_seq': 'RowExclusiveLock' }],
  ["INSERT INTO o (id, note) VALUES (100, 'c')", { 'public.o': 'RowExclusiveLock' }],
  ['INSERT INTO oi (x) VALUES (1)', { 'public.oi': 'RowExclusiveLock', 'public.oi_id_seq': 'RowExclusiveLock' }],
  ['ALTER SEQUENCE o_id_seq RESTART 5', { 'public.o_id_seq': 'ShareRowExclusiveLock' }],
  ['ALTER SEQUENCE app.s_seq OWNED BY app.s.x', { 'app.s_seq': 'ShareRowExclusiveLock', 'app.s': 'AccessShareLock' }],
  ['DROP SEQUENCE app.s_seq', { 'app.s_seq': 'AccessExclusiveLock' }],
  // Foreign keys' triggers: a write to the referencing table checks the referenced one; a delete
  // or key update of the referenced table checks or changes the referencing ones.
  ['INSERT INTO qr (id, q_id) VALUES (2, 1)', { 'public.qr': 'RowExclusiveLock', 'public.q': 'RowShareLock' }],
  ['UPDATE qr SET q_id = 2 WHERE id = 1', { 'public.qr': 'RowExclusiveLock', 'public.q': 'RowShareLock' }],
  ['DELETE FROM q WHERE id = 1', { 'public.q': 'RowExclusiveLock', 'public.qc': 'RowExclusiveLock', 'public.qn': 'RowExclusiveLock', 'public.qr': 'RowShareLock' }],
  ['UPDATE q SET id = 10 WHERE id = 2', { 'public.q': 'RowExclusiveLock', 'public.qc': 'RowShareLock', 'public.qn': 'RowExclusiveLock', 'public.qr': 'RowShareLock' }],
  ["UPDATE q SET label = 'z'", { 'public.q': 'RowExclusiveLock' }],
  // Validating a foreign key reads the referenced table's rows (an already valid one has none to check: r_code_fk above).
  ['ALTER TABLE qr VALIDATE CONSTRAINT qr_q_check_fk', { 'public.qr': 'ShareUpdateExclusiveLock', 'public.q': 'RowShareLock' }],
  ['ALTER TRIGGER t_noop ON t RENAME TO t_noop3', { 'public.t': 'AccessExclusiveLock' }],
  ['CREATE TABLE y2 (id bigint PRIMARY KEY, q_id bigint REFERENCES q)', { 'public.y2': 'AccessExclusiveLock', 'public.q': 'ShareRowExclusiveLock' }],
  // Views are read through: the rewriter locks what they read, views of views too.
  ['SELECT * FROM ovv', { 'public.ovv': 'AccessShareLock', 'public.ov': 'AccessShareLock', 'public.o': 'AccessShareLock', 'public.q': 'AccessShareLock' }],
  ['LOCK TABLE ov IN SHARE MODE', { 'public.ov': 'ShareLock', 'public.o': 'ShareLock', 'public.q': 'ShareLock' }],
  ['CREATE VIEW v2 AS SELECT * FROM ov', { 'public.v2': 'AccessExclusiveLock', 'public.ov': 'AccessShareLock' }],
  ['CREATE OR REPLACE VIEW ovv AS SELECT * FROM ov', { 'public.ovv': 'AccessExclusiveLock', 'public.ov': 'AccessShareLock' }],
  ['ALTER VIEW ovv RENAME TO ovv2', { 'public.ovv2': 'AccessExclusiveLock' }],
  ['DROP VIEW ovv', { 'public.ovv': 'AccessExclusiveLock' }],
  ['CREATE TABLE x AS SELECT * FROM t', { 'public.x': 'AccessExclusiveLock', 'public.t': 'AccessShareLock' }],
  ['SELECT * INTO x2 FROM ov', { 'public.x2': 'AccessExclusiveLock', 'public.ov': 'AccessShareLock', 'public.o': 'AccessShareLock', 'public.q': 'AccessShareLock' }],
  ['CREATE MATERIALIZED VIEW om2 AS SELECT * FROM q', { 'public.om2': 'AccessExclusiveLock', 'public.q': 'AccessShareLock' }],
  ['REFRESH MATERIALIZED VIEW om', { 'public.om': 'AccessExclusiveLock', 'public.o': 'AccessShareLock' }],
  ['DROP MATERIALIZED VIEW om', { 'public.om': 'AccessExclusiveLock' }],
  // DDL that names other tables.
  ['CREATE TABLE yl (LIKE t INCLUDING ALL)', { 'public.yl': 'AccessExclusiveLock', 'public.t': 'AccessShareLock' }],
  ['CREATE TABLE yi () INHERITS (c)', { 'public.yi': 'AccessExclusiveLock', 'public.c': 'ShareUpdateExclusiveLock' }],
  ['CREATE TABLE pt3 PARTITION OF pt FOR VALUES FROM (20) TO (30)', { 'public.pt3': 'AccessExclusiveLock', 'public.pt': 'AccessExclusiveLock' }],
  ["COMMENT ON TABLE t IS 'x'", { 'public.t': 'ShareUpdateExclusiveLock' }],
  ["COMMENT ON COLUMN app.s.x IS 'x'", { 'app.s': 'ShareUpdateExclusiveLock' }],
  ["COMMENT ON CONSTRAINT r_code_fk ON r IS 'x'", { 'public.r': 'AccessShareLock' }],
  ["COMMENT ON INDEX t_n_idx IS 'x'", {}],
  // PostgreSQL 16+ reads the table's row under ACCESS SHARE; 15 takes no lock: predicted as 15 (a read is not judged).
  ['GRANT SELECT ON t TO PUBLIC', {}, { pg18: { 'public.t': 'AccessShareLock' } }],
  ['ANALYZE t', { 'public.t': 'ShareUpdateExclusiveLock' }],
  ['REINDEX TABLE t', { 'public.t': 'ShareLock' }],
  // An enum is no table: ADD VALUE locks the type (an object lock), no table.
  ["ALTER TYPE mood ADD VALUE 'c'", {}],
  // A partitioned table's DDL locks its partitions, at any depth; ONLY does not.
  ['ALTER TABLE pp ADD COLUMN extra integer', { 'public.pp': 'AccessExclusiveLock', 'public.pp1': 'AccessExclusiveLock', 'public.pp2': 'AccessExclusiveLock', 'public.pp21': 'AccessExclusiveLock' }],
  ['CREATE INDEX pp_k_idx ON pp (k)', { 'public.pp': 'ShareLock', 'public.pp1': 'ShareLock', 'public.pp2': 'ShareLock', 'public.pp21': 'ShareLock' }],
  ['CREATE INDEX pp_k_only_idx ON ONLY pp (k)', { 'public.pp': 'ShareLock' }],
  ['LOCK TABLE pp IN SHARE MODE', { 'public.pp': 'ShareLock', 'public.pp1': 'ShareLock', 'public.pp2': 'ShareLock', 'public.pp21': 'ShareLock' }],
  ['TRUNCATE pp', { 'public.pp': 'AccessExclusiveLock', 'public.pp1': 'AccessExclusiveLock', 'public.pp2': 'AccessExclusiveLock', 'public.pp21': 'AccessExclusiveLock' }],
  ['DROP INDEX pp_k_idx0', { 'public.pp': 'AccessExclusiveLock', 'public.pp1': 'AccessExclusiveLock', 'public.pp2': 'AccessExclusiveLock', 'public.pp21': 'AccessExclusiveLock' }],
  ['UPDATE pp SET id = id', { 'public.pp': 'RowExclusiveLock', 'public.pp1': 'RowExclusiveLock', 'public.pp2': 'RowExclusiveLock', 'public.pp21': 'RowExclusiveLock' }],
];

/** The strongest lock on each relation, reads included: the prediction must name them all. */
function strongestByTable(locks: readonly { mode: string; relation: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of locks) if (!out[l.relation] || lockStrength(l.mode) > lockStrength(out[l.relation]!)) out[l.relation] = l.mode;
  return out;
}

const qualified = (locks: readonly PredictedLock[]) => locks.map((l) => ({ mode: l.mode, relation: l.table.includes('.') ? l.table : `public.${l.table}` }));

/**
 * A predicted lock on a relation the statement renames away (or moves to another schema) is seen under its new name. (One it
 * drops is seen under its old one: the rehearsal names it from the catalog as it was before.)
 */
function gone(sql: string, table: string): boolean {
  const name = table.replace(/^public\./, '');
  return new RegExp(`^ALTER (TABLE|VIEW|SEQUENCE) (${name}|${table}) (RENAME TO|SET SCHEMA) `).test(sql);
}

/**
 * The prediction, strongest per table, must be the observed locks exactly (less the relations
 * gone); a lock only rows' triggers take (ifRows) counts where it was taken.
 */
function expectPrediction(sql: string, predicted: readonly PredictedLock[], expected: Record<string, string>) {
  const taken = predicted.filter((l) => {
    const observed = expected[l.table.includes('.') ? l.table : `public.${l.table}`];
    return !l.ifRows || (observed !== undefined && lockStrength(observed) >= lockStrength(l.mode));
  });
  const seen = strongestByTable(qualified(taken));
  for (const t of Object.keys(seen).filter((t) => !(t in expected))) expect(gone(sql, t), `${t} predicted`).toBe(true);
  expect(Object.fromEntries(Object.entries(seen).filter(([t]) => t in expected))).toEqual(expected);
}

function suite(name: string, major: 15 | 18, open: () => Promise<{ db: RehearsalDatabase; done: () => Promise<void> }>) {
  describe(name, () => {
    let db: RehearsalDatabase;
    let done: () => Promise<void>;
    beforeAll(async () => {
      await loadSqlParser();
      ({ db, done } = await open());
      await db.exec(setup);
    });
    afterAll(async () => done?.());

    it.each(cases)('%s', async (sql, expected, newer) => {
      const { ok, runs } = await runObserved(db, `BEGIN;\n${sql};\nROLLBACK;`, []);
      expect(ok).toBe(true);
      const run = runs.find((r) => r.text === `${sql};`)!; // the query as psql sends it
      expect(run.disagreement).toBeUndefined();
      expect(strongestByTable(run.locks!)).toEqual(major === 18 && newer?.pg18 ? newer.pg18 : expected);
      const parsed = parseSql(sql);
      // The analysis predicts the same from the schema it tracks (the setup, as a baseline).
      const state = new SchemaState();
      const baseline = parseSql(setup);
      if (baseline.ok) for (const st of baseline.statements) state.apply(st.ast, false);
      if (!parsed.ok) throw new Error(`${sql} does not parse`);
      const fromState = predictLocks(parsed.statements[0]!.ast, state);
      // Every case predicts a lock, except one that takes none.
      expect(fromState.length > 0).toBe(Object.keys(expected).length > 0);
      expectPrediction(sql, fromState, expected);
      // And verify's own, from the live catalog, the same.
      expectPrediction(sql, run.predicted ?? [], expected);
    });
  });
}

suite('on PGlite', 18, async () => {
  const db = await PGlite.create();
  return {
    db: { exec: (s) => db.exec(s), query: async <T,>(s: string) => ({ rows: (await db.query<T>(s)).rows }), close: () => db.close() },
    done: () => db.close(),
  };
});

if (process.env.MIGC_TEST_DATABASE_URL) {
  suite('on a real PostgreSQL server', 15, async () => {
    const outcome = await serverEngine({ databaseUrl: process.env.MIGC_TEST_DATABASE_URL! });
    if (!outcome.ok) throw new Error(outcome.problem);
    const engine: Engine = outcome.engine;
    const db = await engine.open();
    return { db, done: async () => { await db.close(); await engine.dispose(); } };
  });
}

/**
 * DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY cannot run in a transaction, so no
 * statement of their own can read their locks: another session does, while each waits for a
 * transaction that has read the table (it holds its locks on the table by then, to the end).
 */
describe.skipIf(!process.env.MIGC_TEST_DATABASE_URL)('DROP INDEX and REINDEX INDEX CONCURRENTLY on a real PostgreSQL server, seen from another session', () => {
  const database = `migc_locks_${randomBytes(4).toString('hex')}`;
  const url = () => {
    const u = new URL(process.env.MIGC_TEST_DATABASE_URL!);
    u.pathname = `/${database}`;
    return u.toString();
  };
  let admin: pg.Client;
  let reader: pg.Client;
  let dropper: pg.Client;
  let observer: pg.Client;
  beforeAll(async () => {
    await loadSqlParser();
    admin = new pg.Client({ connectionString: process.env.MIGC_TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    [reader, dropper, observer] = [new pg.Client({ connectionString: url() }), new pg.Client({ connectionString: url() }), new pg.Client({ connectionString: url() })];
    for (const c of [reader, dropper, observer]) await c.connect();
    await observer.query(setup);
  });
  afterAll(async () => {
    for (const c of [reader, dropper, observer]) await c?.end().catch(() => undefined);
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
  });

  it.each([
    ['DROP INDEX CONCURRENTLY t_n_idx', 't', 'CREATE INDEX t_n_idx ON t (n)', { 'public.t': 'ShareUpdateExclusiveLock' }],
    ['DROP INDEX CONCURRENTLY IF EXISTS app.s_x_idx', 'app.s', 'CREATE INDEX s_x_idx ON app.s (x)', { 'app.s': 'ShareUpdateExclusiveLock' }],
    ['REINDEX INDEX CONCURRENTLY t_n_idx', 't', 'SELECT 1', { 'public.t': 'ShareUpdateExclusiveLock' }],
    // It waits for the queries on the parent holding no table lock at all (seen on PG15): its
    // first transaction (SHARE UPDATE EXCLUSIVE on both) has committed, and its second (the same
    // on the parent, ACCESS EXCLUSIVE on the partition, which the parent's queries no longer see)
    // is brief. Predicted as the first.
    ['ALTER TABLE pt DETACH PARTITION pt2 CONCURRENTLY', 'pt', 'ALTER TABLE pt ATTACH PARTITION pt2 FOR VALUES FROM (10) TO (20)', {}],
  ] as const)('%s', async (sql, table, recreate, expected) => {
    const pid = (await dropper.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await reader.query('BEGIN');
    await reader.query(`SELECT count(*) FROM ${table}`);
    const dropping = dropper.query(sql);
    let locks: { mode: string; relation: string }[] = [];
    for (let waited = 0; ; waited += 20) {
      const { rows } = await observer.query<{ mode: string; relation: string; granted: boolean }>(
        `SELECT l.mode, n.nspname || '.' || c.relname AS relation, l.granted FROM pg_locks l
           LEFT JOIN pg_class c ON c.oid = l.relation AND c.relkind IN ('r', 'p') LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE l.pid = $1`, [pid]);
      if (rows.some((r) => !r.granted)) {
        locks = rows.filter((r) => r.granted && r.relation !== null);
        break;
      }
      if (waited > 10_000) throw new Error(`${sql} never waited for the reader`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await reader.query('COMMIT');
    await dropping;
    await observer.query(recreate);
    expect(strongestByTable(locks)).toEqual(expected);
    const parsed = parseSql(sql);
    if (!parsed.ok) throw new Error(`${sql} does not parse`);
    if (sql.includes('DETACH')) {
      expect(predictLocks(parsed.statements[0]!.ast)).toEqual([{ table: 'pt', mode: 'ShareUpdateExclusiveLock' }, { table: 'pt2', mode: 'ShareUpdateExclusiveLock', reason: { kind: 'partition named', action: 'detaches' } }]);
      return;
    }
    const state = new SchemaState();
    const baseline = parseSql(setup);
    if (baseline.ok) for (const st of baseline.statements) state.apply(st.ast, false);
    expect(strongestByTable(predictLocks(parsed.statements[0]!.ast, state).map((l) => ({ mode: l.mode, relation: l.table.includes('.') ? l.table : `public.${l.table}` })))).toEqual(expected);
  });
});

describe('the prediction, from the parse tree alone', () => {
  const predict = (sql: string, catalog?: Parameters<typeof predictLocks>[1]) => {
    const parsed = parseSql(sql);
    if (!parsed.ok) throw new Error(`${sql} does not parse`);
    return predictLocks(parsed.statements[0]!.ast, catalog);
  };
  beforeAll(() => loadSqlParser());

  it('reads a sequence name as regclass does: folded to lower case unless quoted, through casts', () => {
    expect(predict(`SELECT nextval('App."Odd_Seq"'::text::regclass), setval('Plain_Seq', 1), currval(pg_get_serial_sequence('app.Orders', 'id'))`)).toEqual([
      { table: 'app.Odd_Seq', mode: 'RowExclusiveLock' }, { table: 'plain_seq', mode: 'RowExclusiveLock' }, { table: 'app.orders_id_seq', mode: 'RowExclusiveLock' },
    ]);
    // A name computed at run time cannot be read: nothing is predicted for it.
    expect(predict("SELECT nextval(format('%s_seq', 'orders'))")).toEqual([]);
  });

  it('COPY FROM writes as INSERT does, COPY TO reads; a name WITH gives is no table', () => {
    const catalog = catalogOf([{ name: 'c_t_fk', table: 'c', columns: ['t_id'], references: 't', refColumns: ['id'] }], { sequences: [{ table: 'c', column: 'id', sequence: 'c_id_seq' }] });
    expect(predict('COPY c (t_id) FROM STDIN', catalog)).toEqual([
      { table: 'c', mode: 'RowExclusiveLock' }, { table: 't', mode: 'RowShareLock', ifRows: true }, { table: 'c_id_seq', mode: 'RowExclusiveLock', ifRows: true },
    ]);
    expect(predict('COPY c (id, t_id) FROM STDIN', catalog).map((l) => l.table)).toEqual(['c', 't']);
    expect(predict('COPY c TO STDOUT')).toEqual([{ table: 'c', mode: 'AccessShareLock' }]);
    // A sequence being created is new (nobody sees it before COMMIT); OWNED BY reads its table.
    expect(predict('CREATE SEQUENCE app.s2 OWNED BY app.s.x')).toEqual([{ table: 'app.s', mode: 'AccessShareLock' }]);
    expect(predict('WITH t AS (SELECT 1) SELECT * FROM t, app.t')).toEqual([{ table: 'app.t', mode: 'AccessShareLock' }]);
  });

  it('ownColumns only skips own keys that could not be kept: the same keys as without it', () => {
    const state = new SchemaState();
    const ddl = parseSql(`
      CREATE TABLE p (id bigint PRIMARY KEY, code text UNIQUE);
      CREATE TABLE r (id bigint PRIMARY KEY, p_id bigint REFERENCES p, p_code text, CONSTRAINT r_code_fk FOREIGN KEY (p_code) REFERENCES p (code), note text);
      CREATE TABLE tree (id bigint PRIMARY KEY, parent_id bigint REFERENCES tree, p_id bigint REFERENCES p, note text);
      CREATE TABLE rr (id bigint PRIMARY KEY, r_id bigint REFERENCES r);`);
    if (!ddl.ok) throw new Error('the DDL does not parse');
    for (const st of ddl.statements) state.apply(st.ast, false);
    const names = (keys: readonly { name: string }[]) => keys.map((k) => k.name);
    for (const table of ['r', 'tree', 'p']) {
      for (const set of [[], ['note'], ['p_code'], ['id'], ['parent_id', 'note'], ['id', 'p_id']]) {
        const columns = new Set(set);
        const keep = (_name: string, f: { columns: readonly string[]; references: string }) => f.columns.some((c) => columns.has(c)) || f.references === table;
        expect(names(state.foreignKeysAt(table, { keep, ownColumns: columns }))).toEqual(names(state.foreignKeysAt(table, { keep })));
      }
    }
    // And it does skip: r's keys are not looked at for a column none of them has.
    let asked = 0;
    state.foreignKeysAt('r', { ownColumns: new Set(['note']), keep: () => (asked++, true) });
    expect(asked).toBe(1); // rr's key, at the referencing end
  });

  it('keeps the firm lock on a table beside a stronger one only rows take', () => {
    const catalog = catalogOf([{ name: 'c_t_fk', table: 'c', columns: ['t_id'], references: 't', refColumns: ['id'] }]);
    expect(predict('UPDATE c SET t_id = (SELECT max(id) FROM t)', catalog)).toEqual([
      { table: 'c', mode: 'RowExclusiveLock' }, { table: 't', mode: 'AccessShareLock' }, { table: 't', mode: 'RowShareLock', ifRows: true },
    ]);
    // An UPDATE that sets no column of the key fires no check.
    expect(predict('UPDATE c SET note = (SELECT max(id) FROM t)', catalog)).toEqual([{ table: 'c', mode: 'RowExclusiveLock' }, { table: 't', mode: 'AccessShareLock' }]);
  });
});

describe('disagreements are reported', () => {
  it('but not for a lock only the rows a statement changes would take, nor for a relation it created', () => {
    expect(disagreement([{ table: 't', mode: 'RowExclusiveLock' }, { table: 'p', mode: 'RowShareLock', ifRows: true }], new Set(['RowExclusiveLock\tpublic.t']), [{ mode: 'RowExclusiveLock', relation: 'public.t' }], new Set(['public.t', 'public.p']))).toBeUndefined();
    expect(disagreement([{ table: 'y', mode: 'AccessExclusiveLock' }], new Set(), [{ mode: 'AccessExclusiveLock', relation: 'public.y_id_seq' }], new Set(['public.y', 'public.y_id_seq']), new Set(['public.y', 'public.y_id_seq']))).toBe('predicted AccessExclusiveLock on public.y, but it held no lock');
    // Stronger than the conditional prediction is still a disagreement.
    expect(disagreement([{ table: 'p', mode: 'RowShareLock', ifRows: true }], new Set(), [{ mode: 'ShareLock', relation: 'public.p' }], new Set(['public.p']))).toBe('took ShareLock on public.p, predicted RowShareLock');
  });

  it('when a statement takes a stronger lock than predicted', () => {
    const held = new Set(['AccessExclusiveLock\tpublic.t']);
    expect(disagreement([{ table: 't', mode: 'ShareLock' }], held, [{ mode: 'AccessExclusiveLock', relation: 'public.t' }], new Set(['public.t'])))
      .toBe('took AccessExclusiveLock on public.t, predicted ShareLock');
  });

  it('when a predicted lock is not held', () => {
    expect(disagreement([{ table: 't', mode: 'ShareLock' }], new Set(), [], new Set(['public.t']))).toBe('predicted ShareLock on public.t, but it held no lock');
  });
});
