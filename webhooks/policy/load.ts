// Reading policies: YAML files and directories, TypeScript modules, and the
// built-in library. Synchronous, so a webhook is fully built when the config loads.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { describeIssue } from "../../src/admission/review.ts";
import { compilePolicy, PolicyError } from "./declarative.ts";
import type { Policy, PolicyOverrides } from "./policy.ts";
import { paramsProblems, paramsSchemaOf } from "./params.ts";
import { policyDocument, SET_LABEL, type PolicyDocument } from "./schema.ts";
import { typedPolicy } from "./typed.ts";
import { packagePath } from "../../src/package-root.ts";
import { loadModule, ModuleError } from "../../src/toolkit/modules.ts";

export const LIBRARY_DIR = packagePath("policies/library/");

const isYaml = (name: string) => name.endsWith(".yaml") || name.endsWith(".yml");

/** The YAML files a path names: the file itself, or a directory's *.yaml files (not recursive). */
export function yamlFiles(path: string): string[] {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    throw new PolicyError([`${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (error as Error).message}`]);
  }
  if (!isDirectory) return [path];
  return readdirSync(path)
    .filter(isYaml)
    .sort()
    .map((name) => join(path, name));
}

/** Decodes every document of a YAML stream; syntax errors name the file and line. */
export function readYamlDocuments(file: string, text?: string): unknown[] {
  let source: string;
  try {
    source = text ?? readFileSync(file, "utf8");
  } catch (error) {
    throw new PolicyError([`${file}: ${(error as Error).message}`]);
  }
  const documents = parseAllDocuments(source, { uniqueKeys: true, prettyErrors: true });
  const list = Array.isArray(documents) ? documents : [documents];
  const problems = list.flatMap((d) => d.errors.map((e) => `${file}: ${e.message.split("\n")[0]}`));
  if (problems.length > 0) throw new PolicyError(problems);
  try {
    return list.map((d) => d.toJS() as unknown).filter((d) => d !== null && d !== undefined);
  } catch (error) {
    // Parsing succeeds but building the values can still fail (an alias before its anchor).
    throw new PolicyError([`${file}: ${(error as Error).message.split("\n")[0]}`]);
  }
}

/** Validates policy documents in a file (or `text` read from it); problems carry the policy name and field path. */
export function readPolicyDocuments(file: string, text?: string): PolicyDocument[] {
  const problems: string[] = [];
  const documents = readYamlDocuments(file, text).flatMap((raw, index) => {
    const parsed = policyDocument.safeParse(raw);
    if (parsed.success) return [parsed.data];
    const name = (raw as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    const what = typeof name === "string" ? `policy "${name}"` : `document ${index + 1}`;
    problems.push(...parsed.error.issues.map((issue) => `${what} (${file}): ${unknownKey(issue)}`));
    return [];
  });
  if (problems.length > 0) throw new PolicyError(problems);
  return documents;
}

function unknownKey(issue: Parameters<typeof describeIssue>[0]): string {
  if (issue.code === "unrecognized_keys") return issue.keys.map((key) => `${describeIssue({ ...issue, path: [...issue.path, key] }).field}: unknown field`).join(", ");
  return describeIssue(issue).message;
}

/** Every policy in the given files and directories, compiled. */
export function loadPolicyFiles(paths: readonly string[], overrides: (name: string) => PolicyOverrides = () => ({})): Policy[] {
  return collect(paths.flatMap(yamlFiles), (file) => readPolicyDocuments(file).map((d) => compilePolicy(d, file, overrides(d.metadata.name))));
}

/** Policy modules (TypeScript or JavaScript): each default-exports a policy or a list of them. */
export function loadPolicyModules(paths: readonly string[]): Policy[] {
  return collect(paths, (path) => {
    let exported: unknown;
    try {
      exported = loadModule(resolve(path));
    } catch (error) {
      if (!(error instanceof ModuleError)) throw error;
      throw new PolicyError([error.message]);
    }
    if (exported === undefined) throw new PolicyError([`${path}: no default export (export default definePolicy({...}))`]);
    return (Array.isArray(exported) ? (exported as unknown[]) : [exported]).map((value) => typedPolicy(value, path));
  });
}

/** Runs each loader and gathers all their problems before failing. */
function collect<T>(items: readonly T[], load: (item: T) => Policy[]): Policy[] {
  const problems: string[] = [];
  const policies = items.flatMap((item) => {
    try {
      return load(item);
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      problems.push(...error.problems);
      return [];
    }
  });
  if (problems.length > 0) throw new PolicyError(problems);
  return policies;
}

/** The shipped library's documents, read once. */
let library: PolicyDocument[] | undefined;
export function libraryDocuments(): PolicyDocument[] {
  library ??= yamlFiles(LIBRARY_DIR).flatMap((file) => readPolicyDocuments(file));
  return library;
}

export interface LibrarySelection {
  /** A policy name, or a set (the podgate.dev/set label): pss-baseline, pss-restricted, best-practices. */
  readonly name: string;
  readonly validationActions?: PolicyOverrides["validationActions"];
  readonly params?: PolicyOverrides["params"];
}

/** Library policies by name or set, with overrides; an unknown name lists the known ones. */
export function loadLibrary(selections: readonly LibrarySelection[]): Policy[] {
  const documents = libraryDocuments();
  const problems: string[] = [];
  const chosen = new Map<string, { document: PolicyDocument; overrides: PolicyOverrides }>();
  selections.forEach((selection, index) => {
    const found = documents.filter((d) => d.metadata.name === selection.name || d.metadata.labels?.[SET_LABEL] === selection.name);
    if (found.length === 0) {
      const sets = [...new Set(documents.map((d) => d.metadata.labels?.[SET_LABEL]).filter(Boolean))];
      problems.push(`library[${index}].name: no library policy or set "${selection.name}"; sets: ${sets.join(", ")}; policies: ${documents.map((d) => d.metadata.name).join(", ")}`);
    }
    // A later selection overrides an earlier one for the same policy.
    for (const document of found) {
      if (selection.params !== undefined) {
        const declared = paramsSchemaOf(document.spec);
        const at = `library[${index}].params`;
        if ("schema" in declared) {
          const wrong = paramsProblems(declared.schema, selection.params, at);
          problems.push(...(found.length > 1 ? wrong.map((p) => `${p} (policy "${document.metadata.name}" of set "${selection.name}")`) : wrong));
        }
      }
      chosen.set(document.metadata.name, { document, overrides: { validationActions: selection.validationActions, params: selection.params } });
    }
  });
  if (problems.length > 0) throw new PolicyError(problems);
  return [...chosen.values()].map(({ document, overrides }) => compilePolicy(document, `library:${document.metadata.name}`, overrides));
}

/** Two policies with one name would make verdicts and audit keys ambiguous. */
export function assertUniqueNames(policies: readonly Policy[]): void {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const p of policies) {
    const before = seen.get(p.name);
    if (before !== undefined) problems.push(`policy "${p.name}" is defined twice: ${before} and ${p.origin}`);
    seen.set(p.name, p.origin);
  }
  if (problems.length > 0) throw new PolicyError(problems);
}
