import { templateFileName, templateNames, type TemplateName, type TemplateSources } from '../emit/template-names.js';
import type { Host } from '../host.js';
import { builtinTemplateSources } from './package-files.js';

/**
 * The templates a build renders with: each built-in one, or the file of the same name in the
 * --templates folder when there is one (read through the host, like every project file).
 */
export async function loadTemplateSources(host: Host, dir: string | undefined): Promise<TemplateSources> {
  const builtin = await builtinTemplateSources();
  if (dir === undefined) return builtin;
  const folder = dir.replace(/\/$/, '');
  const sources: Partial<Record<TemplateName, { file: string; text: string }>> = {};
  for (const name of templateNames) {
    const file = `${folder}/${templateFileName(name)}`;
    const custom = await host.readFile(file);
    sources[name] = custom !== undefined ? { file, text: custom } : builtin[name];
  }
  return sources as TemplateSources;
}
