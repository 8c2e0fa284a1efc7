import type { Expectation, Verification } from '../../normalize/model.js';
import { dollarQuote, sqlLiteral } from '../../sql/quote.js';

/**
 * A verification as a statement that stops the script when the expectation fails:
 * the query's single value is compared in SQL, and a failure raises an error naming the step,
 * the expectation and the value found. The query ends its own line, so a trailing comment in
 * it cannot swallow the rest; the body's tag is one the body does not contain.
 */
export function compileAssertion(v: Verification, label: string): string {
  return `DO ${dollarQuote(`
DECLARE
  actual text;
  passed boolean;
BEGIN
  SELECT verification.value::text, ${comparison(v.expect)} INTO actual, passed
    FROM (
${indent(v.sql, 6)}
    ) AS verification(value);
  IF passed IS NOT TRUE THEN
    RAISE EXCEPTION 'migc: % failed: expected %, got %', ${sqlLiteral(label)}, ${sqlLiteral(v.expect.text)}, coalesce(actual, 'no row');
  END IF;
END
`)}`;
}

function comparison(e: Expectation): string {
  return `verification.value ${e.operator} ${String(e.value)}`;
}

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text.split('\n').map((l) => (l.trim() ? pad + l : '')).join('\n');
}
