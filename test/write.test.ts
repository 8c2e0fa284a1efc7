import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { outputPath, writePlanOutputs } from '../src/write/write.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'migc-write-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writing outputs', () => {
  it('refuses any path outside the output folder', () => {
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', '', '.']) expect(() => outputPath(join(dir, 'out'), bad)).toThrow(/outside the output folder/);
    expect(outputPath(join(dir, 'out'), 'plan/report.md')).toBe(join(dir, 'out/plan/report.md'));
  });

  it('writes, then leaves unchanged files alone, and leaves no temporary files', async () => {
    const out = join(dir, 'out');
    const files = [{ path: 'p/report.md', contents: '# r\n' }, { path: 'p/01-a.up.sql', contents: 'SELECT 1;\n' }];
    expect(await writePlanOutputs(out, 'p', files)).toEqual({ written: ['p/report.md', 'p/01-a.up.sql'], unchanged: [], removed: [] });
    expect(await writePlanOutputs(out, 'p', files)).toEqual({ written: [], unchanged: ['p/report.md', 'p/01-a.up.sql'], removed: [] });
    expect(readdirSync(join(out, 'p')).sort()).toEqual(['01-a.up.sql', 'report.md']);
    expect(readFileSync(join(out, 'p/report.md'), 'utf8')).toBe('# r\n');
  });

  it('refuses a file that is not in the plan folder', async () => {
    await expect(writePlanOutputs(join(dir, 'out'), 'p', [{ path: 'q/report.md', contents: '' }])).rejects.toThrow(/is not in p\//);
  });
});
