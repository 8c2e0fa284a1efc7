import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { indentationSlip } from '../src/load/indentation.js';
import { compileFiles, minimalPlan, root } from './helpers.js';

/**
 * A plan with one line indented a space off: yaml says "Sequence item without - indicator" at
 * column 1 and then an error for every line after it. migc says which line slipped and where it
 * belongs, once (src/load/indentation.ts).
 */
describe('the indentation slip', () => {
  it('finds none in any YAML file yaml reads without an error: the example plans, every fixture, hard valid shapes', () => {
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('node_modules') && !f.startsWith('.git'))
      .map((f) => readFileSync(join(root, f), 'utf8'));
    const shapes = [
      // Lines of a block scalar that look like keys, at any depth.
      'sql: |\n  UPDATE t SET a = 1\n     WHERE b: 2\n  c: 3\nnext: 1\n',
      'sql: >-\n  folded\n    more: indented\nnext: 1\n',
      'a: &anchor |\n  x\nb: 1\n',
      // A quoted value and a flow collection over several lines.
      'title: "a title\n  over two lines"\nrisk: low\n',
      "note: 'it''s\n   long'\nrisk: low\n",
      'tables: { users: { rows: 1 },\n    orders: { rows: 2 } }\nrisk: low\n',
      'allow: [\n  a,\n    b ]\nrisk: low\n',
      // A plain value over several lines.
      'description: one\n  two\n  three\nrisk: low\n',
      // A list in its key's column, anchors and tags, comments anywhere, CRLF, document markers.
      'steps:\n- id: a\n  sql: x\n- id: b\nafter: 1\n',
      'phases: &p\n  - name: a\nother: *p\nx: !!str 1\n',
      '# top\na:\n      # deep comment\n  b: 1\n# left comment\n  c: 2\n',
      'a:\r\n  b: 1\r\n  c:\r\n    - 1\r\n',
      '---\na: 1\n...\n',
      'a:\n  - - 1\n    - 2\n  - 3\n',
    ];
    for (const shape of shapes) expect(parseDocument(shape).errors, shape).toEqual([]);
    const valid = [...files, ...shapes].filter((t) => parseDocument(t).errors.length === 0);
    expect(valid.length).toBeGreaterThan(150);
    for (const text of valid) expect(indentationSlip(text), text.slice(0, 200)).toBeUndefined();
  });

  it.each<[string, string, number, RegExp]>([
    ['a key a space short of its siblings', 'a:\n  b: 1\n c: 2\n  d: 3\n', 3, /^"c:" is indented 1 space, so it lines up with no key above it: "b:" on line 2 is indented 2 spaces$/],
    ['a key short of an item\'s keys', 'a:\n  - x: 1\n   y: 2\n  - z\n', 3, /^"y:" is indented 3 spaces, so it lines up with no key above it: "x:" on line 2 is indented 4 spaces$/],
    ['a key under a line with a value', 'a:\n  b: 1\n    c: 2\n', 3, /^"c:" is indented 4 spaces, deeper than "b:" on line 2 \(2 spaces\), which has a value and so holds no keys$/],
    ['a key after a block scalar', 'steps:\n  - id: a\n    sql: |\n      SELECT 1\n   verify: []\n', 5, /^"verify:" is indented 3 spaces, so it lines up with no key above it: "sql:" on line 3 is indented 4 spaces$/],
    ['the same with CRLF line ends', 'a:\r\n  b: 1\r\n c: 2\r\n', 3, /^"c:" is indented 1 space/],
  ])('says where %s belongs', (_, text, line, message) => {
    expect(parseDocument(text).errors.length).toBeGreaterThan(0);
    const slip = indentationSlip(text);
    expect(slip?.line).toBe(line);
    expect(slip?.message).toMatch(message);
    // The span starts at the line's first character and stays on its line.
    expect(text.slice(slip!.span.start, slip!.span.end)).toMatch(/^\S[^\n\r]*$/);
  });

  it('is one error in a plan, at the slipped key, where yaml gave one per line after it', async () => {
    const plan = minimalPlan.replace('        rollback:\n', '       rollback:\n').replace('migc: 1\n', 'migc: 1\n# a comment\n');
    expect(plan).not.toBe(minimalPlan);
    const r = await compileFiles({ 'plans/a.yaml': plan });
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.code)).toEqual(['MG001']);
    expect(errors[0]!.message).toMatch(/^YAML indentation: "rollback:" is indented 7 spaces, so it lines up with no key above it: "sql:" on line \d+ is indented 8 spaces$/);
    expect(plan.slice(errors[0]!.span!.start, errors[0]!.span!.end)).toBe('rollback:');
  });

  it('is one error for a [ left open, naming its line, where yaml gave one per line to the end of the file', async () => {
    const plan = minimalPlan.replace('phases:\n', 'phases: [\n');
    expect(plan).not.toBe(minimalPlan);
    const r = await compileFiles({ 'plans/a.yaml': plan });
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.code)).toEqual(['MG001']);
    const line = plan.split('\n').findIndex((l) => l === 'phases: [') + 1;
    // At the bracket itself, with where yaml stopped (the line after it).
    expect(errors[0]!.span!.start).toBe(plan.indexOf('phases: [') + 'phases: '.length);
    expect(errors[0]!.message).toBe(`YAML syntax: this [ is not closed (yaml stopped at line ${line + 1}: Block collections are not allowed within flow collections)`);
    expect(errors[0]!.related).toEqual([expect.objectContaining({ message: 'yaml stopped here' })]);
    expect(errors[0]!.help).toMatch(/^Close it with \] \(a flow sequence may go on over several lines, each indented more than its key\), or remove it .* yaml also stopped on (\d+ more lines|lines? [\d, and]+)/);
  });

  it.each([
    ['a { left open at the end of a line, yaml stopping on the next key', 'tables:\n  users: { rows: 1000\nphases:\n', '{', 2, 10, 3],
    ['a { in a step, yaml stopping on the key after it', 'steps:\n  - id: a\n    batch: { size: 100, key: id\n    manual: do it\n', '{', 3, 12, 4],
    ['an outer { left open around a closed inner one', 'tables: { users: { rows: 1 }\n', '{', 1, 9, 2],
    ['a [ left open on the last line', 'tables: [a, b', '[', 1, 9, 1],
    ['a { after multi-byte text on its line', 'title: "Ünïcode ✓"\n"é ✓": { a: 1\nz: 1\n', '{', 2, 8, 3],
  ])('points at %s, line and column', async (_, yaml, bracket, line, column, stoppedAt) => {
    const r = await compileFiles({ 'plans/a.yaml': yaml });
    const first = r.diagnostics.find((d) => d.code === 'MG001')!;
    expect(r.sources.get('plans/a.yaml')!.position(first.span!.start)).toEqual({ line, column });
    expect(first.message).toMatch(new RegExp(`^YAML syntax: this \\${bracket} is not closed \\(yaml stopped at line ${stoppedAt}: `));
  });

  it('leaves yaml\'s own message where the text shows no slip', async () => {
    const r = await compileFiles({ 'plans/a.yaml': 'migc: 1\nphases: [\n  - name: a\n' });
    expect(r.diagnostics.filter((d) => d.code === 'MG001').map((d) => d.message).join('\n')).not.toContain('YAML indentation');
  });
});
