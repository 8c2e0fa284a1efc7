// Kept apart from templates.ts so that reading the template list does not load Handlebars.
/** The templates in templates/, each overridable by a file of the same name in --templates DIR. */
export const templateNames = ['report.md', 'checklist.md', 'timeline.mmd', 'phase.up.sql', 'phase.down.sql'] as const;
export type TemplateName = (typeof templateNames)[number];

export interface TemplateSource {
  /** Where it came from, for error messages. */
  readonly file: string;
  readonly text: string;
}

export type TemplateSources = Readonly<Record<TemplateName, TemplateSource>>;

export function templateFileName(name: TemplateName): string {
  return `${name}.hbs`;
}

