// The config and policy loaders under the same treatment: mutated real files
// must load or be refused with ConfigError / PolicyError problems that say
// where — the key path (or the YAML line) — never a raw exception.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { registry } from "../../src/wiring.ts";
import { DEFAULT_CONFIG_PATH } from "../../src/config/default.ts";
import { ConfigError, decodeYaml, parseConfig } from "../../src/config/load.ts";
import { compilePolicy, PolicyError } from "../../webhooks/policy/declarative.ts";
import { compileMutatingPolicy } from "../../webhooks/policy/mutating.ts";
import { LIBRARY_DIR, readPolicyDocuments, readYamlDocuments, yamlFiles } from "../../webhooks/policy/load.ts";
import { objectPaths, pathsOf, setAt } from "./inputs.ts";

type Path = readonly (string | number)[];

interface LoaderInput {
  readonly label: string;
  readonly text: string;
  /** Where an object-level mutation changed the document; a refusal must name it (or a parent). */
  readonly at?: Path;
}

/** The dotted form the loaders use: admission.mutating[0].settings. */
export function renderPath(path: Path): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

const wrongValue = fc.oneof(fc.constantFrom(null, true, 0, -1, 1.5, "", "x", [], {}, [null], { "": 1 }), fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }));
const YAML_BREAKERS = ["\t", ": :", "- ", "&a", "*b", "!!binary x", "{", "]", "'", '"', "\u0000", "%YAML 1.1", "---", "? ", "key: value\nkey: again"];

function mutations(document: unknown, text: string): fc.Arbitrary<LoaderInput>[] {
  const paths = pathsOf(document);
  const anyPath = fc.constantFrom(...paths);
  const nonRoot = fc.constantFrom(...paths.filter((p) => p.length > 0));
  const anyObject = fc.constantFrom(...objectPaths(document));
  const serialize = (value: unknown) => JSON.stringify(value) ?? "null";
  return [
    fc.tuple(anyPath, wrongValue).map(([at, v]) => ({ label: "wrong-type", text: serialize(setAt(document, at, v)), at })),
    nonRoot.map((at) => ({ label: "missing-key", text: serialize(setAt(document, at, undefined)), at: at.slice(0, -1) })),
    fc.tuple(anyObject, fc.string({ minLength: 1, maxLength: 12 }), wrongValue).map(([p, key, v]) => {
      const at = [...p, key];
      return { label: "unknown-key", text: serialize(setAt(document, at, v)), at };
    }),
    fc.tuple(anyPath, fc.integer({ min: 100, max: 20_000 })).map(([at, depth]) => ({
      label: "deep-nesting",
      text: serialize(setAt(document, at, "\u0000deep")).replace('"\\u0000deep"', "[".repeat(depth) + "]".repeat(depth)),
      at,
    })),
    fc.tuple(anyPath, fc.integer({ min: 1000, max: 1_000_000 })).map(([at, size]) => ({ label: "huge-string", text: serialize(setAt(document, at, "x".repeat(size))), at })),
    fc.tuple(anyObject, fc.constantFrom('"__proto__":{"polluted":true}', '"constructor":{"prototype":{"polluted":true}}')).map(([at, raw]) => ({
      label: "prototype-key",
      text: serialize(setAt(document, [...at, "\u0000key"], 1)).replace('"\\u0000key":1', raw),
      at,
    })),
    fc.nat({ max: text.length }).map((n) => ({ label: "truncated", text: text.slice(0, n) })),
    fc.tuple(fc.nat({ max: text.length }), fc.constantFrom(...YAML_BREAKERS)).map(([n, s]) => ({ label: "broken-yaml", text: text.slice(0, n) + s + text.slice(n) })),
    fc.tuple(fc.nat({ max: text.length }), fc.constantFrom("\uFFFD", "\uD800", "\u{10FFFF}")).map(([n, s]) => ({ label: "bad-characters", text: text.slice(0, n) + s + text.slice(n) })),
  ];
}

export interface LoaderFigures {
  readonly loader: string;
  inputs: number;
  accepted: number;
  refused: number;
  /** Threw something other than its error type. */
  crashes: number;
  /** A refusal with a problem that names no key path or line. */
  unlocated: number;
  readonly failures: { label: string; why: string }[];
}

/** A problem says where when it starts with a path under the mutation, or cites a YAML line. */
function located(problem: string, input: LoaderInput, strip: (p: string) => string): boolean {
  const text = strip(problem);
  if (/line \d+, column \d+/.test(text)) return true;
  // A text-level mutation can turn anything into a key (YAML makes `{ a:, b }` one); the problem must still read "path: what".
  if (input.at === undefined) return /^\S.*?: \S/.test(text);
  if (input.at.length === 0) return text.startsWith("(root)") || /^[^:]+: /.test(text);
  for (let n = input.at.length; n >= 1; n--) if (text.startsWith(renderPath(input.at.slice(0, n)))) return true;
  return false;
}

function run(loader: string, arbitrary: fc.Arbitrary<LoaderInput>, cases: number, seed: number, load: (text: string) => void, errorType: new (...a: never[]) => Error & { problems: readonly string[] }, strip: (p: string) => string): LoaderFigures {
  const figures: LoaderFigures = { loader, inputs: 0, accepted: 0, refused: 0, crashes: 0, unlocated: 0, failures: [] };
  const fail = (label: string, why: string) => figures.failures.length < 5 && figures.failures.push({ label, why: why.slice(0, 400) });
  for (let done = 0, batch = 0; done < cases; batch++) {
    for (const input of fc.sample(arbitrary, { numRuns: Math.min(200, cases - done), seed: seed + batch })) {
      figures.inputs++;
      done++;
      try {
        load(input.text);
        figures.accepted++;
      } catch (error) {
        if (!(error instanceof errorType)) {
          figures.crashes++;
          fail(input.label, `threw ${String(error)}`);
          continue;
        }
        figures.refused++;
        // Cross-field problems (e.g. a duplicate name) may name a sibling; one located problem is enough.
        if (!error.problems.some((p) => located(p, input, strip))) {
          figures.unlocated++;
          fail(input.label, `at ${input.at ? renderPath(input.at) : "(text)"}: ${error.problems.join(" | ")}`);
        }
      }
    }
  }
  return figures;
}

const CONFIG_SEEDS = [DEFAULT_CONFIG_PATH, new URL("../fixtures/mutating/config.yaml", import.meta.url).pathname];

export function fuzzConfigLoader(cases: number, seed: number): LoaderFigures {
  const arbitrary = fc.oneof(
    ...CONFIG_SEEDS.flatMap((file) => {
      const text = readFileSync(file, "utf8");
      return mutations(decodeYaml(text, file), text);
    }),
  );
  return run("config", arbitrary, cases, seed, (text) => parseConfig(text, registry, "fuzz.yaml"), ConfigError, (p) => p);
}

const POLICY_FILE = "fuzz-policy.yaml";

export function fuzzPolicyLoader(cases: number, seed: number): LoaderFigures {
  const arbitrary = fc.oneof(
    ...yamlFiles(LIBRARY_DIR).flatMap((file) => {
      const text = readFileSync(file, "utf8");
      return readYamlDocuments(file, text).flatMap((document) => mutations(document, text));
    }),
  );
  const load = (text: string) => readPolicyDocuments(POLICY_FILE, text).forEach((document) => (document.kind === "Policy" ? compilePolicy(document, POLICY_FILE) : compileMutatingPolicy(document, POLICY_FILE)));
  // Problems read `policy "x" (file): spec.validations[0]...: message` or `file: message`.
  // A fuzzed name may itself hold quotes: strip up to the file name.
  const strip = (p: string) => p.replace(/^(policy ".*" |document \d+ )\(fuzz-policy\.yaml\): |^fuzz-policy\.yaml: /, "");
  return run("policy", arbitrary, cases, seed, load, PolicyError, strip);
}
