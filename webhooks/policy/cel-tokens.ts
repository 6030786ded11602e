// CEL source as tokens, enough to rewrite it without parsing: string
// literals (all quotings and prefixes) are single tokens and comments are
// skipped, so text inside a string is never taken for code.
export interface Token {
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** CEL's tokens: strings (all quotings and prefixes) are single tokens, comments and blanks skipped. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const stringStart = /^(?:[rR][bB]?|[bB][rR]?)?("""|'''|"|')/;
  for (let i = 0; i < source.length; ) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (source.startsWith("//", i)) {
      const nl = source.indexOf("\n", i);
      i = nl < 0 ? source.length : nl;
      continue;
    }
    const quoted = stringStart.exec(source.slice(i, i + 5));
    if (quoted) {
      const prefix = quoted[0].slice(0, -quoted[1]!.length);
      const raw = /[rR]/.test(prefix);
      const quote = quoted[1]!;
      let j = i + quoted[0].length;
      while (j < source.length && !source.startsWith(quote, j)) j += !raw && source[j] === "\\" ? 2 : 1;
      j = Math.min(source.length, j + quote.length);
      tokens.push({ text: source.slice(i, j), start: i, end: j });
      i = j;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i));
    if (word) {
      tokens.push({ text: word[0], start: i, end: i + word[0].length });
      i += word[0].length;
      continue;
    }
    const number = /^(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)[uU]?/.exec(source.slice(i));
    const n = number ? number[0].length : 1;
    tokens.push({ text: source.slice(i, i + n), start: i, end: i + n });
    i += n;
  }
  return tokens;
}
