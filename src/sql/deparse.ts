import { createRequire } from 'node:module';

interface Deparser {
  deparse(node: unknown): string;
}

let deparser: Deparser | undefined;

/**
 * The SQL text of a parse tree (an expression, a statement), written by pgsql-deparser from
 * libpg-query's tree: what a fix can print when the text it came from is not at hand (a default
 * remembered as its tree). Loaded on first use with require(), outside the CLI's bundle: few
 * runs need it. Undefined when the deparser cannot write the tree.
 */
export function deparsed(tree: unknown): string | undefined {
  deparser ??= (createRequire(import.meta.url)('pgsql-deparser') as { Deparser: Deparser }).Deparser;
  try {
    return deparser.deparse(tree);
  } catch {
    return undefined;
  }
}
