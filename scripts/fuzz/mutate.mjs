/**
 * Mutations for the fuzzer (scripts/fuzz.mjs, test/fuzz.test.ts): hostile and broken variants
 * of the example plans and the SQL fixtures. Seeded, so a case is reproduced from its seed.
 */

/** A small seeded generator (mulberry32): the same seed gives the same cases on every machine. */
export function random(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (list) => list[int(list.length)];
  return { next, int, pick, chance: (p) => next() < p };
}

/** Multi-byte text: accents, CJK, emoji (with joiners and variation selectors), combining marks, right-to-left. */
export const multiByte = [
  'café crème', 'naïve façade', 'e\u0301\u0302\u0303 combining', '日本語のテキスト', '中文说明', '한국어',
  '🎉🚀', '👩‍👩‍👧‍👦 family', '❤️', 'עברית', 'العربية', 'Ωμέγα', 'ﬁ ligature', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '\u200b\u200d\ufeff',
];

/** Text that must stay inert wherever migc puts prose: line terminators, comment ends, psql meta-commands, dollar quotes. */
export const hostileProse = [
  'line one\nDROP TABLE users;', 'carriage\rreturn', 'crlf\r\nSELECT 1;', 'sep\u2028line', 'next\u0085line', 'form\ffeed', 'vertical\vtab',
  'ends a comment */ SELECT 1; /*', '-- a comment', '\\! echo pwned', '\\set ON_ERROR_STOP off', '$$ dollar $$', '$tag$ open',
  "it's 'quoted'", '"double"', '`backticks`', '{{handlebars}}', '{{{triple}}}', '<script>x</script>', '| table | cell |', '```fence',
  '# heading', '%(percent)s', '\u0000nul', '\u001b[31mred\u001b[0m', '\u202eevil',
];

const scalarLine = /^(\s*(?:- )?)([A-Za-z_][\w-]*):[ \t]+(?![|>][-+0-9]*\s*$)(\S.*)$/;
const keyLine = /^(\s*(?:- )?)([A-Za-z_][\w-]*):(?:\s|$)/;
const freeText = /^(title|description|manual|restore|deploy|approval|milestone|change|how|risk|mitigation|summary|current_state|target_state|command|verify|owner|staging_test|disk_space|estimated_downtime|run)$/;

const lines = (text) => text.split('\n');
const indentOf = (line) => /^\s*/.exec(line)[0].length;

function replaceValue(text, r, value, filter = () => true) {
  const ls = lines(text);
  const candidates = ls.map((l, i) => [l, i]).filter(([l]) => scalarLine.test(l) && filter(scalarLine.exec(l)[2]));
  if (candidates.length === 0) return text;
  const [line, i] = r.pick(candidates);
  const m = scalarLine.exec(line);
  ls[i] = `${m[1]}${m[2]}: ${typeof value === 'function' ? value(m[3], indentOf(line) + (m[1].includes('-') ? 2 : 0)) : value}`;
  return ls.join('\n');
}

function bytesMutation(text, fn) {
  return Buffer.from(fn(Buffer.from(text, 'utf8'))).toString('utf8');
}

/** Lines of SQL in a plan: block scalars under sql:, or inline sql: values. */
function sqlLines(ls) {
  const found = [];
  for (let i = 0; i < ls.length; i++) {
    const m = /^(\s*(?:- )?)sql:\s*(.*)$/.exec(ls[i]);
    if (!m) continue;
    if (/^[|>]/.test(m[2])) {
      const base = indentOf(ls[i]);
      for (let j = i + 1; j < ls.length && (ls[j].trim() === '' || indentOf(ls[j]) > base); j++) if (ls[j].trim()) found.push({ line: j, block: true });
    } else if (m[2]) found.push({ line: i, block: false, prefix: m[1] });
  }
  return found;
}

/** Inserts SQL lines into a plan's SQL (converting an inline sql: value to a block). */
function insertSql(text, r, make) {
  const ls = lines(text);
  const spots = sqlLines(ls);
  if (spots.length === 0) return text;
  const spot = r.pick(spots);
  const addition = make(r).split('\n');
  if (spot.block) {
    const indent = ' '.repeat(indentOf(ls[spot.line]));
    const at = r.chance(0.5) ? spot.line : spot.line + 1;
    ls.splice(at, 0, ...addition.map((a) => indent + a));
  } else {
    const m = /^(\s*(?:- )?)sql:\s*(.*)$/.exec(ls[spot.line]);
    const indent = ' '.repeat(indentOf(ls[spot.line]) + (m[1].includes('-') ? 2 : 0) + 2);
    const body = r.chance(0.5) ? [...addition, m[2]] : [m[2], ...addition];
    ls.splice(spot.line, 1, `${m[1]}sql: |`, ...body.map((b) => indent + b));
  }
  return ls.join('\n');
}

const deepValue = (r) => {
  const depth = r.pick([10, 40, 63, 64, 65, 100, 1000, 5000, 50000]);
  return r.pick([
    () => `${'['.repeat(depth)}x${']'.repeat(depth)}`,
    () => `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`,
    () => `${'['.repeat(depth)}`,
  ])();
};

const blockStairs = (r, indent) => {
  const depth = r.pick([20, 64, 65, 300, 2000]);
  return `\n${Array.from({ length: depth }, (_, i) => `${' '.repeat(indent + 2 + i)}k${i}:`).join('\n')} end`;
};

const prose = (r) => {
  const parts = [];
  for (let i = 0, n = 1 + r.int(4); i < n; i++) parts.push(r.chance(0.5) ? r.pick(multiByte) : r.pick(hostileProse));
  return parts.join(r.pick([' ', '\n', '\r\n', '\n\n']));
};

/** Block scalar holding the text (which may hold line breaks), at an indentation. */
const asBlock = (text, indent) => `|\n${text.split(/\r?\n/).map((l) => `${' '.repeat(indent + 2)}${l}`).join('\n')}`;

export const planMutations = {
  truncate: (t, r) => bytesMutation(t, (b) => b.subarray(0, r.int(b.length + 1))),
  deleteKey: (t, r) => {
    const ls = lines(t);
    const keys = ls.map((l, i) => [l, i]).filter(([l]) => keyLine.test(l));
    if (!keys.length) return t;
    const [line, i] = r.pick(keys);
    let end = i + 1;
    while (end < ls.length && (ls[end].trim() === '' || indentOf(ls[end]) > indentOf(line))) end++;
    if (/^\s*- /.test(line)) ls.splice(i, end - i, line.replace(/[A-Za-z_][\w-]*:.*$/, 'x: 1'));
    else ls.splice(i, end - i);
    return ls.join('\n');
  },
  wrongType: (t, r) => replaceValue(t, r, r.pick(['[1, 2]', '{a: 1}', '42', '-1', '1e309', '0x1F', '.nan', 'true', 'null', '~', '""', "'0777'", '2024-01-01', '[]', '{}', '- x'])),
  unicode: (t, r) => replaceValue(t, r, (v) => JSON.stringify(r.chance(0.5) ? `${v} ${r.pick(multiByte)}` : r.pick(multiByte))),
  insertChars: (t, r) => {
    const at = r.int(t.length + 1);
    return t.slice(0, at) + r.pick([...multiByte, '\t', '\r', '\u0000', '\u2028', '\ufeff', ':', '- ', '#', '"', "'", '{', ']', '&a', '*a', '!', '%', '@', '`', '|', '>', '? ']) + t.slice(at);
  },
  deleteSpan: (t, r) => {
    const at = r.int(t.length + 1);
    return t.slice(0, at) + t.slice(at + 1 + r.int(40));
  },
  reindent: (t, r) => {
    const ls = lines(t);
    const i = r.int(ls.length);
    ls[i] = r.chance(0.5) ? ` ${ls[i]}` : ls[i].replace(/^ {1,2}/, '');
    return ls.join('\n');
  },
  duplicateLine: (t, r) => {
    const ls = lines(t);
    const i = r.int(ls.length);
    ls.splice(i, 0, ls[i]);
    return ls.join('\n');
  },
  bom: (t) => `\ufeff${t}`,
  crlf: (t, r) => (r.chance(0.7) ? t.replace(/\n/g, '\r\n') : t.replace(/\n/g, () => (r.chance(0.3) ? '\r' : '\n'))),
  invalidUtf8: (t, r) => bytesMutation(t, (b) => {
    const at = r.int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), Buffer.from(r.pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xc0, 0xaf]])), b.subarray(at)]);
  }),
  deepNesting: (t, r) => (r.chance(0.6) ? replaceValue(t, r, () => deepValue(r)) : replaceValue(t, r, (_, indent) => blockStairs(r, indent))),
  hugeString: (t, r) => replaceValue(t, r, (v, indent) => {
    const n = r.pick([10_000, 100_000, 1_000_000]);
    return r.chance(0.5) ? JSON.stringify(`${v} ${'x'.repeat(n)}`) : asBlock(Array.from({ length: Math.ceil(n / 80) }, (_, i) => `line ${i} ${r.pick(multiByte)} ${'y'.repeat(60)}`).join('\n'), indent);
  }),
  aliases: (t, r) => {
    const kind = r.int(5);
    if (kind === 0) {
      // An anchor on one value, aliases in place of others.
      let out = replaceValue(t, r, (v) => `&x ${v}`);
      for (let i = 0, n = 1 + r.int(60); i < n; i++) out = replaceValue(out, r, '*x', (k) => k !== 'x');
      return out;
    }
    if (kind === 1) return replaceValue(t, r, '*nowhere');
    if (kind === 2) {
      const levels = [`a0: &a0 ["${'lol'.repeat(r.int(300))}", lol]`];
      for (let i = 1, n = 2 + r.int(8); i <= n; i++) levels.push(`a${i}: &a${i} [${Array(2 + r.int(9)).fill(`*a${i - 1}`).join(', ')}]`);
      return `${t}\n${levels.join('\n')}\n`;
    }
    if (kind === 3) return t.replace(/^(\s*)(- )?(name|id): (.*)$/m, (_, s, d = '', k, v) => `${s}${d}<<: {extra: 1}\n${s}${d ? '  ' : ''}${k}: ${v}`).replace(/^phases:/m, 'defaults: &d {kind: expand}\nphases:').replace(/^(\s*)kind: (expand|migrate|contract)$/m, '$1<<: *d');
    return t.replace(/^phases:/m, 'phases: &p').replace(/^(\s*)steps:/m, '$1steps: *p\n$1unused:');
  },
  tags: (t, r) => replaceValue(t, r, (v) => `${r.pick(['!!str', '!!int', '!!binary', '!!set', '!!omap', '!!timestamp', '!!float', '!!null', '!custom', '!<tag:yaml.org,2002:str>', '!!js/function', '!!python/object:os.system'])} ${v}`),
  multiDoc: (t, r) => r.pick([
    () => `${t}\n---\n${t}`,
    () => `${t}\n...\n`,
    () => `%YAML 1.1\n---\n${t}`,
    () => `%TAG ! tag:example.com,2000:\n---\n${t}`,
    () => `---\n${t}\n---\n`,
    () => `${t}\n--- !!str\nsecond`,
  ])(),
  dollarQuote: (t, r) => insertSql(t, r, (rr) => rr.pick(['SELECT $$unterminated', 'DO $body$ BEGIN', '$$', "SELECT $a$ x $b$", "COMMENT ON TABLE users IS $$ 🎉 $$;"])),
  psqlMeta: (t, r) => insertSql(t, r, (rr) => rr.pick(['\\set ON_ERROR_STOP on', '\\! echo pwned', '\\i other.sql', '\\gexec', '\\connect postgres', '\\copy users TO x.csv', 'SELECT 1 \\g'])),
  copyStdin: (t, r) => insertSql(t, r, () => 'COPY users (id) FROM stdin;\n1\n2\n\\.'),
  multiByteSql: (t, r) => insertSql(t, r, (rr) => rr.pick([
    `-- ${rr.pick(multiByte)}`,
    `COMMENT ON TABLE users IS '${rr.pick(multiByte)} -- DROP TABLE users; --';`,
    `/* ${rr.pick(multiByte)} */ SELECT '${rr.pick(multiByte)}';`,
    `SELECT 1 AS "${rr.pick(multiByte)}";`,
  ])),
  multiByteProse: (t, r) => replaceValue(t, r, (_, indent) => (r.chance(0.7) ? asBlock(prose(r), indent) : JSON.stringify(prose(r))), (key) => freeText.test(key)),
  numbers: (t, r) => t.replace(/\b(rows|size|expect|pause): .*$/m, (_, k) => `${k}: ${r.pick(['-1', '0', '1e400', '99999999999999999999999', '3.5', '"many"', '0x10', '-0'])}`),
};

export const sqlMutations = {
  truncate: planMutations.truncate,
  insertChars: (t, r) => {
    const at = r.int(t.length + 1);
    return t.slice(0, at) + r.pick([...multiByte, ';', "'", '"', '$$', '/*', '*/', '--', '\\', '\u0000', '(', ')', '\r', '\ufeff']) + t.slice(at);
  },
  deleteSpan: planMutations.deleteSpan,
  duplicateLine: planMutations.duplicateLine,
  bom: planMutations.bom,
  crlf: planMutations.crlf,
  invalidUtf8: planMutations.invalidUtf8,
  multiByteComment: (t, r) => insertLine(t, r, `-- ${r.pick(multiByte)} ${r.pick(multiByte)}`),
  multiByteString: (t, r) => insertLine(t, r, r.pick([
    `COMMENT ON TABLE users IS '${r.pick(multiByte)}';`,
    `SELECT '${r.pick(multiByte)}' AS "${r.pick(multiByte)}";`,
    `/* ${r.pick(multiByte)}\n${r.pick(multiByte)} */`,
  ])),
  hugeString: (t, r) => insertLine(t, r, r.chance(0.5) ? `SELECT '${'x'.repeat(r.pick([10_000, 1_000_000]))}';` : `-- ${'y'.repeat(r.pick([10_000, 1_000_000]))}`),
  unterminated: (t, r) => insertLine(t, r, r.pick(['SELECT $$ never closed', 'DO $fn$ BEGIN', "SELECT 'open", 'SELECT "open', '/* open comment', 'SELECT $a$ x $b$;', 'CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;'])),
  psqlMeta: (t, r) => insertLine(t, r, r.pick(['\\set ON_ERROR_STOP on', '\\! rm -rf /', '\\i other.sql', '\\gexec', '\\connect other', '\\copy users FROM data.csv', '\\if :x', '\\endif', 'SELECT 1 \\g'])),
  copyStdin: (t, r) => insertLine(t, r, r.pick([
    'COPY users (id, email) FROM stdin;\n1\ta@example.com\n2\tb@例え.jp\n\\.',
    "COPY users FROM stdin WITH (FORMAT csv);\n1,\"x;y\"\n\\.",
    'COPY users FROM stdin;\n1\tno end marker',
  ])),
  deepParens: (t, r) => {
    const n = r.pick([10, 100, 1000, 5000, 20000]);
    return insertLine(t, r, `SELECT ${'('.repeat(n)}1${')'.repeat(n)};`);
  },
  ignoreComment: (t, r) => insertLine(t, r, r.pick(['-- migc-ignore', '-- migc-ignore MG201', '-- migc-ignore MG201: 小さいテーブル 🎉', '-- migc-ignore MG999: no such rule', '-- migc-ignore mg201 lower case'])),
  transaction: (t, r) => insertLine(t, r, r.pick(['BEGIN;', 'COMMIT;', 'ROLLBACK;', 'SAVEPOINT s;', 'START TRANSACTION;', 'END;'])),
  nul: (t, r) => insertLine(t, r, 'SELECT 1;\u0000SELECT 2;'),
  manyStatements: (t, r) => `${t}\n${'SELECT 1;\n'.repeat(r.pick([100, 2_000]))}`,
};

/** Mutations too slow for the test suite's short run: the long run (scripts/fuzz.mjs) adds them. */
export const heavySqlMutations = {
  ...sqlMutations,
  thousandsOfStatements: (t) => `${t}\n${'SELECT 1;\n'.repeat(10_000)}`,
  hugeFile: (t, r) => `${t}\n-- ${'z'.repeat(r.pick([5_000_000, 17_000_000]))}\n`,
};

function insertLine(text, r, line) {
  const ls = lines(text);
  ls.splice(r.int(ls.length + 1), 0, line);
  return ls.join('\n');
}

/** A mutated text: one to three mutations, chosen and applied with the case's own generator. */
export function mutate(text, mutations, seed) {
  const r = random(seed);
  const names = [];
  let out = text;
  for (let i = 0, n = 1 + r.int(3); i < n; i++) {
    const name = r.pick(Object.keys(mutations));
    names.push(name);
    out = mutations[name](out, r);
    if (out.length > 12_000_000) break;
  }
  return { text: out, mutations: names };
}
