import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Plan } from '../normalize/model.js';
import { bindirVariable, clusterEngine, clusterUser, findInstallation, type Installation } from './cluster.js';
import { pgliteEngine, type Engine } from './engine.js';

/** Which engine `migc verify` rehearses on without --database-url. */
export const engineChoices = ['auto', 'local', 'pglite'] as const;
export type EngineChoice = (typeof engineChoices)[number];

/** The engine a target major rehearses on, and why it is not that major, when it is not. */
export interface ChosenEngine {
  readonly engine: Engine;
  /** Why the plan's major could not be had (no installation, root without a postgres user, a failed start). */
  readonly why?: string;
  /** The user chose it (--engine pglite, --database-url): migc did not fall back to it. */
  readonly asked?: 'pglite' | 'database-url';
  /** With --engine pglite: the local installation of the plan's major a cluster could start from. */
  readonly installed?: Installation;
}

export type EngineSetOutcome =
  | { readonly ok: true; readonly engines: ReadonlyMap<number, ChosenEngine> }
  | { readonly ok: false; readonly problem: string };

export interface EngineSetOptions {
  /** The target majors of the plans to rehearse. */
  readonly majors: readonly number[];
  readonly choice: EngineChoice;
  readonly env?: NodeJS.ProcessEnv;
  /** Called with each engine as soon as it is started: a signal arriving meanwhile must find it. */
  readonly started: (engine: Engine) => void;
  /** Called with what the user should know (a fallback to PGlite, a cluster that failed to start). */
  readonly note: (text: string) => void;
}

/**
 * One engine per target major, started once for the run: `local` a throwaway cluster of a local
 * installation of that major (or a problem when there is none), `pglite` PGlite, `auto` the
 * local cluster when it can be had and PGlite otherwise (one PGlite for every major that falls
 * back). Expected failures are results: nothing here throws for a missing installation.
 */
export async function startEngines(options: EngineSetOptions): Promise<EngineSetOutcome> {
  const env = options.env ?? process.env;
  const engines = new Map<number, ChosenEngine>();
  let pglite: Engine | undefined;
  const sharedPglite = async () => {
    if (!pglite) {
      pglite = await pgliteEngine();
      options.started(pglite);
    }
    return pglite;
  };
  for (const major of [...new Set(options.majors)].sort((a, b) => a - b)) {
    if (options.choice === 'pglite') {
      // Looked up only to say, if the major differs, that rehearsing on it is one flag away.
      const { found } = await findInstallation(major, env);
      engines.set(major, { engine: await sharedPglite(), why: '--engine pglite', asked: 'pglite', ...(found ? { installed: found } : {}) });
      continue;
    }
    const search = await findInstallation(major, env);
    const user = search.found ? await clusterUser(env) : undefined;
    let why: string;
    if (!search.found) {
      why = env[bindirVariable]
        ? `${bindirVariable}=${env[bindirVariable]} holds no PostgreSQL ${major} (initdb and postgres)`
        : `no PostgreSQL ${major} installation found (looked in ${search.looked.join(', ')})`;
    } else if (!user!.ok) {
      why = user!.problem;
    } else {
      const started = await clusterEngine(search.found, user!.user, env);
      if (started.ok) {
        options.started(started.engine);
        for (const folder of started.engine.cluster.removedLeftovers) options.note(`stopped and removed ${folder}, a local cluster an earlier migc verify left behind (killed)`);
        engines.set(major, { engine: started.engine });
        continue;
      }
      why = started.problem;
    }
    if (options.choice === 'local') return { ok: false, problem: `--engine local: ${why}` };
    options.note(`rehearsing PostgreSQL ${major} plans on PGlite: ${why}`);
    engines.set(major, { engine: await sharedPglite(), why });
  }
  return { ok: true, engines };
}

/**
 * MG080: the plan was rehearsed on another major than it targets. PostgreSQL changes between
 * majors (functions, lock levels, what rewrites a table): a rehearsal proves the plan only on
 * the major it ran on. The help starts from how the engine was chosen: an engine the user asked
 * for is no fallback to fix by installing what may be there already.
 */
export function majorMismatch(plan: Plan, target: number, chosen: ChosenEngine): Diagnostic | undefined {
  const { engine, why } = chosen;
  if (engine.major === undefined || engine.major === target) return undefined;
  const install = `Debian/Ubuntu: apt install postgresql-${target}; macOS: brew install postgresql@${target}`;
  const server = `give --database-url of a PostgreSQL ${target} server`;
  const help = chosen.asked === 'pglite'
    ? `The rehearsal ran on PGlite (PostgreSQL ${engine.major}) because --engine pglite asked for it. To rehearse on PostgreSQL ${target}, the plan's target: ${chosen.installed
      ? `run migc verify --engine local (or without --engine), which starts a throwaway cluster of the PostgreSQL ${chosen.installed.version} installed in ${chosen.installed.bindir}`
      : `install PostgreSQL ${target} (${install}) or set ${bindirVariable} to its bin folder, then run migc verify --engine local (or without --engine)`}, or ${server}.`
    : chosen.asked === 'database-url'
      ? `The rehearsal ran on the --database-url server, PostgreSQL ${engine.major}. To rehearse on PostgreSQL ${target}, the plan's target: ${server}, or leave --database-url out so migc verify starts a throwaway cluster of a local PostgreSQL ${target} installation.`
      : `Install PostgreSQL ${target} (${install}) so migc verify starts a throwaway cluster of it, set ${bindirVariable} to its bin folder, or ${server}.`;
  return {
    code: 'MG080', severity: 'warning', file: plan.file, span: plan.spans.engine ?? plan.spans.id,
    message: `rehearsed on ${engine.label}, but the plan targets PostgreSQL ${target}: what passed on ${engine.major} may fail on ${target}${why ? `; not on ${target} because ${why}` : ''}`,
    help,
  };
}
