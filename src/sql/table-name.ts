/**
 * A table's name as a user writes it outside SQL (`--assume-rows Users=40`, `"User"=40`,
 * `app.Orders=10`, `public."User"=10`), read by PostgreSQL's rules for identifiers: an unquoted
 * name is folded to lower case (ASCII letters only, as the server does in UTF-8), a quoted one is
 * taken as written (`""` is a quote); parts are separated by dots. Returns the key the analysis
 * sizes tables by (tableKey: `public.` left out), or undefined when the text is no name.
 */
export function readTableName(text: string): string | undefined {
  const parts: string[] = [];
  let at = 0;
  for (;;) {
    if (text[at] === '"') {
      let part = '';
      let i = at + 1;
      for (; i < text.length; i++) {
        if (text[i] !== '"') part += text[i];
        else if (text[i + 1] === '"') part += text[++i];
        else break;
      }
      // An unclosed quote, or "" (PostgreSQL refuses a zero-length delimited identifier).
      if (i >= text.length || part === '') return undefined;
      parts.push(part);
      at = i + 1;
    } else {
      const m = unquotedPart.exec(text.slice(at));
      if (!m) return undefined;
      parts.push(m[0].replace(/[A-Z]+/g, (c) => c.toLowerCase()));
      at += m[0].length;
    }
    if (at === text.length) break;
    if (text[at] !== '.') return undefined;
    at++;
  }
  if (parts.length > 2) return undefined;
  // public.users is users, as tableKey (schema-state.ts) keys it; not imported, to keep the config light.
  return parts.length === 2 && parts[0] === 'public' ? parts[1] : parts.join('.');
}

/** scan.l's identifier: a letter, underscore or non-ASCII character, then those, digits and `$`. */
const unquotedPart = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/;
