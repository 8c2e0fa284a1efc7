import { parseSql, type ParsedStatement } from './parser.js';

/**
 * What `psql -f` does with a script, piece by piece, in the order it does it: the SQL it sends
 * to the server (exactly the text it sends), the backslash meta-commands it runs itself, and
 * the lines it reads as COPY data. Offsets are string indices into the script.
 */
export type PsqlPiece =
  | {
    readonly kind: 'sql';
    /** The query as psql sends it: from its first token to its semicolon, lines joined as psql joins them. */
    readonly text: string;
    readonly start: number;
    readonly end: number;
    /** psql variables referenced outside quotes (`:name`, `:'name'`, `:"name"`, `:{?name}`): psql substitutes those that are set. */
    readonly variables?: readonly string[];
    /** Where those references are, and how each is written. */
    readonly references?: readonly VariableReference[];
    /** Offsets of the backslashes of `\;` and `\:`, which psql drops. */
    readonly escapes?: readonly number[];
  }
  | {
    readonly kind: 'meta';
    readonly command: string;
    readonly text: string;
    readonly start: number;
    readonly end: number;
    /** It sent the query before it to the server (\g and its kin), as a semicolon would have. */
    readonly sentQuery: boolean;
  }
  | { readonly kind: 'copy-data'; readonly start: number; readonly end: number; readonly lines: number };

/** A psql variable reference in a query: `:name` (raw), `:'name'` (a literal), `:"name"` (an identifier), `:{?name}` (set or not). */
export interface VariableReference {
  readonly name: string;
  readonly form: 'raw' | 'literal' | 'identifier' | 'defined';
  readonly start: number;
  readonly end: number;
}

/** Meta-commands that send the query buffer to the server, as a semicolon would. */
const sendsQuery = new Set(['g', 'gx', 'gset', 'gexec', 'gdesc', 'crosstabview', 'watch']);

const enum State { Initial, Comment, Quote, Escaped, Ident, Dollar }

/** Letters, digits, underscore and any non-ASCII character (PostgreSQL's \200-\377 bytes). */
function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c >= 0x80;
}

function isWordStart(c: number): boolean {
  return isWordChar(c) && !(c >= 48 && c <= 57);
}

/** Space, tab, carriage return, form feed: psql's white space within a line. */
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 12;
}

/** `$tag$` or `$$` at lastIndex. Neither pattern can cross a line break. */
const dollarDelimiter = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
/** A psql variable reference at lastIndex: `:name`, `:'name'`, `:"name"`, `:{?name}`. */
const variableReference = /:(?:([A-Za-z0-9_\u0080-\uffff]+)|'([A-Za-z0-9_\u0080-\uffff]+)'|"([A-Za-z0-9_\u0080-\uffff]+)"|\{\?([A-Za-z0-9_\u0080-\uffff]+)\})/y;

function matchAt(pattern: RegExp, text: string, at: number): RegExpExecArray | null {
  pattern.lastIndex = at;
  return pattern.exec(text);
}

/**
 * Splits a script as psql 15 does (src/fe_utils/psqlscan.l and src/bin/psql/mainloop.c): line by
 * line; a query ends at a semicolon outside quotes, comments, dollar quotes, parentheses and
 * BEGIN ... END bodies of CREATE FUNCTION/PROCEDURE; white space and `--` comments before a
 * query's first token are dropped, empty lines outside quotes are dropped, lines are joined
 * with a line feed; a backslash outside quotes starts a meta-command (`\;` and `\:` put a
 * literal character in the query); after COPY ... FROM STDIN the following lines up to `\.` are
 * data. Standard-conforming strings are assumed on (the default since PostgreSQL 9.1).
 */
export function splitPsqlScript(script: string): PsqlPiece[] {
  const pieces: PsqlPiece[] = [];
  let state = State.Initial;
  let commentDepth = 0;
  let dollarTag = '';
  let parenDepth = 0;
  let beginDepth = 0;
  /** First letters of CREATE [OR REPLACE] FUNCTION|PROCEDURE as psql tracks them, and the word count. */
  let words = '';
  let wordCount = 0;
  let query = '';
  let queryStart = -1;
  let queryEnd = -1;
  let variables: string[] = [];
  let references: VariableReference[] = [];
  let escapes: number[] = [];

  const echo = (from: number, to: number) => {
    if (queryStart < 0) queryStart = from;
    query += script.slice(from, to);
    queryEnd = to;
  };
  const send = () => {
    pieces.push({ kind: 'sql', text: query, start: queryStart, end: queryEnd, ...(variables.length ? { variables, references } : {}), ...(escapes.length ? { escapes } : {}) });
    query = '';
    queryStart = -1;
    variables = [];
    references = [];
    escapes = [];
    wordCount = 0;
  };
  const word = (w: string) => {
    const lower = w.toLowerCase();
    if (wordCount === 0) words = '';
    if (['create', 'function', 'procedure', 'or', 'replace'].includes(lower) && wordCount < 4) words = words.padEnd(wordCount, ' ') + lower[0];
    wordCount++;
    if (/^c(f|p|or[fp])/.test(words) && parenDepth === 0) {
      if (lower === 'begin') beginDepth++;
      else if (lower === 'case' && beginDepth >= 1) beginDepth++;
      else if (lower === 'end' && beginDepth > 0) beginDepth--;
    }
  };

  let lineStart = 0;
  /** Where psql reads its next line: COPY data moves it past the data. */
  let nextLine = 0;
  while (lineStart < script.length) {
    const newline = script.indexOf('\n', lineStart);
    const lineEnd = newline < 0 ? script.length : newline;
    nextLine = newline < 0 ? script.length : newline + 1;
    if (lineEnd === lineStart && state === State.Initial) {
      lineStart = nextLine;
      continue;
    }
    if (query.length > 0) query += '\n';
    let i = lineStart;
    while (i < lineEnd) {
      const c = script.charCodeAt(i);
      const d = i + 1 < lineEnd ? script.charCodeAt(i + 1) : -1;
      if (state === State.Comment) {
        let j = i;
        if (c === 47 /* / */ && d === 42 /* * */) {
          commentDepth++;
          j = i + 2;
        } else if (c === 42) {
          while (j < lineEnd && script.charCodeAt(j) === 42) j++;
          if (j < lineEnd && script.charCodeAt(j) === 47) {
            j++;
            if (commentDepth <= 0) state = State.Initial;
            else commentDepth--;
          }
        } else {
          j = i + 1;
        }
        echo(i, j);
        i = j;
        continue;
      }
      if (state === State.Quote || state === State.Escaped || state === State.Ident) {
        const close = state === State.Ident ? 34 /* " */ : 39; /* ' */
        let j = i;
        if (state === State.Escaped && c === 92 /* \ */) j = Math.min(i + 2, lineEnd);
        else if (c === close && d === close) j = i + 2;
        else if (c === close) {
          j = i + 1;
          state = State.Initial;
        } else j = i + 1;
        echo(i, j);
        i = j;
        continue;
      }
      if (state === State.Dollar) {
        let j = i + 1;
        if (c === 36 /* $ */) {
          const tag = matchAt(dollarDelimiter, script, i)?.[0];
          if (tag === dollarTag) {
            j = i + tag.length;
            state = State.Initial;
          } else if (tag) j = i + tag.length - 1;
        }
        echo(i, j);
        i = j;
        continue;
      }
      // Outside quotes and comments.
      if (isSpace(c)) {
        let j = i + 1;
        while (j < lineEnd && isSpace(script.charCodeAt(j))) j++;
        if (query.length > 0) echo(i, j);
        i = j;
        continue;
      }
      if (c === 45 /* - */ && d === 45) {
        if (query.length > 0) echo(i, lineEnd);
        i = lineEnd;
        continue;
      }
      if (c === 47 /* / */ && d === 42) {
        state = State.Comment;
        commentDepth = 0;
        echo(i, i + 2);
        i += 2;
        continue;
      }
      if (c === 39) {
        state = State.Quote;
        echo(i, i + 1);
        i++;
        continue;
      }
      if (c === 34) {
        state = State.Ident;
        echo(i, i + 1);
        i++;
        continue;
      }
      if (c === 36 /* $ */) {
        if (d >= 48 && d <= 57) {
          let j = i + 1;
          while (j < lineEnd && script.charCodeAt(j) >= 48 && script.charCodeAt(j) <= 57) j++;
          echo(i, j);
          i = j;
          continue;
        }
        const tag = matchAt(dollarDelimiter, script, i)?.[0];
        if (tag) {
          state = State.Dollar;
          dollarTag = tag;
          echo(i, i + tag.length);
          i += tag.length;
          continue;
        }
        echo(i, i + 1);
        i++;
        continue;
      }
      if (isWordStart(c)) {
        const lower = c | 0x20;
        if (d === 39 && (lower === 101 /* e */ || lower === 98 /* b */ || lower === 120 /* x */ || lower === 110 /* n */)) {
          // E'...' takes backslash escapes; B'', X'' and N'' are plain strings. N is not a word to psql.
          state = lower === 101 ? State.Escaped : State.Quote;
          echo(i, i + 2);
          i += 2;
          continue;
        }
        if (lower === 117 /* u */ && d === 38 /* & */) {
          const e = i + 2 < lineEnd ? script.charCodeAt(i + 2) : -1;
          if (e === 39 || e === 34) {
            state = e === 39 ? State.Quote : State.Ident;
            echo(i, i + 3);
            i += 3;
          } else {
            echo(i, i + 1);
            i++;
          }
          continue;
        }
        let j = i + 1;
        while (j < lineEnd && (isWordChar(script.charCodeAt(j)) || script.charCodeAt(j) === 36)) j++;
        word(script.slice(i, j));
        echo(i, j);
        i = j;
        continue;
      }
      if (c >= 48 && c <= 57) {
        let j = i + 1;
        while (j < lineEnd && (isWordChar(script.charCodeAt(j)) || script.charCodeAt(j) === 46)) j++;
        echo(i, j);
        i = j;
        continue;
      }
      if (c === 40) parenDepth++;
      if (c === 41 && parenDepth > 0) parenDepth--;
      if (c === 59 /* ; */) {
        echo(i, i + 1);
        i++;
        if (parenDepth === 0 && beginDepth === 0) {
          const sent = query;
          send();
          if (isCopyFromStdin(sent)) nextLine = copyData(script, nextLine, pieces);
        }
        continue;
      }
      if (c === 92 /* \ */) {
        if (d === 59 || d === 58) {
          // `\;` and `\:` put the bare character in the query; `\;` does not send it.
          if (queryStart < 0) queryStart = i;
          query += script[i + 1];
          queryEnd = i + 2;
          escapes.push(i);
          if (d === 59) wordCount = 0;
          i += 2;
          continue;
        }
        const text = script.slice(i, lineEnd);
        const command = /^\\([^\s\\]*)/.exec(text)![1]!;
        const sentQuery = sendsQuery.has(command) && query.length > 0;
        if (sentQuery) send();
        pieces.push({ kind: 'meta', command, text: text.replace(/\r$/, ''), start: i, end: lineEnd, sentQuery });
        if (command === 'copy' && /\bfrom\s+stdin\b/i.test(text)) nextLine = copyData(script, nextLine, pieces);
        i = lineEnd;
        continue;
      }
      if (c === 58 /* : */) {
        if (d === 58) {
          echo(i, i + 2);
          i += 2;
          continue;
        }
        const variable = matchAt(variableReference, script, i);
        if (variable) {
          variables.push(variable[1] ?? variable[2] ?? variable[3] ?? `{?${variable[4]}}`);
          const form = variable[1] !== undefined ? 'raw' : variable[2] !== undefined ? 'literal' : variable[3] !== undefined ? 'identifier' : 'defined';
          references.push({ name: variable[1] ?? variable[2] ?? variable[3] ?? variable[4]!, form, start: i, end: i + variable[0].length });
          echo(i, i + variable[0].length);
          i += variable[0].length;
          continue;
        }
      }
      echo(i, i + 1);
      i++;
    }
    lineStart = nextLine;
  }
  // At the end of the file psql sends what is left, even without a semicolon.
  if (query.length > 0) send();
  return pieces;
}

/** Whether the server would answer this query by reading COPY data from psql. */
function isCopyFromStdin(query: string): boolean {
  // Cheap first: only a query whose first word is COPY is parsed again.
  if (!/^(?:\/\*[\s\S]*?\*\/\s*)*copy\b/i.test(query)) return false;
  const parsed = parseSql(query);
  return parsed.ok && parsed.statements.length === 1 && copiesFromStdin(parsed.statements[0]!.ast);
}

/** COPY ... FROM STDIN: the server asks the client for the data. */
export function copiesFromStdin(ast: object): boolean {
  const copy = (ast as { CopyStmt?: { is_from?: boolean; filename?: string; is_program?: boolean } }).CopyStmt;
  return copy?.is_from === true && copy.filename === undefined && !copy.is_program;
}

/** Lines after a COPY FROM STDIN, up to a line `\.` (or the end of the file): psql sends them as data. */
function copyData(script: string, from: number, pieces: PsqlPiece[]): number {
  let at = from;
  let lines = 0;
  while (at < script.length) {
    const newline = script.indexOf('\n', at);
    const line = script.slice(at, newline < 0 ? script.length : newline);
    const next = newline < 0 ? script.length : newline + 1;
    if (newline >= 0 && (line === '\\.' || line === '\\.\r')) {
      pieces.push({ kind: 'copy-data', start: from, end: next, lines });
      return next;
    }
    lines++;
    at = next;
  }
  pieces.push({ kind: 'copy-data', start: from, end: script.length, lines });
  return script.length;
}

/** Variables psql sets itself (psql 15 to 18): a reference to one outside quotes is replaced by its value. */
const psqlVariables = new Set([
  'AUTOCOMMIT', 'COMP_KEYWORD_CASE', 'DBNAME', 'ECHO', 'ECHO_HIDDEN', 'ENCODING', 'ERROR', 'FETCH_COUNT', 'HIDE_TABLEAM',
  'HIDE_TOAST_COMPRESSION', 'HISTCONTROL', 'HISTFILE', 'HISTSIZE', 'HOST', 'IGNOREEOF', 'LASTOID', 'LAST_ERROR_MESSAGE',
  'LAST_ERROR_SQLSTATE', 'ON_ERROR_ROLLBACK', 'ON_ERROR_STOP', 'PORT', 'PROMPT1', 'PROMPT2', 'PROMPT3', 'QUIET', 'ROW_COUNT',
  'SERVER_VERSION_NAME', 'SERVER_VERSION_NUM', 'SERVICE', 'SHELL_ERROR', 'SHELL_EXIT_CODE', 'SHOW_ALL_RESULTS', 'SHOW_CONTEXT',
  'SINGLELINE', 'SINGLESTEP', 'SQLSTATE', 'USER', 'VERBOSITY', 'VERSION', 'VERSION_NAME', 'VERSION_NUM', 'WATCH_INTERVAL',
]);

export interface PsqlStatement {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

export type PsqlStatements =
  | { readonly ok: true; readonly statements: readonly PsqlStatement[] }
  | { readonly ok: false; readonly offset: number; readonly text: string; readonly message: string };

/** Why psql would change this query's text: a reference to a variable it sets. */
function substitutedVariable(piece: Extract<PsqlPiece, { kind: 'sql' }>): string | undefined {
  const name = piece.variables?.find((v) => psqlVariables.has(v) || v.startsWith('{?'));
  return name === undefined ? undefined : `psql would replace :${name} with the value of its variable; write it another way (a space after the colon, or inside quotes)`;
}

/**
 * Why SQL that PostgreSQL's parser read as these statements would run otherwise when migc's
 * scripts put it before `psql -f`, or undefined: COPY ... FROM STDIN (psql would read the script's
 * next lines as its data), a variable psql would substitute, or a place where psql would split
 * the text otherwise than the parser (two statements sent as one query, or one cut in two).
 */
export function psqlDivergence(sql: string, statements: readonly ParsedStatement[]): { start: number; end: number; message: string } | undefined {
  for (const s of statements) {
    if (copiesFromStdin(s.ast)) {
      return { start: s.start, end: s.end, message: 'COPY ... FROM STDIN: psql would read the lines after it in the script as its data' };
    }
    const set = (s.ast as { VariableSetStmt?: { name?: string } }).VariableSetStmt;
    if (set?.name === 'standard_conforming_strings') {
      return { start: s.start, end: s.end, message: 'standard_conforming_strings changes how psql and the server read every string after it, and migc read them with it on' };
    }
  }
  const pieces = splitPsqlScript(sql);
  let k = 0;
  for (const piece of pieces) {
    if (piece.kind === 'meta') return { start: piece.start, end: piece.end, message: `psql would run \\${piece.command} as a meta-command of its own` };
    if (piece.kind === 'copy-data') continue;
    const substituted = substitutedVariable(piece);
    if (substituted !== undefined) return { start: piece.start, end: piece.end, message: substituted };
    // The statements inside this query: at most one, and none reaching past its end.
    const inside: ParsedStatement[] = [];
    while (k < statements.length && statements[k]!.start < piece.end) inside.push(statements[k++]!);
    const cut = inside.find((s) => s.end > piece.end);
    if (cut) return { start: cut.start, end: cut.end, message: 'psql would cut this statement in two: it ends a query at a semicolon the parser reads as part of the statement' };
    if (inside.length > 1) return { start: inside[1]!.start, end: inside[1]!.end, message: `psql would send this statement in one query with the one before it (${inside.length} statements up to its next semicolon)` };
  }
  return undefined;
}

/**
 * The queries `psql -X -v ON_ERROR_STOP=1 -f` sends to the server for a script, in order, as it
 * sends them; or why they cannot be known from the script alone: a meta-command (psql runs it
 * itself), COPY data read from the script, or a reference to a variable psql sets.
 */
export function psqlStatements(script: string): PsqlStatements {
  const statements: PsqlStatement[] = [];
  for (const piece of splitPsqlScript(script)) {
    if (piece.kind === 'meta') {
      return { ok: false, offset: piece.start, text: piece.text, message: `psql would run the meta-command \\${piece.command} itself; a migration script must hold only SQL` };
    }
    if (piece.kind === 'copy-data') {
      return { ok: false, offset: piece.start, text: script.slice(piece.start, piece.start + 60), message: `psql would read ${piece.lines} line${piece.lines === 1 ? '' : 's'} of the script as data for COPY ... FROM STDIN` };
    }
    const substituted = substitutedVariable(piece);
    if (substituted !== undefined) return { ok: false, offset: piece.start, text: piece.text, message: substituted };
    statements.push({ text: piece.text, start: piece.start, end: piece.end });
  }
  return { ok: true, statements };
}

/** What psql does not send as SQL, in a script it runs: its meta-commands and the COPY data it reads. */
export type PsqlOnly = Extract<PsqlPiece, { kind: 'meta' | 'copy-data' }>;

/**
 * A script as the SQL parser should read it: meta-commands and COPY data blanked out with spaces
 * (line breaks kept, so every offset and line stays where it was), `\;` read as `;`, a
 * meta-command that sends the query (\g) read as the semicolon it stands for, and the psql
 * variables psql substitutes read as what they become, at the same length: `:'name'` a string
 * literal (`'name'`), `:"name"` an identifier (`"name"`), `:{?name}` a boolean, and `:name` the
 * name itself (`name`) when the script sets it with \set (unset, psql leaves it as it is, as in an array
 * slice `a[1:n]`). The quoted forms are read so whether or not the script sets them: the tool
 * that runs it passes them (`psql -v`, `sqitch deploy --set`).
 */
export function psqlSqlOnly(script: string, { placeholder }: {
  /** Names the tool that runs the script replaces with text before sending it (Graphile Migrate's `:DATABASE_OWNER`): read as themselves, set or not. */
  readonly placeholder?: (name: string) => boolean;
} = {}): { sql: string; skipped: PsqlOnly[]; names: ReadonlySet<string> } {
  const skipped: PsqlOnly[] = [];
  /** The variables read as names, as the parser reads them (names: below). */
  const names = new Set<string>();
  const edits: { start: number; end: number; text: string }[] = [];
  const blank = (start: number, end: number) => script.slice(start, end).replace(/[^\n]/g, ' ');
  const set = new Set<string>();
  for (const piece of splitPsqlScript(script)) {
    if (piece.kind === 'sql') {
      for (const at of piece.escapes ?? []) edits.push({ start: at, end: at + 1, text: ' ' });
      for (const r of piece.references ?? []) {
        const length = r.end - r.start;
        if (r.form === 'literal' || r.form === 'identifier') edits.push({ start: r.start, end: r.start + 1, text: ' ' });
        else if (r.form === 'defined') edits.push({ start: r.start, end: r.end, text: 'TRUE'.padEnd(length) });
        else if (set.has(r.name) || placeholder?.(r.name)) edits.push({ start: r.start, end: r.end, text: `${r.name} ` });
        // A name in place of a value: `:name` folded as an unquoted name is, `:"name"` as written.
        if (r.form === 'identifier') names.add(r.name);
        else if (r.form !== 'literal' && r.form !== 'defined' && (set.has(r.name) || placeholder?.(r.name))) names.add(r.name.toLowerCase());
      }
      continue;
    }
    if (piece.kind === 'meta' && (piece.command === 'set' || piece.command === 'unset')) {
      const name = piece.text.trim().split(/\s+/)[1];
      if (name !== undefined) {
        if (piece.command === 'set') set.add(name);
        else set.delete(name);
      }
    }
    skipped.push(piece);
    edits.push({ start: piece.start, end: piece.end, text: piece.kind === 'meta' && piece.sentQuery ? `;${blank(piece.start + 1, piece.end)}` : blank(piece.start, piece.end) });
  }
  if (edits.length === 0) return { sql: script, skipped, names };
  edits.sort((a, b) => a.start - b.start);
  let sql = '';
  let at = 0;
  for (const e of edits) {
    sql += script.slice(at, e.start) + e.text;
    at = e.end;
  }
  return { sql: sql + script.slice(at), skipped, names };
}
