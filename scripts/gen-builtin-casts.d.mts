export interface CastFacts {
  readonly major: number;
  readonly types: readonly string[];
  readonly stringTypes: readonly string[];
  readonly casts: readonly { readonly source: string; readonly target: string; readonly context: string }[];
}
export function castFacts(query: (sql: string) => Promise<{ rows: any[] }>): Promise<CastFacts>;
export function castTableSource(facts: CastFacts): string;
