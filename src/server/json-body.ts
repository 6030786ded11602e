// JSON request bodies: JSON.parse with a message that says where it broke,
// a bound on nesting (every later step — zod, structuredClone, patch diffing,
// CEL — recurses, and a stack overflow would turn hostile input into a 500),
// and a refusal of keys that could reach an object's prototype later.
import { uidOf } from "../admission/review.ts";

/** Go's encoding/json (what kube-apiserver decodes with) stops at 10000; real objects stay under 50. */
export const MAX_JSON_DEPTH = 1000;

export class BodyError extends Error {
  readonly statusCode = 400;
  readonly code: string;
  /** The request uid when the body parsed far enough to have one, so the 400 can echo it. */
  readonly uid: string | undefined;
  constructor(code: string, message: string, uid?: string) {
    super(message);
    this.code = code;
    this.uid = uid;
  }
}

interface Problem {
  readonly code: "TOO_DEEP" | "FORBIDDEN_KEY";
  readonly at: string;
}

function child(path: string, key: string | number): string {
  return typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

/**
 * Walks the document without recursion (it may be 100k levels deep) and
 * reports the first level past maxDepth or the first prototype key, with its path.
 */
export function findProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): Problem | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: "", depth: 0 }];
  while (stack.length > 0) {
    const { value: node, path, depth } = stack.pop()!;
    if (typeof node !== "object" || node === null) continue;
    if (depth >= maxDepth) return { code: "TOO_DEEP", at: path || "(root)" };
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push({ value: node[i], path: child(path, i), depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(node);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const next = (node as Record<string, unknown>)[key];
      if (key === "__proto__") return { code: "FORBIDDEN_KEY", at: child(path, key) };
      if (key === "constructor" && typeof next === "object" && next !== null && "prototype" in next) {
        return { code: "FORBIDDEN_KEY", at: `${child(path, key)}.prototype` };
      }
      stack.push({ value: next, path: child(path, key), depth: depth + 1 });
    }
  }
  return undefined;
}

/** An upper bound on nesting: no document is deeper than its count of '{' and '['. */
function mayNestDeeperThan(text: string, limit: number): boolean {
  let opens = 0;
  for (let i = text.indexOf("{"); i !== -1 && opens <= limit; i = text.indexOf("{", i + 1)) opens++;
  for (let i = text.indexOf("["); i !== -1 && opens <= limit; i = text.indexOf("[", i + 1)) opens++;
  return opens > limit;
}

/** A path 1000 levels deep is kilobytes long; its start says where. */
function abbreviate(path: string): string {
  return path.length > 160 ? `${path.slice(0, 160)}…` : path;
}

/**
 * Whether the text could hold a prototype key or nest too deep: only then is
 * the walk paid. Not one scan for "proto": every pod with a
 * port has "protocol". A key spelt with \u escapes ("__pr\u006fto__") is only
 * seen through by the walk.
 */
export function mayHoldProblem(text: string): boolean {
  return mayHoldPrototypeKey(text) || mayNestDeeperThan(text, MAX_JSON_DEPTH);
}

const UNDERSCORE = 95;
const LETTER_U = 117;

/**
 * "__proto__" or "prototype" spelt out, or any \u escape (which could spell
 * them): indexOf for "proto" and "\\" and a look at the neighbours, the
 * cheapest of the ways measured (docs/benchmarks.md).
 */
function mayHoldPrototypeKey(text: string): boolean {
  for (let i = text.indexOf("proto"); i !== -1; i = text.indexOf("proto", i + 5)) {
    if ((text.charCodeAt(i - 1) === UNDERSCORE && text.charCodeAt(i - 2) === UNDERSCORE) || text.startsWith("type", i + 5)) return true;
  }
  // A backslash escapes the one character after it: "\\u" is a backslash and a "u", not an escape.
  for (let i = text.indexOf("\\"); i !== -1; i = text.indexOf("\\", i + 2)) if (text.charCodeAt(i + 1) === LETTER_U) return true;
  return false;
}

export function parseJsonBody(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Told apart only on failure: trimming every body copied it.
    if (text.trim() === "") throw new BodyError("EMPTY_BODY", "request body is empty; expected a JSON object");
    throw new BodyError("INVALID_JSON", `request body is not valid JSON: ${(error as Error).message}`);
  }
  if (mayHoldProblem(text)) {
    const problem = findProblem(value);
    if (problem?.code === "TOO_DEEP") {
      throw new BodyError("TOO_DEEP", `request body nests deeper than ${MAX_JSON_DEPTH} levels at ${abbreviate(problem.at)}`, uidOf(value));
    }
    if (problem) throw new BodyError("FORBIDDEN_KEY", `request body has a forbidden prototype key at ${abbreviate(problem.at)}`, uidOf(value));
  }
  return value;
}
