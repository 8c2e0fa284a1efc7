import { describe, expect, it } from 'vitest';
import { memoryHost } from '../src/host.js';
import { createWorkspace, type Stage } from '../src/workspace/workspace.js';
import { builtinTemplates, minimalPlan } from './helpers.js';

/**
 * The workspace runs only the stages whose inputs changed. Stage executions are counted with
 * the onStage hook (not timed), per stage and file.
 */

function counter() {
  const runs: { stage: Stage; file: string }[] = [];
  return {
    onStage: (stage: Stage, file: string) => runs.push({ stage, file }),
    take() {
      const taken = runs.splice(0);
      return taken.map((r) => `${r.stage} ${r.file}`).sort();
    },
  };
}

const allStages = (file: string) => ['analyze', 'emit', 'load', 'normalize', 'validate'].map((s) => `${s} ${file}`);

function planNumber(n: number, { baseline }: { baseline?: string } = {}): string {
  return minimalPlan
    .replace('id: minimal', `id: plan-${n}`)
    .replace('title: Minimal plan', `title: Plan ${n}`)
    .replace('phases:', baseline ? `baseline:\n  file: ${baseline}\nphases:` : 'phases:');
}

/** 200 plans; every tenth reads shared/a.sql as its baseline, plan 5 reads shared/b.sql. */
function project(): Record<string, string> {
  const files: Record<string, string> = {
    'shared/a.sql': 'CREATE TABLE t (id integer);',
    'shared/b.sql': 'CREATE TABLE t (id bigint);',
  };
  for (let n = 0; n < 200; n++) {
    const baseline = n % 10 === 0 ? '../shared/a.sql' : n === 5 ? '../shared/b.sql' : undefined;
    files[`plans/p${String(n).padStart(3, '0')}.yaml`] = planNumber(n, baseline ? { baseline } : {});
  }
  return files;
}

const planFiles = (files: Record<string, string>) => Object.keys(files).filter((f) => f.endsWith('.yaml')).sort();

describe('workspace: incremental stages', () => {
  it('changing one plan in a folder of 200 runs that plan\'s stages only', async () => {
    const files = project();
    const count = counter();
    const ws = createWorkspace({ host: memoryHost(files), files: planFiles(files), templates: builtinTemplates(), onStage: count.onStage });
    const first = await ws.build();
    expect(first.plans.filter((p) => p.ok)).toHaveLength(200);
    expect(count.take()).toHaveLength(200 * 5);

    // Nothing changed: nothing runs, and the result is the same.
    const again = await ws.build();
    expect(count.take()).toEqual([]);
    expect(again.plans.map((p) => p.outputs)).toEqual(first.plans.map((p) => p.outputs));

    files['plans/p042.yaml'] = files['plans/p042.yaml']!.replace('title: Plan 42', 'title: Plan forty-two');
    ws.fileChanged('plans/p042.yaml');
    const after = await ws.build();
    expect(count.take()).toEqual(allStages('plans/p042.yaml'));
    const report = after.plans.find((p) => p.file === 'plans/p042.yaml')!.outputs.find((o) => o.path.endsWith('report.md'))!;
    expect(report.contents).toContain('# Plan forty-two');
    // The other plans' results are the very objects of the first build.
    expect(after.plans.filter((p) => p.file !== 'plans/p042.yaml').every((p, i) => p.outputs === first.plans.filter((q) => q.file !== 'plans/p042.yaml')[i]!.outputs)).toBe(true);
  });

  it('a save that changes nothing (same bytes) runs nothing', async () => {
    const files = project();
    const count = counter();
    const ws = createWorkspace({ host: memoryHost(files), files: planFiles(files), templates: builtinTemplates(), onStage: count.onStage });
    await ws.build();
    count.take();
    ws.fileChanged('plans/p001.yaml');
    ws.fileChanged('shared/a.sql');
    await ws.build();
    expect(count.take()).toEqual([]);
  });

  it('a plan broken mid-edit runs load only; fixed, it runs everything again', async () => {
    const files = project();
    const count = counter();
    const ws = createWorkspace({ host: memoryHost(files), files: planFiles(files), templates: builtinTemplates(), onStage: count.onStage });
    await ws.build();
    count.take();
    const good = files['plans/p007.yaml']!;
    files['plans/p007.yaml'] = good.slice(0, good.indexOf('    steps:') + 8); // half written: "steps" cut
    ws.fileChanged('plans/p007.yaml');
    const broken = await ws.build();
    expect(broken.plans.find((p) => p.file === 'plans/p007.yaml')!.ok).toBe(false);
    expect(count.take()).toEqual(['load plans/p007.yaml']); // not YAML any more: nothing after load runs
    files['plans/p007.yaml'] = good;
    ws.fileChanged('plans/p007.yaml');
    const fixed = await ws.build();
    expect(fixed.plans.find((p) => p.file === 'plans/p007.yaml')!.ok).toBe(true);
    expect(count.take()).toEqual(allStages('plans/p007.yaml'));
  });
});

describe('workspace: dependencies', () => {
  it('a baseline edit rebuilds only the plans that read it', async () => {
    const files = project();
    const count = counter();
    const ws = createWorkspace({ host: memoryHost(files), files: planFiles(files), templates: builtinTemplates(), onStage: count.onStage });
    await ws.build();
    count.take();
    expect(ws.plansReading('shared/b.sql')).toEqual(['plans/p005.yaml']);
    expect(ws.plansReading('shared/a.sql')).toHaveLength(20);

    files['shared/a.sql'] = 'CREATE TABLE t (id integer, c integer);';
    ws.fileChanged('shared/a.sql');
    await ws.build();
    const ran = count.take();
    const readers = planFiles(files).filter((_, n) => n % 10 === 0);
    // load and validate are per plan text: unchanged plans skip them; the rest run for each reader.
    expect(ran).toEqual(readers.flatMap((f) => [`analyze ${f}`, `emit ${f}`, `normalize ${f}`]).sort());
  });

  it('a removed baseline is a diagnostic of its plans, and its return clears it', async () => {
    const files = project();
    const ws = createWorkspace({ host: memoryHost(files), files: planFiles(files) });
    await ws.build();
    const text = files['shared/b.sql']!;
    delete files['shared/b.sql'];
    ws.fileChanged('shared/b.sql');
    const without = await ws.build();
    expect(without.plans.filter((p) => !p.ok).map((p) => p.file)).toEqual(['plans/p005.yaml']);
    files['shared/b.sql'] = text;
    ws.fileChanged('shared/b.sql');
    expect((await ws.build()).plans.every((p) => p.ok)).toBe(true);
  });

  it('a template edit re-emits every plan and re-analyses none', async () => {
    const files = project();
    const count = counter();
    const templates = builtinTemplates();
    const ws = createWorkspace({ host: memoryHost(files), files: planFiles(files), templates, onStage: count.onStage });
    await ws.build();
    count.take();
    ws.setTemplates({ ...templates, 'checklist.md': { ...templates['checklist.md'], text: `${templates['checklist.md'].text}\nEdited.\n` } });
    const r = await ws.build();
    expect(count.take()).toEqual(planFiles(files).map((f) => `emit ${f}`).sort());
    expect(r.plans[0]!.outputs.find((o) => o.path.endsWith('checklist.md'))!.contents).toContain('Edited.');
    // The same template text again: nothing is compiled or emitted.
    ws.setTemplates({ ...templates, 'checklist.md': { ...templates['checklist.md'], text: `${templates['checklist.md'].text}\nEdited.\n` } });
    await ws.build();
    expect(count.take()).toEqual([]);
  });

  it('a config change re-analyses every plan (and re-emits what it changes)', async () => {
    const files = project();
    const count = counter();
    const ws = createWorkspace({ host: memoryHost(files), files: planFiles(files), templates: builtinTemplates(), onStage: count.onStage });
    await ws.build();
    count.take();
    ws.setConfig({ assumeRows: new Map([['t', 10]]) });
    const r = await ws.build();
    const ran = count.take();
    expect(ran.filter((s) => s.startsWith('analyze'))).toHaveLength(200);
    expect(ran.filter((s) => s.startsWith('load') || s.startsWith('normalize'))).toEqual([]);
    expect(r.plans[0]!.settings!.tables.find((t) => t.name === 't')).toMatchObject({ rows: 10 });
  });
});

describe('workspace: plans come and go', () => {
  it('added, removed and renamed plans; a new plan with a clashing id fails both (MG040) until renamed', async () => {
    const files = project();
    const count = counter();
    const ws = createWorkspace({ host: memoryHost(files), files: planFiles(files), onStage: count.onStage });
    await ws.build();
    count.take();
    files['plans/new.yaml'] = planNumber(3);
    ws.setFiles(planFiles(files));
    const clash = await ws.build();
    expect(count.take()).toEqual(['analyze plans/new.yaml', 'load plans/new.yaml', 'normalize plans/new.yaml', 'validate plans/new.yaml']);
    expect(clash.plans.filter((p) => !p.ok).map((p) => p.file)).toEqual(['plans/new.yaml', 'plans/p003.yaml']);
    // Renamed: the same text under another name is a new file to the workspace; p003 is clean again.
    files['plans/renamed.yaml'] = files['plans/new.yaml']!.replace('id: plan-3', 'id: plan-new');
    delete files['plans/new.yaml'];
    ws.setFiles(planFiles(files));
    const renamed = await ws.build();
    expect(renamed.plans.every((p) => p.ok)).toBe(true);
    expect(renamed.plans).toHaveLength(201);
    count.take();
    delete files['plans/p100.yaml'];
    ws.setFiles(planFiles(files));
    const removed = await ws.build();
    expect(removed.plans.map((p) => p.file)).not.toContain('plans/p100.yaml');
    expect(count.take()).toEqual([]);
  });
});

describe('workspace: overlays', () => {
  it('an overlay stands in for the file; removing it goes back to the file', async () => {
    const files = { 'plans/a.yaml': minimalPlan };
    const count = counter();
    const ws = createWorkspace({ host: memoryHost(files), files: ['plans/a.yaml'], onStage: count.onStage });
    expect((await ws.build()).plans[0]!.ok).toBe(true);
    ws.setOverlay('plans/a.yaml', minimalPlan.replace('kind: expand', 'kind: expnad'));
    const edited = await ws.build();
    expect(edited.diagnostics.map((d) => d.code)).toEqual(['MG010']);
    // Diagnostics point into the overlay's text, not the file's.
    expect(edited.sources.get('plans/a.yaml')!.text).toContain('expnad');
    ws.setOverlay('plans/a.yaml', undefined);
    count.take();
    const back = await ws.build();
    expect(back.plans[0]!.ok).toBe(true);
    expect(count.take()).toHaveLength(4); // the file's text is another text than the overlay's: checked again
  });

  it('an overlay of a file that does not exist on the host: a plan, and a baseline it reads', async () => {
    const ws = createWorkspace({ host: memoryHost({}), files: ['plans/unsaved.yaml'] });
    expect((await ws.build()).diagnostics.map((d) => d.code)).toEqual(['MG000']);
    ws.setOverlay('plans/unsaved.yaml', minimalPlan.replace('phases:', 'baseline:\n  file: base.sql\nphases:'));
    expect((await ws.build()).diagnostics.map((d) => d.code)).toContain('MG034');
    ws.setOverlay('plans/base.sql', 'CREATE TABLE t (id integer);');
    const r = await ws.build();
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.plans[0]!.plan!.baseline?.sql).toContain('CREATE TABLE t');
    expect(ws.plansReading('plans/base.sql')).toEqual(['plans/unsaved.yaml']);
  });
});
