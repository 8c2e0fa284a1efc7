import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnv, root } from './helpers.js';
import { memoryHost } from '../src/host.js';
import { lint, type LintOptions } from '../src/lint.js';
import { migrationOrder } from '../src/lint-files.js';

/**
 * `migc lint --one-run`: the up files linted run back to back in one upgrade (MusicBrainz's
 * upgrade.sh runs a release's `NN.all.sql`, then `NN.master_and_standalone.sql`; Flowable and
 * Camunda upgrade their schema at start), each file as its tool sends it: what an earlier file
 * created is still new and empty, but each file commits.
 */
type How = Pick<LintOptions, 'fileTransaction' | 'runTransaction' | 'oneRun'>;

async function codes(files: Record<string, string>, how: How): Promise<string[]> {
  const result = await lint({ files: migrationOrder(Object.keys(files)), ...how }, memoryHost(files));
  return result.diagnostics.map((d) => `${d.file}:${result.sources.get(d.file)!.position(d.span?.start ?? 0).line} ${d.code}`);
}

/** MusicBrainz's release 27, cut down: the first file creates the table, the second constrains it. */
const release = {
  '27.1.all.sql': "SET lock_timeout = '5s';\nCREATE TABLE redirect (gid uuid NOT NULL, new_id int NOT NULL);\n",
  '27.2.constraints.sql': [
    "SET lock_timeout = '5s';",
    'ALTER TABLE redirect ADD CONSTRAINT redirect_fk_new_id FOREIGN KEY (new_id) REFERENCES artist_credit (id);',
    "ALTER TABLE redirect ADD CONSTRAINT gid_not_nil CHECK (gid <> '00000000-0000-0000-0000-000000000000');",
    'CREATE INDEX redirect_new_id ON redirect (new_id);',
    '',
  ].join('\n'),
};

describe('lint --one-run', () => {
  it('what an earlier file of the upgrade created is still new and empty: no scan, build or rewrite of it is reported', async () => {
    // Each file a migration of its own, run another day: the table holds rows by the second.
    expect(await codes(release, { fileTransaction: true })).toEqual(['27.2.constraints.sql:2 MG208', '27.2.constraints.sql:3 MG209', '27.2.constraints.sql:3 MG217', '27.2.constraints.sql:4 MG201', '27.2.constraints.sql:4 MG217']);
    // Back to back: nothing to check or build (the foreign key still locks artist_credit, the
    // live table it references, within lock_timeout).
    expect(await codes(release, { fileTransaction: true, oneRun: true })).toEqual([]);
    expect(await codes(release, { oneRun: true })).toEqual([]);
  });

  it('each file still commits: locks are not held from file to file, and CONCURRENTLY runs where its file lets it', async () => {
    const files = {
      '1_a.sql': "SET lock_timeout = '5s';\nALTER TABLE accounts ADD COLUMN plan text;\n",
      '2_b.sql': "SET lock_timeout = '5s';\nALTER TABLE webauthn ADD COLUMN aaguid text;\n",
      '3_c.sql': 'CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_plan_idx ON accounts (plan);\n',
    };
    expect(await codes(files, { runTransaction: true })).toEqual(['2_b.sql:2 MG217', '3_c.sql:1 MG204']);
    // Statement by statement (psql, MusicBrainz's upgrade.sh): nothing carries over.
    // (IF NOT EXISTS keeps what a failed build leaves: MG221, whatever the transactions.)
    expect(await codes(files, { oneRun: true })).toEqual(['3_c.sql:1 MG221']);
    // Each file in a transaction of its own: CONCURRENTLY fails in its own file's, not the run's.
    expect(await codes(files, { fileTransaction: true, oneRun: true })).toEqual(['3_c.sql:1 MG204']);
  });

  it('a rollback is not part of the run: what its up created has been live when it runs', async () => {
    const files = {
      '1_a.up.sql': "SET lock_timeout = '5s';\nCREATE TABLE plans (id int PRIMARY KEY, name text);\n",
      '1_a.down.sql': "SET lock_timeout = '5s';\nCREATE INDEX plans_name ON plans (name);\nDROP TABLE plans;\n",
      '2_b.up.sql': "SET lock_timeout = '5s';\nCREATE INDEX plans_name ON plans (name);\n",
    };
    const found = await codes(files, { fileTransaction: true, oneRun: true });
    expect(found).toContain('1_a.down.sql:2 MG201');
    // The up after it: the table 1_a.up.sql made is new still, in the run.
    expect(found.filter((f) => f.startsWith('2_b'))).toEqual([]);
    expect(await codes(files, { fileTransaction: true })).toContain('2_b.up.sql:2 MG201');
  });

  it('is the CLI flag --one-run, beside the way each file is sent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'migc-one-run-'));
    try {
      for (const [file, text] of Object.entries(release)) writeFileSync(join(dir, file), text);
      const lintJson = (...flags: string[]) => {
        let out: string;
        try {
          out = execFileSync(process.execPath, [join(root, 'bin/migc.js'), 'lint', '.', '--format', 'json', ...flags], { cwd: dir, env: cliEnv({}), encoding: 'utf8' });
        } catch (e) {
          out = (e as { stdout: string }).stdout;
        }
        return JSON.parse(out).diagnostics.filter((d: { severity: string }) => d.severity !== 'info').map((d: { code: string }) => d.code);
      };
      expect(lintJson('--file-transaction')).toEqual(['MG208', 'MG209', 'MG217', 'MG201', 'MG217']);
      expect(lintJson('--file-transaction', '--one-run')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
