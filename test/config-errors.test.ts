import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { loadProjectConfig } from '../src/workspace/config.js';

/** The config's problems: `line:column CODE message`, and the help of each. */
async function configProblems(text: string, file = 'migc.config.json'): Promise<{ at: string; help?: string }[]> {
  const loaded = await loadProjectConfig(memoryHost({ [file]: text }), file);
  return loaded.diagnostics.map((d) => {
    const p = loaded.sources.get(file)!.position(d.span?.start ?? 0);
    return { at: `${p.line}:${p.column} ${d.code} ${d.message}`, ...(d.help ? { help: d.help } : {}) };
  });
}

describe('the project config\'s problems, each with its own label and how to fix it', () => {
  it('text that is not JSON is MG025 "JSON syntax", with JSON\'s rules as help, not the plan\'s YAML hints', async () => {
    const [comment] = await configProblems('// production runs 15\n{ "postgres": 15 }\n');
    expect(comment!.at).toMatch(/^1:1 MG025 JSON syntax: /);
    expect(comment!.help).toMatch(/^JSON has no comments/);
    const [extra] = await configProblems('{ "postgres": 15 }}\n');
    expect(extra!.at).toMatch(/^1:19 MG025 JSON syntax: /);
    expect(extra!.help).toMatch(/^The config is JSON: one object in braces/);
    expect(extra!.help).not.toMatch(/block scalar|sql: \|/);
  });

  it('an unclosed { at the bracket, with how to close it', async () => {
    const [open] = await configProblems('{\n  "postgres": 15,\n  "rules": { "MG219": "off" }\n');
    expect(open!.at).toMatch(/^1:1 MG025 JSON syntax: this \{ is not closed/);
    const [inner] = await configProblems('{ "postgres": 15, "rules": { "MG219": "off" ');
    expect(inner!.at).toMatch(/^1:1 MG025 JSON syntax: this \{ is not closed/);
    expect(open!.help).toMatch(/^Close it with \}.*The config is JSON/);
  });

  it('a .json config that YAML reads but JSON does not is MG025, at the first place JSON refuses', async () => {
    const cases: [string, string][] = [
      ['{ postgres: 15 }', '1:3 MG025 JSON syntax: postgres is a key without double quotes'],
      ['postgres: 15\n', '1:1 MG025 JSON syntax: postgres is a key without double quotes'],
      ["{ 'postgres': 15 }", "1:3 MG025 JSON syntax: 'postgres' is in single quotes: JSON's strings and keys take double quotes"],
      ['{ "postgres": 15, }', '1:19 MG025 JSON syntax: a comma after the last item, which JSON does not allow'],
      ['{ "allow_files_outside": ["../a",] }', '1:34 MG025 JSON syntax: a comma after the last item, which JSON does not allow'],
      ['# production runs 15\n{ "postgres": 15 }', '1:1 MG025 JSON syntax: a comment'],
      ['{ "postgres": 15 } # production\n', '1:20 MG025 JSON syntax: a comment'],
      ['{ "svg": yes }', '1:10 MG025 JSON syntax: yes is not a JSON value (a string in double quotes, a number, true, false, null, an object or an array)'],
      ['{ "postgres": 015 }', '1:15 MG025 JSON syntax: 015 is not a number as JSON writes one (no leading zero, no leading or trailing dot)'],
      ['{ "postgres": 15 "svg": true }', '1:18 MG025 JSON syntax: a comma is missing before this item'],
    ];
    for (const [text, at] of cases) {
      const problems = await configProblems(text);
      expect(problems.map((p) => p.at), text).toEqual([at]);
    }
    const [comment] = await configProblems('{ "postgres": 15 } # production\n');
    expect(comment!.help).toMatch(/^JSON has no comments/);
    // The same text in a .yaml config is YAML, and fine.
    expect(await configProblems('postgres: 15\n', 'migc.config.yaml')).toEqual([]);
    expect(await configProblems('{ "postgres": 15 }\n')).toEqual([]);
    // An editor's byte order mark is not part of the JSON; places after it are the file's own.
    expect(await configProblems('\uFEFF{ "postgres": 15 }\n')).toEqual([]);
    expect((await configProblems('\uFEFF{ postgres: 15 }\n')).map((p) => p.at)).toEqual(['1:4 MG025 JSON syntax: postgres is a key without double quotes']);
  });

  it('a .yaml config is said to be YAML', async () => {
    const [bad] = await configProblems('postgres: [15\n', 'migc.config.yaml');
    expect(bad!.at).toMatch(/^1:11 MG025 YAML syntax: /);
  });

  it('an unknown key is MG011, with the key it resembles and every setting with an example', async () => {
    expect(await configProblems('{ "postgress": 15 }')).toEqual([{
      at: '1:3 MG011 unknown property "postgress" in the config',
      help: 'Did you mean "postgres"? The settings are: { "postgres": 15, "rules": { "MG213": "error", "MG219": "off" }, "allow_files_outside": [ "../shared-schemas" ], "svg": true, "assume_rows": { "countries": 250 }, "search_path": "storage, public", "lock_timeout": "15s", "placeholders": { "schema": "app", "flyway:defaultSchema": "app" }, "app_stopped": true, "rollbacks": [ "db/rollback_dbs/**" ] }.',
    }]);
  });

  it('a wrong value is MG010, in JSON\'s words, with an example of what to write', async () => {
    const found = await configProblems('{ "postgres": "1x", "svg": "yes", "allow_files_outside": "../x", "assume_rows": { "users": -1 } }');
    expect(found.map((f) => f.at)).toEqual([
      '1:15 MG010 postgres "1x" is not a PostgreSQL version',
      '1:28 MG010 svg must be true or false; got string "yes"',
      '1:58 MG010 allow_files_outside must be an array; got string "../x"',
      '1:92 MG010 assume_rows.users must be >= 0',
    ]);
    expect(found.map((f) => f.help!.split('. ')[0])).toEqual([
      'For example "postgres": 15, or "postgres": "14.3" with its minor release (a string)', 'For example "svg": true', 'For example "allow_files_outside": [ "../shared-schemas" ]', 'For example "assume_rows": { "countries": 250 }',
    ]);
  });

  it('a search_path PostgreSQL refuses is MG010 at its value, and one it takes is read as a connection\'s', async () => {
    expect(await configProblems('{\n  "postgres": 15,\n  "search_path": "storage,,public"\n}\n')).toEqual([{
      at: '3:18 MG010 search_path "storage,,public": PostgreSQL refuses it ("List syntax is invalid"): schema names separated by commas, none empty, a name with a space or a comma in double quotes',
      help: 'Write it as the migration tool\'s connection sets it, for example "search_path": "storage, public" (a name with capitals or spaces in double quotes: "\\"My Schema\\", public").',
    }]);
    expect((await configProblems('{ "search_path": ["storage"] }'))[0]!.at).toBe('1:18 MG010 search_path must be a string; got an array');
    const loaded = await loadProjectConfig(memoryHost({ 'migc.config.json': '{ "search_path": "Storage, \\"My Schema\\", public" }' }), 'migc.config.json');
    expect(loaded.config?.searchPath).toEqual(['storage', 'My Schema', 'public']);
  });

  it('a config that is not one object, or is empty, says to write one', async () => {
    expect(await configProblems('[]')).toEqual([{ at: '1:1 MG010 the config must be an object; got an array', help: 'Write the settings as one object, for example { "postgres": 15, "rules": { "MG219": "off" } }.' }]);
    expect((await configProblems('\n'))[0]!.at).toBe('1:1 MG010 the config holds no settings: it is empty or only comments');
  });

  it('a key written twice keeps its own code', async () => {
    expect((await configProblems('{ "postgres": 15, "postgres": 16 }'))[0]!.at).toMatch(/^1:19 MG002 duplicate key "postgres"/);
  });
});
