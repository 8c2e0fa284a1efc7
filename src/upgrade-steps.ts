/**
 * Upgrade steps named by the versions they join, `<prefix>.<from>.to.<to>[.<component>].sql`:
 * Activiti's and Flowable's `activiti.postgres.upgradestep.52.to.53.engine.sql` (the
 * thirty-seventh trial's D). Their runner (Activiti's DbSqlSession.dbSchemaUpgrade) walks its
 * version list for one component, running the step from each version to the next, then does the
 * same for the next component: engine, then history, then identity. Name order puts 510 before 52,
 * so the steps are read as their chain goes instead: each step's <to> is the next one's <from>.
 * Names only: no SQL is read here.
 */

/** What an upgrade step's name says. */
export interface UpgradeStep {
  /** The name up to the versions (`activiti.postgres.upgradestep`). */
  readonly prefix: string;
  readonly from: string;
  readonly to: string;
  /** The part after the versions (`engine`, `history`, `identity`), or '' when there is none. */
  readonly component: string;
}

/** A prefix of dotted words, versions that start with a digit (`710-M6`), an optional component. */
const stepName = /^([A-Za-z][\w-]*(?:\.[A-Za-z][\w-]*)*)\.(\d[\w-]*)\.to\.(\d[\w-]*)(?:\.([A-Za-z][\w-]*))?\.sql$/;

/** The upgrade step a file is, by its name, or undefined. */
export function upgradeStepOf(file: string): UpgradeStep | undefined {
  if (!file.includes('.to.')) return undefined;
  const m = stepName.exec(file.slice(file.lastIndexOf('/') + 1));
  return m ? { prefix: m[1]!, from: m[2]!, to: m[3]!, component: m[4] ?? '' } : undefined;
}

/** Activiti's components, in the order its runner upgrades them; others follow by name. */
const componentOrder: readonly string[] = ['engine', 'history', 'identity'];

function compareComponents(a: string, b: string): number {
  const rank = (c: string) => (componentOrder.includes(c) ? componentOrder.indexOf(c) : componentOrder.length);
  return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Versions written without their dots, as Activiti and Flowable name their steps (5.14 is `514`,
 * 5.16.3.0 `51630`, 6.1.2.0 `6120`): the first digit is the major version, the digits after it
 * compare as a number (`52` before `514`); a part after `-` or `_` (`710-M6`) after the plain one.
 * Only where the chain breaks does this decide, and there the order is said to be a guess.
 */
export function compareDotlessVersions(a: string, b: string): number {
  const [aMain = '', ...aRest] = a.split(/[-_]/);
  const [bMain = '', ...bRest] = b.split(/[-_]/);
  const major = aMain.slice(0, 1).localeCompare(bMain.slice(0, 1));
  if (major !== 0) return major;
  const number = (s: string) => s.slice(1).replace(/^0+(?=\d)/, '');
  const x = number(aMain);
  const y = number(bMain);
  const main = x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
  if (main !== 0) return main;
  const restA = aRest.join('-');
  const restB = bRest.join('-');
  return restA < restB ? -1 : restA > restB ? 1 : 0;
}

/** Where the chain of a folder's steps of one prefix breaks: the step before and the one after. */
export interface ChainBreak {
  readonly before: string;
  readonly after: string;
}

/** The steps of one folder and prefix, ordered: their files, and where the chain broke. */
export interface StepChain {
  readonly folder: string;
  readonly prefix: string;
  /** In the order the runner takes them: per component, as the chain goes. */
  readonly files: readonly string[];
  /**
   * Where a step's <to> is not the next one's <from>, in one component, and no steps of the
   * folder lead from the one to the other: the order there is a guess.
   */
  readonly breaks: readonly ChainBreak[];
}

/**
 * The folders' upgrade steps read as chains: per folder and prefix, the components in their
 * order, and in each the steps as the chain goes (a step after the one whose <to> is its <from>);
 * where the chain breaks, the lowest <from> left goes next (compareDotlessVersions), a guess.
 * Only a folder and prefix whose steps link at least once (a step's <to> is another's <from>) is
 * read so: steps that never link are no chain, and keep the name order. Names only.
 */
export function upgradeStepChains(files: readonly string[]): StepChain[] {
  const groups = new Map<string, { folder: string; prefix: string; steps: { file: string; step: UpgradeStep }[] }>();
  for (const file of files) {
    const step = upgradeStepOf(file);
    if (!step) continue;
    const folder = file.slice(0, Math.max(0, file.lastIndexOf('/')));
    const key = `${folder}\0${step.prefix}`;
    const group = groups.get(key) ?? { folder, prefix: step.prefix, steps: [] };
    group.steps.push({ file, step });
    groups.set(key, group);
  }
  const chains: StepChain[] = [];
  for (const { folder, prefix, steps } of groups.values()) {
    const froms = new Set(steps.map((s) => `${s.step.component}\0${s.step.from}`));
    if (!steps.some((s) => froms.has(`${s.step.component}\0${s.step.to}`))) continue;
    const components = [...new Set(steps.map((s) => s.step.component))].sort(compareComponents);
    // The versions the steps of all components join: a gap in one component that another's steps
    // bridge (history's 514 to 515, then 5151 to 516, where engine has 515 to 5151) is no guess.
    const next = new Map<string, string[]>();
    for (const { step } of steps) next.set(step.from, [...(next.get(step.from) ?? []), step.to]);
    const reaches = (from: string, to: string) => {
      const seen = new Set([from]);
      for (const todo = [from]; todo.length > 0;) {
        for (const v of next.get(todo.pop()!) ?? []) {
          if (v === to) return true;
          if (seen.has(v)) continue;
          seen.add(v);
          todo.push(v);
        }
      }
      return false;
    };
    const ordered: string[] = [];
    const breaks: ChainBreak[] = [];
    for (const component of components) {
      const left = steps.filter((s) => s.step.component === component)
        .sort((a, b) => compareDotlessVersions(a.step.from, b.step.from) || compareDotlessVersions(a.step.to, b.step.to) || (a.file < b.file ? -1 : 1));
      let previous: (typeof left)[number] | undefined;
      while (left.length > 0) {
        const linked = previous === undefined ? -1 : left.findIndex((s) => s.step.from === previous!.step.to);
        const at = linked === -1 ? 0 : linked;
        const taken = left.splice(at, 1)[0]!;
        if (previous !== undefined && linked === -1 && !reaches(previous.step.to, taken.step.from)) breaks.push({ before: previous.file, after: taken.file });
        ordered.push(taken.file);
        previous = taken;
      }
    }
    chains.push({ folder, prefix, files: ordered, breaks });
  }
  return chains;
}
