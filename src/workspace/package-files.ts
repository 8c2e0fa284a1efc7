import { readFile } from 'node:fs/promises';
import { templateFileName, templateNames, type TemplateName, type TemplateSources } from '../emit/template-names.js';

/**
 * migc's own files (the built-in templates, the config schema), read from its package. They
 * are part of the program, not of the project, so they are not read through the project's
 * Host; each is read once per process.
 */
const packageRoot = new URL('../../', import.meta.url);

const cache = new Map<string, Promise<string>>();

export function packageFile(path: string): Promise<string> {
  let text = cache.get(path);
  if (!text) cache.set(path, (text = readFile(new URL(path, packageRoot), 'utf8')));
  return text;
}

/** The built-in templates, as sources (file names as the user sees them: templates/x.hbs). */
export async function builtinTemplateSources(): Promise<TemplateSources> {
  const entries = await Promise.all(templateNames.map(async (name) => [name, { file: `templates/${templateFileName(name)}`, text: await packageFile(`templates/${templateFileName(name)}`) }] as const));
  return Object.fromEntries(entries) as Record<TemplateName, { file: string; text: string }>;
}
