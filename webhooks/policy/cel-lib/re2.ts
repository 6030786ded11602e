// RE2 syntax (Go's regexp, what cel-go's matches() and Kubernetes' find() and
// findAll() compile) translated to an equivalent JavaScript RegExp with the
// `u` flag, or refused with Go's kind of error where RE2 refuses the pattern
// (lookarounds, backreferences, \C, nested repetition, counts over 1000).
// Semantics kept: `.` excludes only \n, \s is [\t\n\f\r ], POSIX classes,
// \pN and \p{Script}, (?flags) and (?flags:re) scoped to their group, the
// U (ungreedy) flag, \Q...\E, \A and \z, ^/$ matching only at text ends
// unless (?m), and there only around \n.
import { celError } from "./value.ts";

const POSIX: Readonly<Record<string, string>> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "!-~",
  lower: "a-z",
  print: " -~",
  punct: "!-\\/:-@\\[-`{-~",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};
const PERL: Readonly<Record<string, string>> = { d: "0-9", s: "\\t\\n\\f\\r ", w: "0-9A-Za-z_" };
const GENERAL_CATEGORIES = new Set(["C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So", "Z", "Zl", "Zp", "Zs"]);

class Re2Error extends Error {}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

/** One \p class as JavaScript writes it; throws for names RE2 does not know. */
function unicodeClass(name: string, negated: boolean): string {
  let js: string;
  if (name === "Any") js = "\\s\\S";
  else if (GENERAL_CATEGORIES.has(name)) js = `\\p{${name}}`;
  else {
    js = `\\p{Script=${name}}`;
    try {
      new RegExp(js, "u");
    } catch {
      throw new Re2Error(`invalid character class range: \\p{${name}}`);
    }
  }
  if (name === "Any") return negated ? "" : js;
  return negated ? js.replace("\\p", "\\P") : js;
}

/** A literal character in JavaScript's u-mode syntax ("-" needs escaping only inside a class). */
function escapeLiteral(c: string, inClass = false): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) || (inClass && c === "-") ? `\\${c}` : c;
}

class Translator {
  private i = 0;
  private readonly src: string;
  constructor(src: string) {
    this.src = src;
  }

  translate(): string {
    const out = this.alternation({ i: false, m: false, s: false, U: false }, false);
    if (this.i < this.src.length) throw new Re2Error("unexpected )");
    return out;
  }

  private peek(n = 0): string | undefined {
    return this.src[this.i + n];
  }

  /** An escape outside a class: a class body ("[...]" content), or a literal, or an assertion. */
  private escape(flags: Flags, inClass: boolean): { kind: "class" | "literal" | "assertion"; text: string } {
    this.i++;
    const c = this.src[this.i++];
    if (c === undefined) throw new Re2Error("trailing backslash at end of expression");
    if (c in PERL) return { kind: "class", text: PERL[c]! };
    if ("DSW".includes(c)) return { kind: "class", text: `^${PERL[c.toLowerCase()]!}` };
    if (c === "p" || c === "P") {
      let name: string;
      if (this.peek() === "{") {
        const end = this.src.indexOf("}", this.i);
        if (end < 0) throw new Re2Error("invalid character class range");
        name = this.src.slice(this.i + 1, end);
        this.i = end + 1;
      } else {
        name = this.src[this.i++] ?? "";
      }
      let negated = c === "P";
      if (name.startsWith("^")) [name, negated] = [name.slice(1), !negated];
      return { kind: "class", text: unicodeClass(name, negated) };
    }
    if (!inClass) {
      // The RegExp never gets the m flag, so ^ and $ are the text's ends.
      if (c === "A") return { kind: "assertion", text: "^" };
      if (c === "z") return { kind: "assertion", text: "$" };
      if (c === "b" || c === "B") return { kind: "assertion", text: `\\${c}` };
    }
    const simple: Record<string, string> = { a: "\\x07", f: "\\f", t: "\\t", n: "\\n", r: "\\r", v: "\\v" };
    if (c in simple) return { kind: "literal", text: simple[c]! };
    if (c === "x") {
      let hex: string;
      if (this.peek() === "{") {
        const end = this.src.indexOf("}", this.i);
        hex = end < 0 ? "" : this.src.slice(this.i + 1, end);
        this.i = end + 1;
      } else {
        hex = this.src.slice(this.i, this.i + 2);
        this.i += 2;
      }
      if (!/^[0-9A-Fa-f]+$/.test(hex) || parseInt(hex, 16) > 0x10ffff) throw new Re2Error("invalid escape sequence: \\x");
      return { kind: "literal", text: `\\u{${parseInt(hex, 16).toString(16)}}` };
    }
    if (/[0-7]/.test(c)) {
      // \0 and \1-\7 followed by more octal digits are octal; a lone \1-\9 would be a backreference.
      if (c === "0" || /[0-7]/.test(this.peek() ?? "")) {
        let digits = c;
        while (digits.length < 3 && /[0-7]/.test(this.peek() ?? "")) digits += this.src[this.i++];
        return { kind: "literal", text: `\\u{${parseInt(digits, 8).toString(16)}}` };
      }
    }
    if (/[!-/:-@[-`{-~]/.test(c)) return { kind: "literal", text: escapeLiteral(c) };
    throw new Re2Error(`invalid escape sequence: \\${c}`);
  }

  /** A bracketed class, as the content of a JavaScript class. */
  private charClass(flags: Flags): string {
    this.i++;
    let negated = false;
    if (this.peek() === "^") {
      negated = true;
      this.i++;
    }
    const parts: string[] = [];
    let first = true;
    while (true) {
      const c = this.peek();
      if (c === undefined) throw new Re2Error("missing closing ]");
      if (c === "]" && !first) break;
      first = false;
      if (c === "[" && this.peek(1) === ":") {
        const end = this.src.indexOf(":]", this.i + 2);
        if (end < 0) throw new Re2Error("missing closing ]");
        let name = this.src.slice(this.i + 2, end);
        const not = name.startsWith("^");
        if (not) name = name.slice(1);
        if (!(name in POSIX)) throw new Re2Error(`invalid character class range: [:${name}:]`);
        parts.push(...(not ? this.complementOf(POSIX[name]!) : [POSIX[name]!]));
        this.i = end + 2;
        continue;
      }
      let literal: string;
      if (c === "\\") {
        const e = this.escape(flags, true);
        if (e.kind === "class") {
          parts.push(e.text.startsWith("^") ? this.complementOf(e.text.slice(1)).join("") : e.text);
          continue;
        }
        literal = e.text;
      } else {
        literal = escapeLiteral(String.fromCodePoint(this.src.codePointAt(this.i)!), true);
        this.i += String.fromCodePoint(this.src.codePointAt(this.i)!).length;
      }
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== undefined) {
        this.i++;
        let high: string;
        if (this.peek() === "\\") {
          const e = this.escape(flags, true);
          if (e.kind !== "literal") throw new Re2Error("invalid character class range");
          high = e.text;
        } else {
          high = escapeLiteral(String.fromCodePoint(this.src.codePointAt(this.i)!), true);
          this.i += String.fromCodePoint(this.src.codePointAt(this.i)!).length;
        }
        if (codePointOf(literal) > codePointOf(high)) throw new Re2Error("invalid character class range");
        parts.push(`${literal}-${high}`);
      } else parts.push(literal);
    }
    this.i++;
    const body = parts.join("");
    if (body === "" && !negated) return "[]";
    return negated ? `[^${body}]` : `[${body}]`;
  }

  /** Ranges for the complement of an ASCII class body, inside another class. */
  private complementOf(body: string): string[] {
    const set = new Set<number>();
    const re = new RegExp(`[${body}]`, "u");
    for (let cp = 0; cp < 128; cp++) if (re.test(String.fromCodePoint(cp))) set.add(cp);
    const ranges: string[] = [];
    let start = -1;
    for (let cp = 0; cp <= 128; cp++) {
      const inComplement = cp < 128 && !set.has(cp);
      if (inComplement && start < 0) start = cp;
      if (!inComplement && start >= 0) {
        ranges.push(`\\u{${start.toString(16)}}-\\u{${(cp - 1).toString(16)}}`);
        start = -1;
      }
    }
    ranges.push("\\u{80}-\\u{10FFFF}");
    return ranges;
  }

  /** Flags set by (?flags) hold to the end of the group, across its later alternatives too: the branches share one copy. */
  private alternation(outer: Flags, inGroup: boolean): string {
    const flags = { ...outer };
    const branches: string[] = [this.sequence(flags, inGroup)];
    while (this.peek() === "|") {
      this.i++;
      branches.push(this.sequence(flags, inGroup));
    }
    return branches.join("|");
  }

  /** A sequence of quantified atoms, up to | or ) or the end; (?flags) changes the group's flags. */
  private sequence(flags: Flags, inGroup: boolean): string {
    let out = "";
    let lastAtom: string | undefined;
    let lastWasRepeat = false;
    while (this.i < this.src.length) {
      const c = this.peek()!;
      if (c === "|") break;
      if (c === ")") {
        if (!inGroup) throw new Re2Error("unexpected )");
        break;
      }
      if ("*+?{".includes(c)) {
        const q = this.quantifier(flags);
        if (q === undefined) {
          // A "{" that is not a repetition is a literal.
          this.i++;
          lastAtom = "\\{";
          out += lastAtom;
          lastWasRepeat = false;
          continue;
        }
        if (lastAtom === undefined) throw new Re2Error(`missing argument to repetition operator: \`${c}\``);
        if (lastWasRepeat) throw new Re2Error("invalid nested repetition operator");
        out += q;
        lastWasRepeat = true;
        continue;
      }
      lastWasRepeat = false;
      if (c === "(" && this.peek(1) === "?" && /^\(\?[imsU-]*\)/.test(this.src.slice(this.i))) {
        const m = /^\(\?([imsU-]*)\)/.exec(this.src.slice(this.i))!;
        this.i += m[0].length;
        Object.assign(flags, setFlags(flags, m[1]!));
        lastAtom = undefined;
        continue;
      }
      const atom = this.atom(flags);
      if (atom.assertion) {
        out += atom.text;
        lastAtom = undefined;
        continue;
      }
      lastAtom = atom.text;
      out += atom.text;
    }
    return out;
  }

  private quantifier(flags: Flags): string | undefined {
    const c = this.peek()!;
    let q: string;
    if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return undefined;
      const min = Number(m[1]);
      const max = m[3] === undefined || m[3] === "" ? undefined : Number(m[3]);
      if (min > 1000 || (max ?? 0) > 1000 || (max !== undefined && max < min)) throw new Re2Error(`invalid repeat count: \`${m[0]}\``);
      q = m[0];
      this.i += m[0].length;
    } else {
      q = c;
      this.i++;
    }
    let lazy = false;
    if (this.peek() === "?") {
      lazy = true;
      this.i++;
    }
    return flags.U !== lazy ? `${q}?` : q;
  }

  private atom(flags: Flags): { text: string; assertion?: boolean } {
    const c = this.peek()!;
    const ci = (t: string) => (flags.i ? `(?i:${t})` : t);
    if (c === "(") {
      this.i++;
      let prefix = "(";
      let inner = flags;
      const rest = this.src.slice(this.i);
      if (rest.startsWith("?")) {
        const named = /^\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
        const modifiers = /^\?([imsU-]*):/.exec(rest);
        if (named) {
          // Only matches are used, so names are dropped (RE2 allows repeating one; JavaScript does not).
          this.i += named[0].length;
        } else if (modifiers) {
          inner = modifiers[1] === "" ? flags : setFlags(flags, modifiers[1]!);
          prefix = "(?:";
          this.i += modifiers[0].length;
        } else throw new Re2Error(`invalid or unsupported Perl syntax: \`${rest.slice(0, 2)}\``);
      }
      const body = this.alternation(inner, true);
      if (this.peek() !== ")") throw new Re2Error("missing closing )");
      this.i++;
      return { text: `${prefix}${body})` };
    }
    if (c === "[") return { text: ci(this.charClass(flags)) };
    if (c === ".") {
      this.i++;
      return { text: flags.s ? "[\\s\\S]" : "[^\\n]" };
    }
    if (c === "^") {
      this.i++;
      // Not a negative lookbehind: V8 lets one match inside a surrogate pair.
      return { text: flags.m ? "(?:^|(?<=\\n))" : "^", assertion: true };
    }
    if (c === "$") {
      this.i++;
      return { text: flags.m ? "(?=\\n|$)" : "$", assertion: true };
    }
    if (c === "\\") {
      if (this.peek(1) === "Q") {
        const end = this.src.indexOf("\\E", this.i + 2);
        // A repetition after \E applies to the last quoted character alone: it is the atom, the rest comes before it.
        const literal = [...this.src.slice(this.i + 2, end < 0 ? undefined : end)].map((c) => ci(escapeLiteral(c)));
        this.i = end < 0 ? this.src.length : end + 2;
        return { text: literal.join("") };
      }
      const e = this.escape(flags, false);
      if (e.kind === "assertion") return { text: e.text, assertion: true };
      return { text: ci(e.kind === "class" ? (e.text.startsWith("^") ? `[^${e.text.slice(1)}]` : `[${e.text}]`) : e.text) };
    }
    const char = String.fromCodePoint(this.src.codePointAt(this.i)!);
    this.i += char.length;
    return { text: ci(escapeLiteral(char)) };
  }
}

function codePointOf(literal: string): number {
  const u = /^\\u\{([0-9a-f]+)\}$/i.exec(literal);
  if (u) return parseInt(u[1]!, 16);
  const named: Record<string, number> = { "\\x07": 7, "\\f": 12, "\\t": 9, "\\n": 10, "\\r": 13, "\\v": 11 };
  if (literal in named) return named[literal]!;
  return (literal.length > 1 && literal.startsWith("\\") ? literal.slice(1) : literal).codePointAt(0)!;
}

function setFlags(flags: Flags, spec: string): Flags {
  const out = { ...flags };
  let on = true;
  if (spec === "" || spec.endsWith("-") || spec.split("-").length > 2) throw new Re2Error(`invalid or unsupported Perl syntax: \`(?${spec}\``);
  for (const c of spec) {
    if (c === "-") on = false;
    else out[c as keyof Flags] = on;
  }
  return out;
}

const cache = new Map<string, RegExp>();
const CACHE_LIMIT = 512;

/** The pattern as a JavaScript RegExp; throws a CEL error for what RE2 refuses. */
export function re2(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  try {
    re = new RegExp(new Translator(pattern).translate(), "gu");
  } catch (error) {
    const message = error instanceof Re2Error ? error.message : "invalid or unsupported syntax";
    throw celError(`error parsing regexp: ${message}: \`${pattern}\``);
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(pattern, re);
  return re;
}

/** Go's FindAllString: successive non-overlapping matches; an empty match right after a match is skipped. */
export function findAll(s: string, pattern: string, limit = -1): string[] {
  const re = re2(pattern);
  const out: string[] = [];
  let previousEnd = -1;
  re.lastIndex = 0;
  while (limit < 0 || out.length < limit) {
    const m = re.exec(s);
    if (!m) break;
    const end = m.index + m[0].length;
    if (m[0] === "") {
      if (m.index !== previousEnd) out.push("");
      re.lastIndex = m.index + (String.fromCodePoint(s.codePointAt(m.index) ?? 0).length || 1);
      if (m.index >= s.length) break;
    } else out.push(m[0]);
    previousEnd = end;
  }
  return out;
}

export function find(s: string, pattern: string): string {
  const re = re2(pattern);
  re.lastIndex = 0;
  return re.exec(s)?.[0] ?? "";
}

export function matches(s: string, pattern: string): boolean {
  const re = re2(pattern);
  re.lastIndex = 0;
  return re.test(s);
}
