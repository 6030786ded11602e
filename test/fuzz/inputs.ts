// Hostile inputs: fast-check generators that start from real wire documents
// and break them the ways a broken or malicious client would — and some
// that start from nothing at all. Bodies are bytes, so invalid UTF-8 and
// duplicate keys (which no JS object can hold) are expressible.
import fc from "fast-check";

export interface FuzzInput {
  /** Which mutation made it, for the figures and for reproducing a failure. */
  readonly label: string;
  readonly body: Buffer;
  readonly contentType: string;
}

type Path = readonly (string | number)[];

/** Every path to a value in a document (the root included), in document order. */
export function pathsOf(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...path, i], out));
  else if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) pathsOf(v, [...path, k], out);
  return out;
}

/** A copy of the document with the value at `path` replaced (or deleted, for `undefined`). */
export function setAt(document: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(document) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else parent[last] = value;
  return copy;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value) ?? "null");
const input = (label: string, body: Buffer | string, contentType = "application/json"): FuzzInput => ({ label, body: Buffer.isBuffer(body) ? body : Buffer.from(body), contentType });

/** A marker value replaced in the serialized text, for what JSON.stringify cannot write. */
const MARK = "\u0000fuzz-mark\u0000";
const MARK_JSON = JSON.stringify(MARK);
function withRaw(document: unknown, path: Path, raw: string): string {
  return JSON.stringify(setAt(document, path, MARK)).replace(MARK_JSON, raw);
}

const wrongValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -0, "", "0", "null", [], {}, [null], { "": "" }),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.jsonValue({ maxDepth: 3 }),
);

const PROTO_KEYS = ['"__proto__":{"polluted":true}', '"constructor":{"prototype":{"polluted":true}}', '"__proto__":null', '"prototype":{"x":1}', String.raw`"__pr\u006fto__":{"polluted":true}`, String.raw`"constructor":{"pr\u006ftotype":{"polluted":true}}`];
const BAD_UTF8 = [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xe2, 0x82]];
const CONTENT_TYPES = ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1", "application/yaml", "multipart/form-data; boundary=x"];

/** Objects (not arrays) in the document, where keys can be added. */
export function objectPaths(document: unknown): Path[] {
  return pathsOf(document).filter((p) => {
    let v = document as Record<string | number, unknown>;
    for (const k of p) v = v[k] as Record<string | number, unknown>;
    return typeof v === "object" && v !== null && !Array.isArray(v);
  });
}

function valueAt(document: unknown, path: Path): unknown {
  let v = document as Record<string | number, unknown>;
  for (const k of path) v = v[k] as Record<string | number, unknown>;
  return v;
}

/** The mutations of one seed document, each a generator of inputs. */
function mutationsOf(seed: unknown): fc.Arbitrary<FuzzInput>[] {
  const paths = pathsOf(seed);
  const objects = objectPaths(seed);
  const text = JSON.stringify(seed);
  const anyPath = fc.constantFrom(...paths);
  const anyObject = fc.constantFrom(...objects);
  const nonRoot = fc.constantFrom(...paths.filter((p) => p.length > 0));
  return [
    fc.constant(input("seed", json(seed))),
    fc.tuple(anyPath, wrongValue).map(([p, v]) => input("wrong-type", json(setAt(seed, p, v)))),
    nonRoot.map((p) => input("missing-field", json(setAt(seed, p, undefined)))),
    fc.tuple(anyObject, fc.string({ maxLength: 12 }), wrongValue).map(([p, k, v]) => input("unknown-key", json(setAt(seed, [...p, k], v)))),
    fc.nat({ max: text.length - 1 }).map((n) => input("truncated", text.slice(0, n))),
    fc.tuple(anyPath, fc.integer({ min: 16, max: 2 * 1024 * 1024 }), fc.constantFrom("x", "é", "\u{1F600}", "\\u0000", "\\\"")).map(([p, size, unit]) =>
      input("huge-string", withRaw(seed, p, `"${unit.repeat(Math.ceil(size / unit.length))}"`)),
    ),
    fc.tuple(anyObject, fc.oneof(fc.integer({ min: 16, max: 4096 }), fc.integer({ min: 4096, max: 1024 * 1024 })), wrongValue).map(([p, size, v]) =>
      input("huge-key", json(setAt(seed, [...p, "k".repeat(size)], v))),
    ),
    fc.tuple(anyPath, fc.integer({ min: 2, max: 5000 })).map(([p, n]) => input("huge-array", withRaw(seed, p, `[${Array(n).fill('"n"').join(",")}]`))),
    fc.tuple(anyPath, fc.oneof(fc.integer({ min: 10, max: 2000 }), fc.integer({ min: 2000, max: 120_000 })), fc.boolean()).map(([p, depth, arrays]) =>
      input("deep-nesting", withRaw(seed, p, arrays ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "{}" + "}".repeat(depth))),
    ),
    fc.tuple(anyObject, fc.constantFrom(...PROTO_KEYS)).map(([p, raw]) => {
      const body = JSON.stringify(setAt(seed, p, { ...(valueAt(seed, p) as object), [MARK]: 1 }));
      return input("prototype-key", body.replace(`${MARK_JSON}:1`, raw));
    }),
    fc.tuple(anyObject, wrongValue, fc.nat()).map(([p, v, i]) => {
      const object = valueAt(seed, p) as Record<string, unknown>;
      const keys = Object.keys(object);
      if (keys.length === 0) return input("duplicate-key", json(seed));
      const key = keys[i % keys.length]!;
      // The duplicate comes last, so it wins in JSON.parse as in Go's decoder.
      const body = JSON.stringify(setAt(seed, p, { ...object, [MARK]: v }));
      return input("duplicate-key", body.replace(`${MARK_JSON}:`, `${JSON.stringify(key)}:`));
    }),
    fc.tuple(fc.nat({ max: text.length }), fc.constantFrom(...BAD_UTF8)).map(([at, bytes]) => {
      const raw = Buffer.from(text);
      return input("invalid-utf8", Buffer.concat([raw.subarray(0, at), Buffer.from(bytes), raw.subarray(at)]));
    }),
    fc.constantFrom(...CONTENT_TYPES).map((type) => input("wrong-content-type", text, type)),
  ];
}

/** Documents from nothing: arbitrary JSON, and arbitrary bytes. */
const fromNothing = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => input("random-json", json(v))),
  fc.uint8Array({ maxLength: 256 }).map((bytes) => input("random-bytes", Buffer.from(bytes))),
  fc.constantFrom("", " ", "null", "[]", "{}", '""', "0", "{", "}", "\uFEFF{}").map((t) => input("tiny", t)),
);

/** Every mutation of every seed equally often, with some inputs from nothing. */
export function hostileInputs(seeds: readonly unknown[]): fc.Arbitrary<FuzzInput> {
  return fc.oneof({ arbitrary: fc.oneof(...seeds.flatMap(mutationsOf)), weight: 9 }, { arbitrary: fromNothing, weight: 1 });
}

/** The request uid an input carries, when it decodes to a review with one. */
export function inputUid(body: Buffer): string | undefined {
  try {
    const uid = (JSON.parse(body.toString("utf8")) as { request?: { uid?: unknown } } | null)?.request?.uid;
    return typeof uid === "string" && uid !== "" ? uid : undefined;
  } catch {
    return undefined;
  }
}
