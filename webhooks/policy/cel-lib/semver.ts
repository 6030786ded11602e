// Kubernetes' semver library for CEL (k8s.io/apiserver/pkg/cel/library
// semverlib.go, version 1 with the normalizing overloads) on a port of
// github.com/blang/semver/v4's parsing and ordering.
import type { Environment } from "@marcbachmann/cel-js";
import { celError, KubernetesValue } from "./value.ts";

type Prerelease = bigint | string;

const NUMBERS = /^[0-9]*$/;
const ALPHANUMERIC = /^[0-9A-Za-z-]*$/;
const MAX_UINT64 = (1n << 64n) - 1n;
const leadingZero = (s: string) => s.length > 1 && s[0] === "0";

function number(text: string, what: string): bigint {
  if (!NUMBERS.test(text)) throw new Error(`Invalid character(s) found in ${what} number ${JSON.stringify(text)}`);
  if (leadingZero(text)) throw new Error(`${what[0]!.toUpperCase()}${what.slice(1)} number must not contain leading zeroes ${JSON.stringify(text)}`);
  if (text === "" || BigInt(text) > MAX_UINT64) throw new Error(`strconv.ParseUint: parsing ${JSON.stringify(text)}: invalid syntax`);
  return BigInt(text);
}

export class Semver extends KubernetesValue {
  readonly celType = "kubernetes.Semver";
  readonly major: bigint;
  readonly minor: bigint;
  readonly patch: bigint;
  readonly pre: readonly Prerelease[];
  readonly build: readonly string[];
  constructor(major: bigint, minor: bigint, patch: bigint, pre: readonly Prerelease[], build: readonly string[]) {
    super();
    this.major = major;
    this.minor = minor;
    this.patch = patch;
    this.pre = pre;
    this.build = build;
  }

  /** Version.Compare: build metadata does not count; a prerelease sorts before its release. */
  compare(o: Semver): number {
    for (const [a, b] of [[this.major, o.major], [this.minor, o.minor], [this.patch, o.patch]] as const) if (a !== b) return a > b ? 1 : -1;
    if (this.pre.length === 0 || o.pre.length === 0) return this.pre.length === o.pre.length ? 0 : this.pre.length === 0 ? 1 : -1;
    for (let i = 0; i < Math.min(this.pre.length, o.pre.length); i++) {
      const a = this.pre[i]!;
      const b = o.pre[i]!;
      if (a === b) continue;
      if (typeof a !== typeof b) return typeof a === "bigint" ? -1 : 1;
      return a > b ? 1 : -1;
    }
    return this.pre.length === o.pre.length ? 0 : this.pre.length < o.pre.length ? -1 : 1;
  }

  equals(other: Semver): boolean {
    return this.compare(other) === 0;
  }

  toString(): string {
    return `${this.major}.${this.minor}.${this.patch}${this.pre.length ? `-${this.pre.join(".")}` : ""}${this.build.length ? `+${this.build.join(".")}` : ""}`;
  }
}

/** semver.Parse. */
function parse(s: string): Semver {
  if (s === "") throw new Error("Version string empty");
  const parts = s.split(".");
  if (parts.length < 3) throw new Error("No Major.Minor.Patch elements found");
  const [majorText, minorText] = parts;
  let patchText = parts.slice(2).join(".");
  let build: string[] = [];
  let pre: string[] = [];
  const plus = patchText.indexOf("+");
  if (plus !== -1) {
    build = patchText.slice(plus + 1).split(".");
    patchText = patchText.slice(0, plus);
  }
  const dash = patchText.indexOf("-");
  if (dash !== -1) {
    pre = patchText.slice(dash + 1).split(".");
    patchText = patchText.slice(0, dash);
  }
  const major = number(majorText!, "major");
  const minor = number(minorText!, "minor");
  const patch = number(patchText, "patch");
  const prerelease = pre.map((p): Prerelease => {
    if (p === "") throw new Error("Prerelease is empty");
    if (NUMBERS.test(p)) {
      if (leadingZero(p)) throw new Error(`Numeric PreRelease version must not contain leading zeroes ${JSON.stringify(p)}`);
      return BigInt(p);
    }
    if (!ALPHANUMERIC.test(p)) throw new Error(`Invalid character(s) found in prerelease ${JSON.stringify(p)}`);
    return p;
  });
  for (const b of build) {
    if (b === "") throw new Error("Build meta data is empty");
    if (!ALPHANUMERIC.test(b)) throw new Error(`Invalid character(s) found in build meta data ${JSON.stringify(b)}`);
  }
  return new Semver(major, minor, patch, prerelease, build);
}

/** normalizeAndParse: drops a leading "v" and leading zeros, fills in a missing minor or patch. */
function normalizeAndParse(text: string): Semver {
  const parts = text.replace(/^v/, "").split(".");
  const rest = parts.length > 3 ? [parts.slice(0, 2), parts.slice(2).join(".")].flat() : parts;
  const trimmed = rest.map((p) => {
    if (p.length <= 1) return p;
    const t = p.replace(/^0+/, "");
    return t === "" || !/^[0-9]/.test(t) ? `0${t}` : t;
  });
  if (trimmed.length < 3) {
    if (/[+-]/.test(trimmed.at(-1)!)) throw new Error("short version cannot contain PreRelease/Build meta data");
    while (trimmed.length < 3) trimmed.push("0");
  }
  return parse(trimmed.join("."));
}

function parseSemver(text: string, normalize: boolean): Semver {
  try {
    return normalize ? normalizeAndParse(text) : parse(text);
  } catch (error) {
    throw celError((error as Error).message);
  }
}

export function registerSemver(env: Environment): void {
  const S = "kubernetes.Semver";
  env.registerType(S, Semver);
  const valid = (text: string, normalize: boolean) => {
    try {
      parseSemver(text, normalize);
      return true;
    } catch {
      return false;
    }
  };
  env.registerFunction(`semver(string): ${S}`, (s: string) => parseSemver(s, false));
  env.registerFunction(`semver(string, bool): ${S}`, (s: string, normalize: boolean) => parseSemver(s, normalize));
  env.registerFunction("isSemver(string): bool", (s: string) => valid(s, false));
  env.registerFunction("isSemver(string, bool): bool", (s: string, normalize: boolean) => valid(s, normalize));
  env.registerFunction(`${S}.major(): int`, (v: Semver) => v.major);
  env.registerFunction(`${S}.minor(): int`, (v: Semver) => v.minor);
  env.registerFunction(`${S}.patch(): int`, (v: Semver) => v.patch);
  env.registerFunction(`${S}.isGreaterThan(${S}): bool`, (a: Semver, b: Semver) => a.compare(b) === 1);
  env.registerFunction(`${S}.isLessThan(${S}): bool`, (a: Semver, b: Semver) => a.compare(b) === -1);
  env.registerFunction(`${S}.compareTo(${S}): int`, (a: Semver, b: Semver) => BigInt(a.compare(b)));
  env.registerOperator(`${S} == ${S}`, (a: Semver, b: Semver) => a.equals(b));
}
