import type { TemplateName } from './template-names.js';

/** A built-in template compiled ahead of time: the text it was compiled from, and Handlebars' output for it. */
export interface PrecompiledTemplate {
  readonly text: string;
  readonly spec: object;
}

/**
 * The built-in templates, compiled when the CLI is bundled: scripts/bundle.mjs puts their
 * Handlebars output in place of this module (compiling report.md alone took about a third of a
 * `migc build` of one plan). Run from source, as the tests and the library do, there are none, and
 * every template is compiled when it is loaded. A template is used precompiled only when its text
 * is the text it was compiled from: a template of --templates never is.
 */
export const precompiledTemplates: Partial<Record<TemplateName, PrecompiledTemplate>> = {};
