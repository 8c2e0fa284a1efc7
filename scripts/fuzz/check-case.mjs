/**
 * Runs one fuzz case through the library and checks what every input must give: no exception
 * (the CLI would print "internal error"), exit 0 or 1 as the CLI would compute it, every
 * diagnostic with a known code and a span inside its file, and output that does not flood.
 * `lib` is the library: src/ under vitest, dist/ in scripts/fuzz.mjs.
 */
const knownCode = /^MG\d{3}$/;

/** Rendered diagnostics may not exceed this per diagnostic (a code frame is 4 short lines). */
const maxRenderedPerDiagnostic = 2_000;

/**
 * @param {any} lib
 * @param {{ kind: 'plan' | 'sql', file: string, text: string, files?: Record<string, string>, templates?: unknown, fileTransaction?: boolean }} input
 * @returns {Promise<{ exit: number, codes: string[], problems: string[], scripts: string[], ms: number }>}
 */
export async function checkCase(lib, { kind, file, text, files = {}, templates, fileTransaction = false }) {
  const started = performance.now();
  const problems = [];
  let result;
  try {
    const host = lib.memoryHost({ ...files, [file]: text });
    result = kind === 'plan'
      ? await lib.compile({ files: [file], ...(templates ? { templates } : {}) }, host)
      : await lib.lint({ files: [file], ...(fileTransaction ? { fileTransaction: true } : {}) }, host);
  } catch (e) {
    return { exit: 2, codes: [], problems: [`internal error: ${e?.stack ?? e}`], scripts: [], ms: performance.now() - started };
  }
  const source = result.sources.get(file);
  for (const d of result.diagnostics) {
    if (!knownCode.test(d.code)) problems.push(`unknown code ${d.code}`);
    if (!['error', 'warning', 'info'].includes(d.severity)) problems.push(`${d.code}: bad severity ${d.severity}`);
    if (d.file !== file && !d.file.startsWith('templates/')) problems.push(`${d.code}: diagnostic for another file ${d.file}`);
    if (d.file === file && d.code !== 'MG000') {
      if (!d.span) problems.push(`${d.code}: no location (${d.message.slice(0, 80)})`);
      else if (!(d.span.start >= 0 && d.span.start <= d.span.end && d.span.end <= text.length)) problems.push(`${d.code}: span ${d.span.start}-${d.span.end} outside the file (${text.length} characters)`);
    }
    if (typeof d.message !== 'string' || d.message.length === 0) problems.push(`${d.code}: empty message`);
    if (/\b(undefined|NaN|\[object Object\])\b/.test(d.message)) problems.push(`${d.code}: placeholder in message: ${d.message.slice(0, 120)}`);
  }
  let rendered = '';
  try {
    rendered = lib.renderPretty(result.diagnostics, result.sources, { color: false });
    lib.renderJson(result.diagnostics, result.sources);
  } catch (e) {
    problems.push(`internal error while rendering: ${e?.stack ?? e}`);
  }
  if (rendered.length > maxRenderedPerDiagnostic * Math.max(1, result.diagnostics.length)) {
    problems.push(`output floods: ${rendered.length} characters for ${result.diagnostics.length} diagnostics`);
  }
  if (source && result.diagnostics.some((d) => d.span && d.span.end > source.text.length)) problems.push('span past the end of the source');
  const outputs = (result.plans ?? []).flatMap((p) => p.outputs ?? []);
  const outputSize = outputs.reduce((n, o) => n + o.contents.length, 0);
  // Outputs repeat the plan's text a few times (report, scripts, checklist), never without bound.
  if (outputSize > 20 * text.length + 1_000_000) problems.push(`outputs of ${outputSize} characters from ${text.length} of input`);
  // Emitted scripts must be SQL that PostgreSQL parses and no psql meta-command: plan prose that
  // escaped its comment shows as a syntax error or a line starting with a backslash. Reported
  // apart (scripts), when the library given has the parser.
  const scripts = [];
  if (lib.parseSql) {
    for (const o of outputs.filter((o) => o.path.endsWith('.sql'))) {
      // As psql reads it (src/sql/psql.ts): a backslash inside a string or a dollar quote is text.
      const psql = lib.psqlStatements?.(o.contents);
      if (psql && !psql.ok) scripts.push(`${o.path}: psql would not run it as SQL: ${psql.message.slice(0, 120)}`);
      const parsed = lib.parseSql(o.contents);
      if (!parsed.ok) scripts.push(`${o.path}: does not parse: ${parsed.message.slice(0, 120)}`);
    }
  }
  const errors = result.diagnostics.some((d) => d.severity === 'error');
  return {
    scripts,
    exit: errors ? 1 : 0,
    codes: [...new Set(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code))].sort(),
    problems,
    ms: performance.now() - started,
  };
}
