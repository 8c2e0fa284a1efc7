import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { markdownProse, markdownText } from '../src/emit/markdown-text.js';
import { markdownCell } from '../src/emit/templates.js';
import { compileFiles } from './helpers.js';

/**
 * Plan text in report.md and checklist.md is inert: rendered as GitHub renders Markdown (raw
 * HTML allowed, so html: true here), it shows what the author wrote, and nothing the author
 * wrote hides, folds or dresses up the rest of the file.
 */
const md = new MarkdownIt('default', { html: true, linkify: false });

/** What a hostile author may write: each one hides or changes what follows when left raw. */
const hostile = ['<!-- hidden', '<details><summary>fine</summary>', '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '![pixel](https://tracker.example/p.png)', '<a href="https://evil.example">docs</a>'];
const payload = hostile.join(' ');

/** A YAML double-quoted string. */
const q = (s: string) => JSON.stringify(s);

const plan = `migc: 1
id: hostile-markdown
title: ${q(`Title ${payload}`)}
type: schema
risk: high
engine: postgresql@15
owner: ${q(`owner ${payload}`)}
overview:
  summary: ${q(`Summary **kept bold** and \`a < b\` in code. ${payload}`)}
  estimated_downtime: none (${payload.replace(/[()]/g, '')})
current_state: ${q(`Current ${payload}\n\n\`\`\`sql\nSELECT 1 WHERE 2 < 3;\n\`\`\``)}
target_state: ${q(`Target ${payload}\n\n\`\`\`sql\nSELECT 'a fence left open';`)}
pre_migration:
  backup:
    command: ${q(`pg_dump ${payload}`)}
  disk_space: ${q(`1 GB ${payload}`)}
  notify: [${q(`#team ${payload}`)}]
  staging_test: ${q(`staging ${payload}`)}
  tasks: [${q(`task ${payload}`)}]
phases:
  - name: expand
    kind: expand
    description: ${q(`<details>\n\nPhase ${payload}`)}
    steps:
      - id: first-step
        description: ${q(`<!-- hidden\n\nStep ${payload}`)}
        sql: ALTER TABLE t ADD COLUMN first_marker integer;
        rollback:
          sql: ALTER TABLE t DROP COLUMN first_marker;
        allow:
          MG201: ${q(`reason ${payload}`)}
      - id: by-hand
        manual: ${q(`instructions ${payload}`)}
        rollback:
          manual: ${q(`undo ${payload}`)}
  - name: contract
    kind: contract
    gate:
      approval: ${q(`lead ${payload}`)}
      deploy: ${q(`deploy ${payload}`)}
    steps:
      - id: last-step
        description: "Last step"
        sql: ALTER TABLE t ADD COLUMN last_marker integer;
        rollback:
          sql: ALTER TABLE t DROP COLUMN last_marker;
          data_loss: true
          restore: ${q(`restore ${payload}`)}
code_changes:
  - file: app/t.rb
    change: ${q(`change ${payload}`)}
    deploy_phase: contract
rollback_plan:
  - phase: contract
    how: ${q(`how ${payload}`)}
    data_loss: true
timeline:
  - at: T-0
    milestone: ${q(`milestone ${payload}`)}
risks:
  - risk: ${q(`risk ${payload}`)}
    mitigation: ${q(`mitigation ${payload}`)}
verify:
  - sql: SELECT count(*) FROM t
    expect: ">= 0"
    description: ${q(`proves ${payload}`)}
`;

async function outputs(): Promise<Record<string, string>> {
  const result = await compileFiles({ 'plans/hostile.yaml': plan }, { emit: true });
  const p = result.plans[0]!;
  expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  return Object.fromEntries(p.outputs.map((o) => [o.path.split('/').pop()!, o.contents]));
}

/**
 * The HTML as a browser shows it: comments gone, migc's own first line and any a plan opened
 * (to the end of the file when nothing closes it).
 */
function visible(html: string): string {
  return html.replace(/<!--[\s\S]*?(-->|$)/g, '');
}

/** Tags in rendered HTML that came from no Markdown syntax (raw HTML passed through), or an image; migc's own links to rule pages apart. */
function rawTags(html: string): string[] {
  return [...html.matchAll(/<(!--|details|summary|script|img|a\s(?!href="https:\/\/github\.com\/migc\/migc\/blob\/main\/docs\/rules\/))/g)].map((m) => m[0]);
}

describe('plan text in the Markdown outputs is inert', () => {
  it('report.md: every later step and section still shows, no tag from the plan survives', async () => {
    const { 'report.md': report } = await outputs();
    const html = visible(md.render(report!));
    expect(rawTags(html)).toEqual([]);
    // What follows every hostile field is still there: the later steps' SQL, the last sections.
    expect(html).toContain('ALTER TABLE t ADD COLUMN first_marker integer;');
    expect(html).toContain('ALTER TABLE t ADD COLUMN last_marker integer;');
    expect(html).toContain('ALTER TABLE t DROP COLUMN last_marker;');
    for (const section of ['Phases', 'Lock budget', 'Rollback plan', 'Timeline', 'Risks', 'Analysis settings']) expect(html).toContain(`<h2>${section}</h2>`);
    // The text shows as written, escaped once.
    expect(html).toContain('<p>&lt;!-- hidden</p>');
    expect(html).toContain('<p>&lt;details&gt;</p>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Markdown the README promises in these fields is kept, code spans literal.
    expect(html).toContain('<strong>kept bold</strong>');
    expect(html).toContain('<code>a &lt; b</code>');
    expect(html).toContain('<code class="language-sql">SELECT 1 WHERE 2 &lt; 3;\n</code>');
    // An image in a Markdown field is not loaded: it shows as text.
    expect(html).not.toContain('tracker.example/p.png"');
    // The fence target_state leaves open is closed before the next section.
    expect(html).toMatch(/SELECT 'a fence left open';\n<\/code><\/pre>/);
  });

  it('checklist.md: the same', async () => {
    const { 'checklist.md': checklist } = await outputs();
    const html = visible(md.render(checklist!));
    expect(rawTags(html)).toEqual([]);
    expect(html).toContain('Title &lt;!-- hidden');
    // The phase after every hostile field, its script and the last sections are still there.
    expect(html).toContain('<h3>Phase 2: contract</h3>');
    expect(html).toContain('02-contract.up.sql');
    expect(html).toContain('Tell everyone notified that the migration is done');
    expect(html).toContain('<h2>Watch</h2>');
  });

  it('SQL in fenced blocks and code spans stays literal, whatever it holds', async () => {
    const sqlPlan = plan.replace('ALTER TABLE t ADD COLUMN first_marker integer;', "SELECT '<!-- not a comment', '```', '~~~';");
    const result = await compileFiles({ 'plans/hostile.yaml': sqlPlan }, { emit: true });
    const report = result.plans[0]!.outputs.find((o) => o.path.endsWith('report.md'))!.contents;
    const html = visible(md.render(report));
    expect(rawTags(html)).toEqual([]);
    expect(html).toContain("SELECT '&lt;!-- not a comment', '```', '~~~';");
    expect(html).toContain('ALTER TABLE t ADD COLUMN last_marker integer;');
  });
});

/** The text a paragraph of rendered HTML shows, line breaks as \n. */
function shown(html: string): string {
  const body = html.trim().replace(/^<(p|h1|li)>|<\/(p|h1|li)>$/g, '');
  expect(body).not.toMatch(/<(?!br>)/); // no tag but the line breaks
  return body.replace(/<br>/g, '\n').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

describe('markdownText: plain text renders as exactly that text', () => {
  const texts = [
    'a < b', '<!-- hidden', '-->', 'x_y_z', '_a_ and _b_', 'email_verified', '*a*', '2 * 3', 'count(*) > 1', '~a~ ~~b~~',
    '`a`', 'one ` tick', '[a](https://x.example)', '[x]', '# heading', 'Fix #', '#ops', '- item', '+ item', '1. first', '3) third',
    'a\\*b', 'C:\\path\\to', '&copy; &#169; &amp;', 'Q&A', '> quote', 'a -> b', 'line1\nline2\n- not a list', '**bold**', '<https://x.example>',
  ];
  it.each(texts)('%j', (text) => {
    expect(shown(md.render(markdownText(text)))).toBe(text);
    expect(shown(md.render(`# ${markdownText(text)}`))).toBe(text);
    expect(shown(md.render(`- ${markdownText(text)}`).trim().replace(/^<ul>\n|\n<\/ul>$/g, ''))).toBe(text);
  });

  it('keeps ordinary text as it is', () => {
    for (const text of ['Add users.email_verified', '#identity-oncall', '~2min', 'count(*) of rows', '5 GB (the new column)']) expect(markdownText(text)).toBe(text);
  });

  it('in a table cell, a pipe does not split the cell', () => {
    const html = md.render(`| a | b |\n|---|---|\n| ${markdownCell('x | <b>y</b>')} | z |\n`);
    expect(html).toContain('<td>x | &lt;b&gt;y&lt;/b&gt;</td>');
    expect(html).toContain('<td>z</td>');
  });
});

describe('markdownProse: Markdown kept, HTML shown as text', () => {
  it('leaves Markdown without HTML as it is', () => {
    const text = 'Some **bold**, `a < b`, a [link](https://x.example) and\n\n```sql\nSELECT 1 WHERE 1 < 2;\n```\n\n- a list';
    expect(markdownProse(text)).toBe(text);
  });

  it('makes HTML blocks, inline HTML and images text, and closes a fence left open', () => {
    const html = md.render(markdownProse('Intro <b>x</b>\n\n<!-- hidden\n\nmore\n\n<details>\n\n![p](https://t.example/p.png)\n\n```\nopen'));
    expect(rawTags(html)).toEqual([]);
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;!-- hidden');
    expect(md.render(`${markdownProse('```\nopen')}\n\nafter`)).toContain('<p>after</p>');
    // In a paragraph with HTML, code spans stay as written; a backtick that opens none is text.
    const mixed = md.render(markdownProse('`a < b` <b>x</b> \\`<i>y</i>` ``c <d`` ` <s>'));
    // (The escaped backtick opens nothing; the one after </i> opens a span to the lone one.)
    expect(mixed).toBe('<p><code>a &lt; b</code> &lt;b&gt;x&lt;/b&gt; `&lt;i&gt;y&lt;/i&gt;<code>``c &lt;d``</code> &lt;s&gt;</p>\n');
    // An HTML block's opener is made text; the lines after it are Markdown again.
    expect(md.render(markdownProse('<!-- hidden\nAdds `a < b`, <i>x</i>\n\n<div>\n**bold**'))).toBe('<p>&lt;!-- hidden\nAdds <code>a &lt; b</code>, &lt;i&gt;x&lt;/i&gt;</p>\n<p>&lt;div&gt;\n<strong>bold</strong></p>\n');
    // A fence inside a list ends with the list: nothing to close.
    expect(markdownProse('- item\n\n  ```\n  code')).toBe('- item\n\n  ```\n  code');
  });
});
