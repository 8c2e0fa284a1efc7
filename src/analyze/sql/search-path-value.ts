import type { SearchPath } from './search-path.js';

// Apart from search-path.ts, which reads statements: the config and the CLI read a path before any SQL is loaded.

/**
 * A search_path value as PostgreSQL reads it from a connection's options or the server's
 * configuration (`-c search_path=storage,public`; SplitIdentifierString): names separated by commas,
 * white space around them ignored, a bare name in lower case (Storage is storage), a quoted one as
 * written with "" for a quote; "$user" left out, as the schema named after the role, which migc
 * cannot know (as PostgreSQL leaves it out when there is no such schema). '' is the empty path.
 * Undefined for what PostgreSQL refuses as "List syntax is invalid": an empty name (a,,b), an
 * unclosed quote, a name followed by anything but a comma (a b).
 */
export function readSearchPath(value: string): SearchPath | undefined {
  const path: string[] = [];
  const isSpace = (c: string | undefined) => c !== undefined && ' \t\n\r\f\v'.includes(c);
  let i = 0;
  while (isSpace(value[i])) i++;
  if (i === value.length) return path;
  for (;;) {
    let name: string;
    if (value[i] === '"') {
      let end = i + 1;
      name = '';
      for (;;) {
        const close = value.indexOf('"', end);
        if (close === -1) return undefined;
        name += value.slice(end, close);
        if (value[close + 1] !== '"') {
          end = close + 1;
          break;
        }
        name += '"';
        end = close + 2;
      }
      i = end;
    } else {
      const start = i;
      while (i < value.length && value[i] !== ',' && !isSpace(value[i])) i++;
      // A bare name is folded to lower case as SQL's are (ASCII letters: downcase_truncate_identifier).
      name = value.slice(start, i).replace(/[A-Z]+/g, (c) => c.toLowerCase());
      if (name === '') return undefined;
    }
    // "" is a name no schema can have (PostgreSQL takes it, and finds nothing there).
    if (name !== '$user' && name !== '') path.push(name);
    while (isSpace(value[i])) i++;
    if (i === value.length) return path;
    if (value[i] !== ',') return undefined;
    i++;
    while (isSpace(value[i])) i++;
  }
}
