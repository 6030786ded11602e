// Kubernetes' URL library for CEL (k8s.io/apiserver/pkg/cel/library urls.go)
// on a port of the parts of Go's net/url it uses: ParseRequestURI (which
// decides what is a URL), Parse (which gives the value), EscapedPath,
// Hostname, Port, Query and String. Go works on bytes, so this works on UTF-8.
import type { Environment } from "@marcbachmann/cel-js";
import { parseAddr } from "./net.ts";
import { celError, KubernetesValue } from "./value.ts";

type Mode = "path" | "host" | "zone" | "userPassword" | "queryComponent" | "fragment";

const isAlphanumeric = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);
const ch = (c: number) => String.fromCharCode(c);

/** net/url's shouldEscape. */
function shouldEscape(c: number, mode: Mode): boolean {
  if (isAlphanumeric(c)) return false;
  const s = ch(c);
  if ((mode === "host" || mode === "zone") && "!$&'()*+,;=:[]<>\"".includes(s)) return false;
  if ("-_.~".includes(s)) return false;
  if ("$&+,/:;=?@".includes(s)) {
    switch (mode) {
      case "userPassword":
        return "@/?:".includes(s);
      case "queryComponent":
        return true;
      case "fragment":
        return false;
      case "path":
        return s === "?";
    }
  }
  if (mode === "fragment" && "!()*".includes(s)) return false;
  return true;
}

const utf8 = (s: string) => new TextEncoder().encode(s);
const fromUtf8 = (b: Uint8Array | number[]) => Buffer.from(b).toString("utf8");
const isHex = (c: number | undefined) => c !== undefined && /[0-9a-fA-F]/.test(ch(c));

class UrlError extends Error {}

/** net/url's unescape; throws with Go's messages. */
function unescape(text: string, mode: Mode): string {
  const s = utf8(text);
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === 0x25) {
      if (i + 2 >= s.length || !isHex(s[i + 1]) || !isHex(s[i + 2])) throw new UrlError(`invalid URL escape ${JSON.stringify(fromUtf8(s.slice(i, i + 3)))}`);
      const v = parseInt(ch(s[i + 1]!) + ch(s[i + 2]!), 16);
      const escape = fromUtf8(s.slice(i, i + 3));
      if (mode === "host" && v >> 4 < 8 && escape !== "%25") throw new UrlError(`invalid URL escape ${JSON.stringify(escape)}`);
      if (mode === "zone" && escape !== "%25" && v !== 0x20 && shouldEscape(v, "host")) throw new UrlError(`invalid URL escape ${JSON.stringify(escape)}`);
      out.push(v);
      i += 2;
    } else if (c === 0x2b) {
      out.push(mode === "queryComponent" ? 0x20 : 0x2b);
    } else {
      if ((mode === "host" || mode === "zone") && c < 0x80 && shouldEscape(c, mode)) throw new UrlError(`invalid character ${JSON.stringify(ch(c))} in host name`);
      out.push(c);
    }
  }
  return fromUtf8(out);
}

function escape(text: string, mode: Mode): string {
  let out = "";
  for (const c of utf8(text)) {
    if (!shouldEscape(c, mode)) out += ch(c);
    else if (c === 0x20 && mode === "queryComponent") out += "+";
    else out += `%${c.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function validEncoded(s: string, mode: Mode): boolean {
  for (const c of utf8(s)) if (!"!$&'()*+,;=:@[]%".includes(ch(c)) && shouldEscape(c, mode)) return false;
  return true;
}

function validOptionalPort(port: string): boolean {
  return port === "" || /^:[0-9]*$/.test(port);
}

function parseHost(scheme: string, host: string): string {
  const open = host.lastIndexOf("[");
  if (open > 0) throw new UrlError("invalid IP-literal");
  if (open === 0) {
    const close = host.lastIndexOf("]");
    if (close < 0) throw new UrlError("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) throw new UrlError(`invalid port ${JSON.stringify(colonPort)} after host`);
    const port = unescape(colonPort, "host");
    const hostname = host.slice(1, close);
    const zone = hostname.indexOf("%25");
    const address = zone >= 0 ? unescape(hostname.slice(0, zone), "host") + unescape(hostname.slice(zone), "zone") : unescape(hostname, "host");
    let bytes: Uint8Array;
    try {
      bytes = parseAddr(address).bytes;
    } catch (error) {
      throw new UrlError(`invalid host: ParseAddr(${JSON.stringify(address)}): ${(error as Error).message}`);
    }
    if (bytes.length === 4) throw new UrlError("invalid IP-literal");
    return `[${address}]${port}`;
  }
  const first = host.indexOf(":");
  if (first !== -1) {
    const last = host.lastIndexOf(":");
    // Go 1.26 keeps the first colon for http(s) hosts (urlstrictcolons=1) and the last for other schemes.
    const at = last !== first && scheme !== "http" && scheme !== "https" ? last : first;
    const colonPort = host.slice(at);
    if (!validOptionalPort(colonPort)) throw new UrlError(`invalid port ${JSON.stringify(colonPort)} after host`);
  }
  return unescape(host, "host");
}

const USERINFO = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/;

interface Parts {
  scheme: string;
  opaque: string;
  user?: { username: string; password?: string };
  host: string;
  path: string;
  rawPath: string;
  forceQuery: boolean;
  rawQuery: string;
  omitHost: boolean;
  fragment: string;
  rawFragment: string;
}

function getScheme(raw: string): { scheme: string; rest: string } {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) return { scheme: "", rest: raw };
      continue;
    }
    if (c === ":") {
      if (i === 0) throw new UrlError("missing protocol scheme");
      return { scheme: raw.slice(0, i), rest: raw.slice(i + 1) };
    }
    return { scheme: "", rest: raw };
  }
  return { scheme: "", rest: raw };
}

/** net/url's parse. */
function parseParts(raw: string, viaRequest: boolean): Parts {
  if ([...utf8(raw)].some((b) => b < 0x20 || b === 0x7f)) throw new UrlError("net/url: invalid control character in URL");
  if (raw === "" && viaRequest) throw new UrlError("empty url");
  const url: Parts = { scheme: "", opaque: "", host: "", path: "", rawPath: "", forceQuery: false, rawQuery: "", omitHost: false, fragment: "", rawFragment: "" };
  if (raw === "*") return { ...url, path: "*" };
  const { scheme, rest: afterScheme } = getScheme(raw);
  url.scheme = scheme.toLowerCase();
  let rest = afterScheme;
  if (rest.endsWith("?") && rest.split("?").length === 2) {
    url.forceQuery = true;
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf("?");
    if (q >= 0) [rest, url.rawQuery] = [rest.slice(0, q), rest.slice(q + 1)];
  }
  if (!rest.startsWith("/")) {
    if (url.scheme !== "") return { ...url, opaque: rest };
    if (viaRequest) throw new UrlError("invalid URI for request");
    if ((rest.split("/")[0] ?? "").includes(":")) throw new UrlError("first path segment in URL cannot contain colon");
  }
  if ((url.scheme !== "" || (!viaRequest && !rest.startsWith("///"))) && rest.startsWith("//")) {
    let authority = rest.slice(2);
    rest = "";
    const slash = authority.indexOf("/");
    if (slash >= 0) [authority, rest] = [authority.slice(0, slash), authority.slice(slash)];
    const at = authority.lastIndexOf("@");
    url.host = parseHost(url.scheme, at < 0 ? authority : authority.slice(at + 1));
    if (at >= 0) {
      const info = authority.slice(0, at);
      if (!USERINFO.test(info)) throw new UrlError("net/url: invalid userinfo");
      const colon = info.indexOf(":");
      url.user = colon < 0 ? { username: unescape(info, "userPassword") } : { username: unescape(info.slice(0, colon), "userPassword"), password: unescape(info.slice(colon + 1), "userPassword") };
    }
  } else if (url.scheme !== "" && rest.startsWith("/")) url.omitHost = true;
  url.path = unescape(rest, "path");
  url.rawPath = escape(url.path, "path") === rest ? "" : rest;
  return url;
}

const quoted = (s: string) => JSON.stringify(s);

function fail(raw: string, error: unknown): never {
  throw celError(`URL parse error during conversion from string: parse ${quoted(raw)}: ${(error as Error).message}`);
}

export class URL extends KubernetesValue {
  readonly celType = "kubernetes.URL";
  readonly parts: Readonly<Parts>;
  constructor(parts: Parts) {
    super();
    this.parts = parts;
  }

  get escapedPath(): string {
    const { rawPath, path } = this.parts;
    if (rawPath !== "" && validEncoded(rawPath, "path")) {
      try {
        if (unescape(rawPath, "path") === path) return rawPath;
      } catch {
        // Falls back to escaping the path.
      }
    }
    return path === "*" ? "*" : escape(path, "path");
  }

  private splitHostPort(): { host: string; port: string } {
    let host = this.parts.host;
    let port = "";
    const colon = host.lastIndexOf(":");
    if (colon !== -1 && validOptionalPort(host.slice(colon))) [host, port] = [host.slice(0, colon), host.slice(colon + 1)];
    if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
    return { host, port };
  }

  get hostname(): string {
    return this.splitHostPort().host;
  }

  get port(): string {
    return this.splitHostPort().port;
  }

  /** url.ParseQuery, keeping what parses (as the library does). */
  get query(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const pair of this.parts.rawQuery.split("&")) {
      if (pair === "" || pair.includes(";")) continue;
      const eq = pair.indexOf("=");
      try {
        const key = unescape(eq < 0 ? pair : pair.slice(0, eq), "queryComponent");
        const value = unescape(eq < 0 ? "" : pair.slice(eq + 1), "queryComponent");
        out.set(key, [...(out.get(key) ?? []), value]);
      } catch {
        // A pair that does not unescape is left out.
      }
    }
    return out;
  }

  equals(other: URL): boolean {
    return this.toString() === other.toString();
  }

  /** URL.String. */
  toString(): string {
    const u = this.parts;
    let out = u.scheme ? `${u.scheme}:` : "";
    if (u.opaque !== "") out += u.opaque;
    else {
      if ((u.scheme !== "" || u.host !== "" || u.user) && !(u.omitHost && u.host === "" && !u.user)) {
        if (u.host !== "" || u.path !== "" || u.user) out += "//";
        if (u.user) out += `${escape(u.user.username, "userPassword")}${u.user.password !== undefined ? `:${escape(u.user.password, "userPassword")}` : ""}@`;
        if (u.host !== "") out += escape(u.host, "host");
      }
      const path = this.escapedPath;
      if (path !== "" && path[0] !== "/" && u.host !== "") out += "/";
      if (out === "" && (path.split("/")[0] ?? "").includes(":")) out += "./";
      out += path;
    }
    if (u.forceQuery || u.rawQuery !== "") out += `?${u.rawQuery}`;
    if (u.fragment !== "") {
      const raw = u.rawFragment !== "" && validEncoded(u.rawFragment, "fragment") ? u.rawFragment : escape(u.fragment, "fragment");
      out += `#${raw}`;
    }
    return out;
  }
}

/** url.ParseRequestURI's verdict on a string: the message of its error, or undefined when it is a request URI. */
export function requestURIError(raw: string): string | undefined {
  try {
    parseParts(raw, true);
    return undefined;
  } catch (error) {
    return `parse ${quoted(raw)}: ${(error as Error).message}`;
  }
}

/** The library's url(): ParseRequestURI must accept it; the value is url.Parse's. */
function parseURL(raw: string): URL {
  try {
    parseParts(raw, true);
  } catch (error) {
    fail(raw, error);
  }
  const hash = raw.indexOf("#");
  const [head, fragment] = hash < 0 ? [raw, ""] : [raw.slice(0, hash), raw.slice(hash + 1)];
  let parts: Parts;
  try {
    parts = parseParts(head, false);
    if (fragment !== "") {
      parts.fragment = unescape(fragment, "fragment");
      parts.rawFragment = escape(parts.fragment, "fragment") === fragment ? "" : fragment;
    }
  } catch (error) {
    return fail(hash < 0 ? head : raw, error);
  }
  return new URL(parts);
}

export function registerURL(env: Environment): void {
  const U = "kubernetes.URL";
  env.registerType(U, URL);
  env.registerFunction(`url(string): ${U}`, parseURL);
  env.registerFunction("isURL(string): bool", (s: string) => requestURIError(s) === undefined);
  env.registerFunction(`${U}.getScheme(): string`, (u: URL) => u.parts.scheme);
  env.registerFunction(`${U}.getHost(): string`, (u: URL) => u.parts.host);
  env.registerFunction(`${U}.getHostname(): string`, (u: URL) => u.hostname);
  env.registerFunction(`${U}.getPort(): string`, (u: URL) => u.port);
  env.registerFunction(`${U}.getEscapedPath(): string`, (u: URL) => u.escapedPath);
  env.registerFunction(`${U}.getQuery(): map<string, list<string>>`, (u: URL) => u.query);
  env.registerOperator(`${U} == ${U}`, (a: URL, b: URL) => a.equals(b));
}
