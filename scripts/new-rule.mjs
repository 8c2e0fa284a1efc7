// Scaffolds a plan rule: the rule file, its docs page and a failing and a passing fixture,
// then says what to add to the registry. Usage:
//   node scripts/new-rule.mjs MG113 rule-name "One-line summary." [error|warning|info]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const [code, name, summary, severity = 'error'] = process.argv.slice(2);
if (!/^MG\d{3}$/.test(code ?? '') || !/^[a-z]+(-[a-z]+)*$/.test(name ?? '') || !summary || !['error', 'warning', 'info'].includes(severity)) {
  console.error('usage: node scripts/new-rule.mjs MG113 rule-name "One-line summary." [error|warning|info]');
  process.exit(2);
}
const camel = name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
const files = {
  [`src/analyze/rules/${name}.ts`]: `import type { Rule } from '../rule.js';

export const ${camel}: Rule = {
  code: '${code}',
  name: '${name}',
  summary: ${JSON.stringify(summary)},
  severity: '${severity}',
  check(plan, report) {
    // report({ span, message, help }) for each finding.
  },
};
`,
  [`docs/rules/${code}.md`]: `# ${code} ${name}\n\n${summary}\n\n## Why\n\nTODO\n\n## Example\n\nReported:\n\n\`\`\`yaml\nTODO\n\`\`\`\n\nFixed:\n\n\`\`\`yaml\nTODO\n\`\`\`\n\n## How to fix\n\nTODO\n`,
  [`test/fixtures/rules/${code}/fail-TODO.yaml`]: '# A plan that must raise this rule. Then: UPDATE_GOLDEN=1 npx vitest run test/rules.test.ts, and review the .expected file.\n',
  [`test/fixtures/rules/${code}/pass-TODO.yaml`]: '# A valid plan close to the failing one that must not raise it.\n',
};
for (const [path, text] of Object.entries(files)) {
  if (existsSync(`${root}${path}`)) {
    console.error(`${path} exists already; nothing written`);
    process.exit(1);
  }
}
for (const [path, text] of Object.entries(files)) {
  mkdirSync(`${root}${path}`.replace(/\/[^/]+$/, ''), { recursive: true });
  writeFileSync(`${root}${path}`, text);
  console.log(`wrote ${path}`);
}
console.log(`\nNow add ${camel} to src/analyze/rules/index.ts (sorted by code), a row to the README's rule table,\nand fill in the TODOs. The meta-test fails until all of it is there.`);
