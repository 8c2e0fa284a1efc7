/**
 * A Map of named things that each involve some columns (a table's constraints, its foreign keys,
 * the indexes), that also tells which columns any of them involves. DROP COLUMN, RENAME COLUMN
 * and a type change look for what involves one column; most such columns are involved in
 * nothing, and a table can have hundreds of constraints and indexes: involves() answers without
 * walking them. When it says yes, the caller walks the map as before, in the map's order.
 *
 * Every change goes through set(), delete(), clear() and changeInPlace(), the schema state's undo
 * journal's too, so what involves() knows is always what the map holds.
 */
export class ByColumnMap<V> extends Map<string, V> {
  /** For each column, how many entries involve it. */
  private readonly involved = new Map<string, number>();

  constructor(private readonly columnsOf: (value: V) => readonly string[]) {
    super();
  }

  /** Whether any entry involves the column. */
  involves(column: string): boolean {
    return this.involved.has(column);
  }

  override set(name: string, value: V): this {
    if (super.has(name)) this.count(super.get(name) as V, -1);
    super.set(name, value);
    this.count(value, 1);
    return this;
  }

  override delete(name: string): boolean {
    if (!super.has(name)) return false;
    this.count(super.get(name) as V, -1);
    return super.delete(name);
  }

  /**
   * Changes an entry's value in place (its columns among what may change), keeping the object and
   * its place in the map's order: for an owner that holds on to the object (MG230 keeps a foreign
   * key's declaration to find it again when the run ends).
   */
  changeInPlace(name: string, change: (value: V) => void): void {
    if (!super.has(name)) return;
    const value = super.get(name) as V;
    this.count(value, -1);
    change(value);
    this.count(value, 1);
  }

  override clear(): void {
    this.involved.clear();
    super.clear();
  }

  private count(value: V, by: 1 | -1): void {
    const columns = this.columnsOf(value);
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      // An entry that names a column twice counts it once.
      if (columns.indexOf(column) !== i) continue;
      const n = (this.involved.get(column) ?? 0) + by;
      if (n > 0) this.involved.set(column, n);
      else this.involved.delete(column);
    }
  }
}
