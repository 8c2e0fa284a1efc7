import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { lint } from '../src/lint.js';
import { root } from './helpers.js';

/**
 * lint judges plain files: its findings speak of files and transactions, never of a plan's steps,
 * of what migc does when it writes a plan's scripts, or of migc's own example plans.
 */
it("lint's findings speak of files and transactions, not of plan steps", async () => {
  const fixtures = `${root}test/fixtures/rules`;
  const files: Record<string, string> = { 'schema.sql': readFileSync(`${fixtures}/schema.sql`, 'utf8') };
  for (const code of readdirSync(fixtures).filter((f) => /^MG\d{3}$/.test(f))) {
    for (const f of readdirSync(`${fixtures}/${code}`).filter((n) => n.endsWith('.sql'))) files[`${code}/${f}`] = readFileSync(`${fixtures}/${code}/${f}`, 'utf8');
  }
  const result = await lint({ files: Object.keys(files) }, memoryHost(files));
  const codes = new Set(result.diagnostics.map((d) => d.code));
  // The check is only as good as the findings it reads: most hazard rules must have spoken.
  for (const code of ['MG112', 'MG201', 'MG202', 'MG207', 'MG208', 'MG212', 'MG217', 'MG218', 'MG220']) expect(codes).toContain(code);
  const planTalk = /\bsteps?\b|migc (runs|arranges|writes)|plans\/|in plans\b/i;
  const wrong = result.diagnostics.filter((d) => planTalk.test(`${d.message} ${d.help ?? ''}`)).map((d) => `${d.file} ${d.code}: ${d.message} / ${d.help}`);
  expect(wrong).toEqual([]);
});
