import type { PgNode } from '../../sql/parser.js';
import { relationName } from '../../sql/facts.js';
import { columnType, type ColumnType } from './types.js';

export interface ColumnState {
  type?: ColumnType;
  notNull: boolean;
}

export interface TableState {
  readonly name: string;
  /** Created by the plan or file being analysed (not the baseline): new and empty. */
  readonly createdHere: boolean;
  readonly columns: Map<string, ColumnState>;
  /** CHECK constraints of the form (col IS NOT NULL), by name: column and whether validated. */
  readonly notNullChecks: Map<string, { column: string; validated: boolean }>;
  readonly indexes: Set<string>;
  /** Columns that identify one row on their own: a one-column primary key or unique constraint. */
  readonly uniqueColumns: Set<string>;
}

/** "users" and "public.users" are the same table under the default search_path. */
export function tableKey(name: string): string {
  return name.startsWith('public.') ? name.slice('public.'.length) : name;
}

/**
 * What the analysis knows of the schema at a point in a plan or file: learnt from the baseline,
 * then from each statement as it is analysed. It only needs what the rules ask: which tables
 * exist and were created here, column types and nullability, validated NOT NULL checks.
 */
export class SchemaState {
  readonly tables = new Map<string, TableState>();
  /** Indexes created here, by name, with their table. */
  readonly newIndexes = new Map<string, string>();

  /** After a file: what it created is no longer new (the next migration may run months later). */
  settle(): void {
    for (const [k, t] of this.tables) if (t.createdHere) this.tables.set(k, { ...t, createdHere: false });
    this.newIndexes.clear();
  }

  /** An independent copy, to analyse a rollback against the schema as it was after its step. */
  clone(): SchemaState {
    const copy = new SchemaState();
    for (const [k, t] of this.tables) {
      copy.tables.set(k, {
        ...t,
        columns: new Map([...t.columns].map(([c, s]) => [c, { ...s }])),
        notNullChecks: new Map([...t.notNullChecks].map(([c, s]) => [c, { ...s }])),
        indexes: new Set(t.indexes),
        uniqueColumns: new Set(t.uniqueColumns),
      });
    }
    for (const [k, v] of this.newIndexes) copy.newIndexes.set(k, v);
    return copy;
  }

  table(name: string): TableState | undefined {
    return this.tables.get(tableKey(name));
  }

  /** Whether a table is new in this plan or file (created here, so empty): locking it is harmless. */
  isNew(name: string): boolean {
    return this.table(name)?.createdHere === true;
  }

  hasValidatedNotNullCheck(table: string, column: string): boolean {
    return [...(this.table(table)?.notNullChecks.values() ?? [])].some((c) => c.column === column && c.validated);
  }

  /** Learns from a statement that has run (baseline) or will run before the next one. */
  apply(ast: PgNode, createdHere: boolean): void {
    const [kind, body] = Object.entries(ast)[0] as [string, Record<string, any>];
    switch (kind) {
      case 'CreateStmt': {
        const name = tableKey(relationName(body.relation));
        const table: TableState = { name, createdHere, columns: new Map(), notNullChecks: new Map(), indexes: new Set(), uniqueColumns: new Set() };
        for (const elt of body.tableElts ?? []) {
          if (elt.ColumnDef) {
            table.columns.set(elt.ColumnDef.colname, columnState(elt.ColumnDef));
            const kinds = (elt.ColumnDef.constraints ?? []).map((c: { Constraint?: { contype?: string } }) => c.Constraint?.contype);
            if (kinds.includes('CONSTR_PRIMARY') || kinds.includes('CONSTR_UNIQUE')) table.uniqueColumns.add(elt.ColumnDef.colname);
          }
          if (elt.Constraint) this.addConstraint(table, elt.Constraint);
        }
        this.tables.set(name, table);
        return;
      }
      case 'CreateTableAsStmt': {
        const name = tableKey(relationName(body.into?.rel));
        this.tables.set(name, { name, createdHere, columns: new Map(), notNullChecks: new Map(), indexes: new Set(), uniqueColumns: new Set() });
        return;
      }
      case 'AlterTableStmt': {
        const table = this.table(relationName(body.relation));
        if (!table) return;
        for (const c of body.cmds ?? []) {
          const cmd = c.AlterTableCmd;
          switch (cmd?.subtype) {
            case 'AT_AddColumn':
              table.columns.set(cmd.def.ColumnDef.colname, columnState(cmd.def.ColumnDef));
              break;
            case 'AT_DropColumn':
              table.columns.delete(cmd.name);
              break;
            case 'AT_AlterColumnType': {
              const col = table.columns.get(cmd.name);
              const type = columnType(cmd.def?.ColumnDef?.typeName);
              if (col && type) col.type = type;
              break;
            }
            case 'AT_SetNotNull':
              if (table.columns.get(cmd.name)) table.columns.get(cmd.name)!.notNull = true;
              break;
            case 'AT_DropNotNull':
              if (table.columns.get(cmd.name)) table.columns.get(cmd.name)!.notNull = false;
              break;
            case 'AT_AddConstraint':
              this.addConstraint(table, cmd.def.Constraint);
              break;
            case 'AT_ValidateConstraint': {
              const check = table.notNullChecks.get(cmd.name);
              if (check) check.validated = true;
              break;
            }
            case 'AT_DropConstraint':
              table.notNullChecks.delete(cmd.name);
              break;
          }
        }
        return;
      }
      case 'RenameStmt': {
        if (body.renameType === 'OBJECT_TABLE') {
          const table = this.table(relationName(body.relation));
          if (!table) return;
          this.tables.delete(table.name);
          const renamed = { ...table, name: tableKey(body.relation.schemaname ? `${body.relation.schemaname}.${body.newname}` : body.newname) };
          this.tables.set(renamed.name, renamed);
        } else if (body.renameType === 'OBJECT_COLUMN') {
          const table = this.table(relationName(body.relation));
          const col = table?.columns.get(body.subname);
          if (table && col) {
            table.columns.delete(body.subname);
            table.columns.set(body.newname, col);
          }
        }
        return;
      }
      case 'DropStmt':
        if (body.removeType === 'OBJECT_TABLE') {
          for (const o of body.objects ?? []) this.tables.delete(tableKey((o.List?.items ?? []).map((i: { String?: { sval?: string } }) => i.String?.sval).join('.')));
        }
        return;
      case 'IndexStmt': {
        if (body.idxname && createdHere) this.newIndexes.set(body.idxname, tableKey(relationName(body.relation)));
        const params = body.indexParams ?? [];
        if (body.unique && params.length === 1 && params[0].IndexElem?.name) this.table(relationName(body.relation))?.uniqueColumns.add(params[0].IndexElem.name);
        return;
      }
    }
  }

  private addConstraint(table: TableState, c: Record<string, any> | undefined): void {
    if ((c?.contype === 'CONSTR_PRIMARY' || c?.contype === 'CONSTR_UNIQUE') && c.keys?.length === 1) table.uniqueColumns.add(c.keys[0].String?.sval);
    if (c?.contype !== 'CONSTR_CHECK') return;
    const column = isNotNullCheck(c.raw_expr);
    if (column && c.conname) table.notNullChecks.set(c.conname, { column, validated: !c.skip_validation });
  }
}

function columnState(def: Record<string, any>): ColumnState {
  const notNull = (def.constraints ?? []).some((c: { Constraint?: { contype?: string } }) => c.Constraint?.contype === 'CONSTR_NOTNULL' || c.Constraint?.contype === 'CONSTR_PRIMARY') || def.is_not_null === true;
  const type = columnType(def.typeName);
  return { ...(type ? { type } : {}), notNull };
}

/** The column of a CHECK (col IS NOT NULL) expression, or undefined for any other check. */
export function isNotNullCheck(expr: Record<string, any> | undefined): string | undefined {
  const test = expr?.NullTest;
  if (test?.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = test.arg?.ColumnRef?.fields ?? [];
  return fields.length === 1 ? fields[0].String?.sval : undefined;
}
