import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { migrationOrder } from '../src/lint-files.js';
import { root } from './helpers.js';

/**
 * Realistic migration folders (Flyway, golang-migrate with down files, dbmate with its
 * migrate:down section, a Rails structure dump) where every statement carries the verdict it
 * deserves: `-- expect: MG201 MG219` or `-- expect: safe`. The hazard codes reported (errors
 * and warnings) at each statement must be exactly those: every unsafe statement flagged, no
 * safe statement flagged. Files are linted in the order their tool runs them (migrationOrder).
 */
const corpus = `${root}test/fixtures/corpus`;

describe.each(readdirSync(corpus).sort())('%s', (tool) => {
  const files = migrationOrder(readdirSync(`${corpus}/${tool}`).filter((f) => f.endsWith('.sql')).map((f) => `${tool}/${f}`));
  const texts = Object.fromEntries(files.map((f) => [f, readFileSync(`${corpus}/${f}`, 'utf8')]));

  it('gets the verdict of every statement right', async () => {
    const result = await lint({ files }, memoryHost(texts));
    const wrong: string[] = [];
    let statements = 0;
    for (const file of files) {
      const lines = texts[file]!.split('\n');
      lines.forEach((line, i) => {
        const m = /^-- expect: (.*)$/.exec(line);
        if (!m) return;
        statements++;
        const expected = m[1] === 'safe' ? [] : m[1]!.split(/\s+/).sort();
        const at = i + 2; // the statement starts on the next line
        const found = result.diagnostics
          .filter((d) => d.file === file && d.severity !== 'info' && d.span && result.sources.get(file)!.position(d.span.start).line === at)
          .map((d) => d.code)
          .sort();
        if (found.join(' ') !== expected.join(' ')) wrong.push(`${file}:${at}: expected ${expected.join(' ') || 'safe'}, got ${found.join(' ') || 'safe'}`);
      });
    }
    expect(statements).toBeGreaterThan(0);
    expect(wrong).toEqual([]);
    // Nothing may be reported on lines that carry no verdict.
    const stray = result.diagnostics.filter((d) => d.severity !== 'info' && d.span && !/^-- expect:/.test(texts[d.file]!.split('\n')[result.sources.get(d.file)!.position(d.span.start).line - 2] ?? ''));
    expect(stray.map((d) => `${d.file} ${d.code} ${d.message}`)).toEqual([]);
  });
});
