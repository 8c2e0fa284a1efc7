/** Query parameters of a connection URL that hold secrets (libpq's names). */
const secretParameters = ['password', 'sslpassword'];

/**
 * A database URL as it may be shown: the password (in the userinfo part or as ?password=) and
 * other secret parameters replaced by ***. A text that is not a URL is not shown at all.
 */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '(the given database URL, which is not a valid URL)';
  }
  if (u.password) u.password = '***';
  for (const name of [...u.searchParams.keys()]) {
    if (secretParameters.includes(name.toLowerCase())) u.searchParams.set(name, '***');
  }
  // URLSearchParams encodes the stars; keep them readable.
  return u.toString().replace(/%2A%2A%2A/g, '***');
}

/** The secrets a database URL holds, as written and decoded: what must never be printed. */
export function urlSecrets(url: string): string[] {
  const found = new Set<string>();
  const add = (s: string) => {
    if (!s) return;
    found.add(s);
    try {
      found.add(decodeURIComponent(s));
    } catch {
      // a malformed escape: the raw text is enough
    }
  };
  try {
    const u = new URL(url);
    add(u.password);
    for (const [name, value] of u.searchParams) if (secretParameters.includes(name.toLowerCase())) add(value);
    // The raw query text too: URLSearchParams decodes '+' as a space.
    for (const part of u.search.slice(1).split('&')) {
      const [name, value] = part.split('=');
      if (name && value && secretParameters.includes(name.toLowerCase())) add(value);
    }
  } catch {
    // Not a URL: nothing of it is printed (redactUrl), and pg cannot use it either.
  }
  // Longest first, so a secret that contains another is replaced whole.
  return [...found].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
}

/** The text with every secret replaced by ***. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return out;
}
