// Kubernetes' IP and CIDR libraries for CEL (k8s.io/apiserver/pkg/cel/library
// ip.go, cidr.go) on a port of Go's net/netip parsing and printing: strict
// IPv4 (no leading zeros), IPv6 with one "::", an embedded IPv4 only in the
// last 32 bits, zones and IPv4-mapped IPv6 refused, RFC 5952 output.
import type { Environment } from "@marcbachmann/cel-js";
import { celError, KubernetesValue, registerNamespace } from "./value.ts";

class AddrError extends Error {}

function parseIPv4Fields(text: string, into: Uint8Array, at: number): void {
  const fields = text.split(".");
  if (fields.length > 4) throw new AddrError("IPv4 address too long");
  if (fields.length < 4) throw new AddrError("IPv4 address too short");
  fields.forEach((field, i) => {
    if (!/^\d+$/.test(field)) throw new AddrError(field === "" ? "IPv4 field must have at least one digit" : "unexpected character");
    if (field.length > 1 && field[0] === "0") throw new AddrError("IPv4 field has octet with leading zero");
    const value = Number(field);
    if (value > 255) throw new AddrError("IPv4 field has value >255");
    into[at + i] = value;
  });
}

function parseIPv6(input: string): { bytes: Uint8Array; zone: string } {
  let s = input;
  let zone = "";
  const percent = s.indexOf("%");
  if (percent !== -1) {
    zone = s.slice(percent + 1);
    s = s.slice(0, percent);
    if (zone === "") throw new AddrError("zone must be a non-empty string");
  }
  const ip = new Uint8Array(16);
  let ellipsis = -1;
  if (s.startsWith("::")) {
    ellipsis = 0;
    s = s.slice(2);
    if (s === "") return { bytes: ip, zone };
  }
  let i = 0;
  while (i < 16) {
    const group = /^[0-9a-fA-F]*/.exec(s)![0];
    if (group.length > 4) throw new AddrError("each group must have 4 or less digits");
    if (group.length === 0) throw new AddrError("each colon-separated field must have at least one digit");
    if (s[group.length] === ".") {
      if (ellipsis < 0 && i !== 12) throw new AddrError("embedded IPv4 address must replace the final 2 fields of the address");
      if (i + 4 > 16) throw new AddrError("too many hex fields to fit an embedded IPv4 at the end of the address");
      parseIPv4Fields(s, ip, i);
      s = "";
      i += 4;
      break;
    }
    const value = parseInt(group, 16);
    ip[i] = value >> 8;
    ip[i + 1] = value & 0xff;
    i += 2;
    s = s.slice(group.length);
    if (s === "") break;
    if (s[0] !== ":") throw new AddrError("unexpected character, want colon");
    if (s.length === 1) throw new AddrError("colon must be followed by more characters");
    s = s.slice(1);
    if (s[0] === ":") {
      if (ellipsis >= 0) throw new AddrError("multiple :: in address");
      ellipsis = i;
      s = s.slice(1);
      if (s === "") break;
    }
  }
  if (s !== "") throw new AddrError("trailing garbage after address");
  if (i < 16) {
    if (ellipsis < 0) throw new AddrError("address string too short");
    const n = 16 - i;
    ip.copyWithin(ellipsis + n, ellipsis, i);
    ip.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) throw new AddrError("the :: must expand to at least one field of zeros");
  return { bytes: ip, zone };
}

/** netip.ParseAddr: 4 or 16 bytes and a zone. */
export function parseAddr(s: string): { bytes: Uint8Array; zone: string } {
  for (const c of s) {
    if (c === ".") {
      const bytes = new Uint8Array(4);
      parseIPv4Fields(s, bytes, 0);
      return { bytes, zone: "" };
    }
    if (c === ":") return parseIPv6(s);
    if (c === "%") throw new AddrError("missing IPv6 address");
  }
  throw new AddrError("unable to parse IP");
}

const isMapped = (b: Uint8Array) => b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;

export class IP extends KubernetesValue {
  readonly celType = "net.IP";
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    super();
    this.bytes = bytes;
  }

  get family(): 4 | 6 {
    return this.bytes.length === 4 ? 4 : 6;
  }

  private word(i: number): number {
    return (this.bytes[2 * i]! << 8) | this.bytes[2 * i + 1]!;
  }

  get isUnspecified(): boolean {
    return this.bytes.every((b) => b === 0);
  }

  get isLoopback(): boolean {
    return this.family === 4 ? this.bytes[0] === 127 : this.bytes.slice(0, 15).every((b) => b === 0) && this.bytes[15] === 1;
  }

  get isMulticast(): boolean {
    return this.family === 4 ? (this.bytes[0]! & 0xf0) === 0xe0 : this.bytes[0] === 0xff;
  }

  get isLinkLocalMulticast(): boolean {
    return this.family === 4 ? this.bytes[0] === 224 && this.bytes[1] === 0 && this.bytes[2] === 0 : (this.word(0) & 0xff0f) === 0xff02;
  }

  get isLinkLocalUnicast(): boolean {
    return this.family === 4 ? this.bytes[0] === 169 && this.bytes[1] === 254 : (this.word(0) & 0xffc0) === 0xfe80;
  }

  get isGlobalUnicast(): boolean {
    if (this.family === 4 && this.bytes.every((b) => b === 255)) return false;
    return !this.isUnspecified && !this.isLoopback && !this.isMulticast && !this.isLinkLocalUnicast;
  }

  equals(other: IP): boolean {
    return this.bytes.length === other.bytes.length && this.bytes.every((b, i) => b === other.bytes[i]);
  }

  toString(): string {
    if (this.family === 4) return this.bytes.join(".");
    // RFC 5952: the longest run of two or more zero groups (the first of equals) becomes "::".
    let start = -1;
    let length = 0;
    for (let i = 0; i < 8; i++) {
      let j = i;
      while (j < 8 && this.word(j) === 0) j++;
      if (j - i >= 2 && j - i > length) [start, length] = [i, j - i];
    }
    let out = "";
    for (let i = 0; i < 8; i++) {
      if (i === start) {
        out += "::";
        i += length - 1;
        continue;
      }
      if (i > 0 && !out.endsWith(":")) out += ":";
      out += this.word(i).toString(16);
    }
    return out;
  }
}

/** The library's own refusals on top of netip's. */
function parseIP(s: string): IP {
  let parsed;
  try {
    parsed = parseAddr(s);
  } catch (error) {
    throw celError(`IP Address ${JSON.stringify(s)} parse error during conversion from string: ParseAddr(${JSON.stringify(s)}): ${(error as Error).message}`);
  }
  if (parsed.zone !== "") throw celError(`IP address ${JSON.stringify(s)} with zone value is not allowed`);
  if (isMapped(parsed.bytes)) throw celError(`IPv4-mapped IPv6 address ${JSON.stringify(s)} is not allowed`);
  return new IP(parsed.bytes);
}

export class CIDR extends KubernetesValue {
  readonly celType = "net.CIDR";
  readonly ip: IP;
  readonly bits: number;
  constructor(ip: IP, bits: number) {
    super();
    this.ip = ip;
    this.bits = bits;
  }

  masked(): CIDR {
    const bytes = this.ip.bytes.map((b, i) => {
      const keep = Math.max(0, Math.min(8, this.bits - 8 * i));
      return b & ((0xff << (8 - keep)) & 0xff);
    });
    return new CIDR(new IP(bytes), this.bits);
  }

  containsIP(ip: IP): boolean {
    return ip.family === this.ip.family && new CIDR(ip, this.bits).masked().ip.equals(this.masked().ip);
  }

  /** Prefix.Overlaps and no longer than the other, as the library defines containment. */
  containsCIDR(other: CIDR): boolean {
    return other.ip.family === this.ip.family && this.bits <= other.bits && this.containsIP(other.ip);
  }

  equals(other: CIDR): boolean {
    return this.bits === other.bits && this.ip.equals(other.ip);
  }

  toString(): string {
    return `${this.ip.toString()}/${this.bits}`;
  }
}

/** netip.ParsePrefix, then the library's refusal of IPv4-mapped addresses. */
function parseCIDR(s: string): CIDR {
  const fail = (message: string): never => {
    throw celError(`network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(${JSON.stringify(s)}): ${message}`);
  };
  const slash = s.lastIndexOf("/");
  if (slash < 0) return fail("no '/'");
  let parsed;
  try {
    parsed = parseAddr(s.slice(0, slash));
  } catch (error) {
    return fail((error as Error).message);
  }
  if (parsed.zone !== "") return fail("IPv6 zones cannot be present in a prefix");
  const bitsText = s.slice(slash + 1);
  if (!/^(0|[1-9]\d*)$/.test(bitsText)) return fail(`bad bits after slash: ${JSON.stringify(bitsText)}`);
  const bits = Number(bitsText);
  if (bits > parsed.bytes.length * 8) return fail("prefix length out of range");
  if (isMapped(parsed.bytes)) throw celError(`network address parse error during conversion from string: IPv4-mapped IPv6 address ${JSON.stringify(s)} is not allowed`);
  return new CIDR(new IP(parsed.bytes), bits);
}

const succeeds = (parse: () => unknown) => {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
};

export function registerNet(env: Environment): void {
  const I = "net.IP";
  const C = "net.CIDR";
  env.registerType(I, IP);
  env.registerType(C, CIDR);
  env.registerFunction(`ip(string): ${I}`, parseIP);
  env.registerFunction("isIP(string): bool", (s: string) => succeeds(() => parseIP(s)));
  env.registerFunction(`${registerNamespace(env, "ip")}.isCanonical(string): bool`, (_: unknown, s: string) => parseIP(s).toString() === s);
  env.registerFunction(`string(${I}): string`, (ip: IP) => ip.toString());
  env.registerFunction(`${I}.family(): int`, (ip: IP) => BigInt(ip.family));
  env.registerFunction(`${I}.isUnspecified(): bool`, (ip: IP) => ip.isUnspecified);
  env.registerFunction(`${I}.isLoopback(): bool`, (ip: IP) => ip.isLoopback);
  env.registerFunction(`${I}.isLinkLocalMulticast(): bool`, (ip: IP) => ip.isLinkLocalMulticast);
  env.registerFunction(`${I}.isLinkLocalUnicast(): bool`, (ip: IP) => ip.isLinkLocalUnicast);
  env.registerFunction(`${I}.isGlobalUnicast(): bool`, (ip: IP) => ip.isGlobalUnicast);
  env.registerOperator(`${I} == ${I}`, (a: IP, b: IP) => a.equals(b));
  env.registerFunction(`cidr(string): ${C}`, parseCIDR);
  env.registerFunction("isCIDR(string): bool", (s: string) => succeeds(() => parseCIDR(s)));
  env.registerFunction(`string(${C}): string`, (c: CIDR) => c.toString());
  env.registerFunction(`${C}.containsIP(${I}): bool`, (c: CIDR, ip: IP) => c.containsIP(ip));
  env.registerFunction(`${C}.containsIP(string): bool`, (c: CIDR, ip: string) => c.containsIP(parseIP(ip)));
  env.registerFunction(`${C}.containsCIDR(${C}): bool`, (c: CIDR, other: CIDR) => c.containsCIDR(other));
  env.registerFunction(`${C}.containsCIDR(string): bool`, (c: CIDR, other: string) => c.containsCIDR(parseCIDR(other)));
  env.registerFunction(`${C}.ip(): ${I}`, (c: CIDR) => c.ip);
  env.registerFunction(`${C}.masked(): ${C}`, (c: CIDR) => c.masked());
  env.registerFunction(`${C}.prefixLength(): int`, (c: CIDR) => BigInt(c.bits));
  env.registerOperator(`${C} == ${C}`, (a: CIDR, b: CIDR) => a.equals(b));
}
