import { describe, expect, it } from 'vitest';
import { libraryMessage } from '../src/diagnostics/quote.js';
import { compileTemplates } from '../src/emit/templates.js';
import { loadYaml } from '../src/load/yaml.js';
import { builtinTemplates } from './helpers.js';

/** MG050 for a report template of this text: `line:column message`. */
function templateError(text: string): string[] {
  const sources = { ...builtinTemplates(), 'report.md': { file: 'tpl/report.md.hbs', text } };
  const { diagnostics } = compileTemplates(sources);
  return diagnostics.map((d) => {
    const before = text.slice(0, d.span!.start).split('\n');
    return `${before.length}:${before[before.length - 1]!.length + 1} ${d.code} ${d.message}`;
  });
}

describe('MG050: a template that does not compile is said whole, at its line and column', () => {
  it('an unclosed {{: what was found and what Handlebars expects, not "Parse error on line 5:" alone', () => {
    expect(templateError('# {{plan.title}}\n\nOverview:\n{{#each plan.phases}}\n- {{name}\n{{/each}}\n')).toEqual([
      '5:9 MG050 template report.md does not compile: "}" is found where Handlebars expects one of: }}}}, }}, }}}, (, ), a name, as |, a string, a number, true or false, undefined, null, @name, . or /',
    ]);
  });

  it('a block left open at the end of the template', () => {
    expect(templateError('{{#each plan.phases}}\n  {{name}}\n')).toEqual([
      '3:1 MG050 template report.md does not compile: the template ends where Handlebars expects one of: {{else ...}}, {{else}}, {{/...}} (a block left open)',
    ]);
  });

  it('a block closed with another name, at the block', () => {
    expect(templateError('# {{plan.title}}\n{{#each plan.phases}}\n- {{name}}\n{{/if}}\n')).toEqual([
      '2:4 MG050 template report.md does not compile: {{#each}} is closed by {{/if}}: a block ends with its own name, {{/each}}',
    ]);
  });

  it('an unclosed {{!-- comment, at its opening, however far the text runs after it', () => {
    expect(templateError('x\n  {{!-- unclosed\n')).toEqual(['2:3 MG050 template report.md does not compile: the comment {{!-- is never closed: end it with --}}']);
    expect(templateError('{{!-- fine --}}\n{{#each plan.phases}}\n  {{!-- open\n  {{name}}\n{{/each}}\n')).toEqual([
      '3:3 MG050 template report.md does not compile: the comment {{!-- is never closed: end it with --}}',
    ]);
  });

  it('an unclosed {{{{raw}}}} block, at its opening', () => {
    expect(templateError('x {{!-- fine --}}\n{{{{raw}}}} {{y}}\n')).toEqual(['2:1 MG050 template report.md does not compile: the raw block {{{{raw}}}} is never closed: end it with {{{{/raw}}}}']);
    expect(templateError('{{{{raw}}}} {{y}} {{{{/raw}}}}\n{{{{raw}}}}\n')).toEqual(['2:1 MG050 template report.md does not compile: the raw block {{{{raw}}}} is never closed: end it with {{{{/raw}}}}']);
  });

  it('a missing argument, after the multi-byte text before it', () => {
    expect(templateError('{{#each plan.phases}} {{name}} {{/each}}\nÜbersicht ✓ {{foo bar=}}\n')).toEqual([
      '2:23 MG050 template report.md does not compile: "}}" is found where Handlebars expects one of: (, a name, a string, a number, true or false, undefined, null, @name',
    ]);
  });
});

describe('libraryMessage', () => {
  it('keeps every line of a parser\'s message but its code frame', () => {
    const mermaid = 'Parse error on line 3:\n...tion Phase 1  task: a\n-----------------------^\nExpecting \'taskData\', got \'NEWLINE\'';
    expect(libraryMessage(mermaid)).toBe('Parse error on line 3: Expecting \'taskData\', got \'NEWLINE\'');
  });

  it('keeps a browser\'s reason for not starting, below its first line', () => {
    const launch = 'Failed to launch the browser process!\n[0101/000000.000:ERROR:zygote_host_impl_linux.cc(100)] Running as root without --no-sandbox is not supported.\n\n\nTROUBLESHOOTING: https://pptr.dev/troubleshooting\n';
    expect(libraryMessage(launch)).toBe('Failed to launch the browser process! [0101/000000.000:ERROR:zygote_host_impl_linux.cc(100)] Running as root without --no-sandbox is not supported. TROUBLESHOOTING: https://pptr.dev/troubleshooting');
  });
});

describe('YAML syntax messages', () => {
  it('are not cut: yaml\'s longest sentence is said whole', () => {
    const messages = loadYaml('plans/long.yaml', `migc: 1\n${'k'.repeat(1100)}: 1\n`).diagnostics.map((d) => d.message);
    expect(messages).toContain('YAML syntax: The : indicator must be at most 1024 chars after the start of an implicit block mapping key');
  });
});
