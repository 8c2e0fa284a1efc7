import { node, relationName } from './ast.js';
import type { StatementRule } from '../sql/context.js';
import { andList } from './statement-locks.js';
import { quoteIdent, quoteName } from '../../sql/quote.js';

/** The privileges on a table that let a role change or empty it, or fire code on it. */
const tableWrites = new Set(['insert', 'update', 'delete', 'truncate', 'trigger', 'references']);

type Priv = { AccessPriv?: { priv_name?: string; cols?: unknown[] } };

/**
 * GRANT to PUBLIC (every role there is, and every role made later) of what lets a role change
 * what others rely on: CREATE (or ALL) on a schema, and the writes on a table or sequence. CREATE
 * on a schema others put on their search_path lets any role put a function or operator there that
 * their queries call instead of the one they meant (CVE-2018-1058, why PostgreSQL 15 took CREATE
 * on public away from PUBLIC); INSERT, UPDATE, DELETE, TRUNCATE on a table let any role change or
 * empty it. The twenty-seventh trial's M2: pg_search's update scripts granted ALL on its schema
 * and its cache table to PUBLIC, and a later release revoked both. USAGE and SELECT, and EXECUTE
 * (PUBLIC's by default), are not reported.
 */
export const grantToPublic: StatementRule = {
  code: 'MG254',
  name: 'grant-to-public',
  summary: 'GRANT to PUBLIC of CREATE on a schema, or of writes on a table or sequence (ALL included): every role, and every role made later, may then put objects where others\' queries find them, or change and empty the data.',
  severity: 'warning',
  kinds: ['GrantStmt', 'AlterDefaultPrivilegesStmt'],
  check(ctx, report) {
    const [kind, body] = node(ctx.ast);
    const grant = kind === 'AlterDefaultPrivilegesStmt' ? body.action : body;
    if (!grant?.is_grant || !(grant.grantees ?? []).some((g: { RoleSpec?: { roletype?: string } }) => g.RoleSpec?.roletype === 'ROLESPEC_PUBLIC')) return;
    const privileges: Priv[] | undefined = grant.privileges;
    const all = privileges === undefined || privileges.length === 0;
    const named = (privileges ?? []).map((p) => p.AccessPriv?.priv_name ?? '');
    const objects: string[] = (grant.objects ?? []).map((o: { String?: { sval?: string }; RangeVar?: unknown }) => (o.RangeVar ? quoteName(relationName(o.RangeVar as never)) : quoteIdent(o.String?.sval ?? '?')));
    const defaults = grant.targtype === 'ACL_TARGET_DEFAULTS';
    const inSchemas = grant.targtype === 'ACL_TARGET_ALL_IN_SCHEMA';
    if (grant.objtype === 'OBJECT_SCHEMA' && (all || named.includes('create'))) {
      report({
        message: `GRANT ${all ? 'ALL' : 'CREATE'} ON SCHEMA ${andList(objects)} TO PUBLIC lets every role, and every role made later, create functions, operators, tables and types there: a session whose search_path has ${objects.length === 1 ? 'that schema' : 'those schemas'} in it may call an object another role put there instead of the one it meant (CVE-2018-1058; PostgreSQL 15 took CREATE on schema public away from PUBLIC for it)`,
        help: `Grant USAGE to PUBLIC if every role is to use what is there (GRANT USAGE ON SCHEMA ${objects[0]} TO PUBLIC;), and CREATE only to the roles that make objects there.`,
      });
      return;
    }
    const writes = all ? ['ALL'] : named.filter((p) => tableWrites.has(p)).map((p) => p.toUpperCase());
    const sequenceWrite = grant.objtype === 'OBJECT_SEQUENCE' && (all || named.includes('update'));
    if (grant.objtype === 'OBJECT_TABLE' && writes.length > 0) {
      const one = objects.length === 1 && !defaults && !inSchemas;
      const what = defaults ? 'TABLES (the tables made from now on)' : inSchemas ? `ALL TABLES IN SCHEMA ${andList(objects)}` : `TABLE ${andList(objects)}`;
      report({
        message: `${kind === 'AlterDefaultPrivilegesStmt' ? 'ALTER DEFAULT PRIVILEGES ... ' : ''}GRANT ${writes.join(', ')} ON ${what} TO PUBLIC lets every role, and every role made later, ${writes.includes('ALL') || writes.includes('TRUNCATE') || writes.includes('DELETE') ? 'change, delete or empty' : 'change'} ${one ? 'its' : 'their'} rows: the application's roles and any other on the server alike`,
        help: 'Grant the writes to the roles that write (the application\'s role, or a group role it is in), and only SELECT to PUBLIC if every role is to read it.',
      });
      return;
    }
    if (sequenceWrite) {
      report({
        message: `${kind === 'AlterDefaultPrivilegesStmt' ? 'ALTER DEFAULT PRIVILEGES ... ' : ''}GRANT ${all ? 'ALL' : 'UPDATE'} ON ${defaults ? 'SEQUENCES (the sequences made from now on)' : inSchemas ? `ALL SEQUENCES IN SCHEMA ${andList(objects)}` : `SEQUENCE ${andList(objects)}`} TO PUBLIC lets every role setval() ${objects.length === 1 && !defaults && !inSchemas ? 'it' : 'them'}: one call moves a sequence back, and the next INSERTs that take its values collide with the rows there`,
        help: 'Grant USAGE to the roles that insert (nextval is all an INSERT needs), and UPDATE to none.',
      });
    }
  },
};
