/**
 * Where migc lives on the web: the one source of every link migc prints or writes (a rule's page
 * in the report, the preview, SARIF and the help; where to report a bug). The rule pages are the
 * Markdown files of docs/rules/, so they link where that Markdown is rendered. package.json's
 * homepage, repository and bugs say the same (test/links.test.ts keeps them in step).
 */
export const projectUrl = 'https://github.com/migc/migc';

/** docs/rules/ as rendered on the project's site; a code's page is `${rulesDocsBaseUri}MG201.md`. */
export const rulesDocsBaseUri = `${projectUrl}/blob/main/docs/rules/`;

/** The page of a code, docs/rules/<CODE>.md. */
export function ruleDocsUrl(code: string): string {
  return `${rulesDocsBaseUri}${encodeURIComponent(code)}.md`;
}

/** Where to report a bug (MG093). */
export const issuesUrl = `${projectUrl}/issues`;
