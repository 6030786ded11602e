// Reading policies: YAML files and directories, TypeScript modules, and the
// built-in library. Synchronous, so a webhook is fully built when the config loads.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { z } from "zod";
import { issueProblems } from "../../src/issues.ts";
import { compilePolicy, PolicyError } from "./declarative.ts";
import type { Policy, PolicyOverrides } from "./policy.ts";
import { paramsProblems, paramsSchemaOf } from "./params.ts";
import { mutatingPolicyDocument, policyDocument, PSS_VERSION_ANNOTATION, SET_LABEL, validationActions, type MutatingPolicyDocument, type PolicyDocument } from "./schema.ts";
import { compileMutatingPolicy, type MutatingPolicy } from "./mutating.ts";
import { fromNative, isNativeDocument } from "./native.ts";
import { typedPolicy } from "./typescript-policy.ts";
import { packagePath } from "../../src/package-root.ts";
import { ModuleError, ModuleLoader } from "../../src/toolkit/modules.ts";

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
export function readPolicyDocuments(file: string, text?: string): (PolicyDocument | MutatingPolicyDocument)[] {
  return validatePolicyDocuments(file, readYamlDocuments(file, text));
}

/** podgate's own Policy and MutatingPolicy documents among a file's decoded documents (native ones are native.ts's), validated. */
function validatePolicyDocuments(file: string, raws: readonly unknown[]): (PolicyDocument | MutatingPolicyDocument)[] {
  const problems: string[] = [];
  const documents = raws.flatMap((raw, index): (PolicyDocument | MutatingPolicyDocument)[] => {
    if (isNativeDocument(raw)) return [];
    const parsed = (raw as { kind?: unknown } | null)?.kind === "MutatingPolicy" ? mutatingPolicyDocument.safeParse(raw) : policyDocument.safeParse(raw);
    if (parsed.success) return [parsed.data];
    const name = (raw as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    const what = typeof name === "string" ? `policy "${name}"` : `document ${index + 1}`;
    problems.push(...issueProblems(parsed.error.issues).map((problem) => `${what} (${file}): ${problem}`));
    return [];
  });
  if (problems.length > 0) throw new PolicyError(problems);
  return documents;
}

/**
 * The policy documents of files: podgate Policies, and native
 * ValidatingAdmissionPolicies with their bindings and params (native.ts),
 * which may sit in different files. Every problem of every file is reported.
 */
export function readPolicyFiles(files: readonly string[]): { document: PolicyDocument | MutatingPolicyDocument; file: string }[] {
  const problems: string[] = [];
  const native: { raw: unknown; file: string }[] = [];
  const own = files.flatMap((file) => {
    try {
      const documents = readYamlDocuments(file);
      native.push(...documents.filter(isNativeDocument).map((raw) => ({ raw, file })));
      return validatePolicyDocuments(file, documents).map((document) => ({ document, file }));
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      problems.push(...error.problems);
      return [];
    }
  });
  try {
    own.push(...fromNative(native));
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) throw new PolicyError(problems);
  return own;
}

/** Every validating policy in the given files and directories, compiled. */
export function loadPolicyFiles(paths: readonly string[], overrides: (name: string) => PolicyOverrides = () => ({})): Policy[] {
  return collect(readPolicyFiles(paths.flatMap(yamlFiles)), ({ document, file }) => (document.kind === "Policy" ? [compilePolicy(document, file, overrides(document.metadata.name))] : []));
}

/** Every mutating policy (MutatingPolicy, MutatingAdmissionPolicy with its bindings) in the given files and directories, compiled. */
export function loadMutatingPolicyFiles(paths: readonly string[]): MutatingPolicy[] {
  return collect(readPolicyFiles(paths.flatMap(yamlFiles)), ({ document, file }) => (document.kind === "MutatingPolicy" ? [compileMutatingPolicy(document, file)] : []));
}

/** Policy modules (TypeScript or JavaScript): each default-exports a policy or a list of them. */
export function loadPolicyModules(paths: readonly string[], modules = new ModuleLoader()): Policy[] {
  return collect(paths, (path) => {
    let exported: unknown;
    try {
      exported = modules.load(resolve(path));
    } catch (error) {
      if (!(error instanceof ModuleError)) throw error;
      throw new PolicyError([error.message]);
    }
    if (exported === undefined) throw new PolicyError([`${path}: no default export (export default definePolicy({...}))`]);
    return (Array.isArray(exported) ? (exported as unknown[]) : [exported]).map((value) => typedPolicy(value, path));
  });
}

/** Runs each loader and gathers all their problems before failing. */
function collect<T, P>(items: readonly T[], load: (item: T) => P[]): P[] {
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
  library ??= yamlFiles(LIBRARY_DIR).flatMap((file) => readPolicyDocuments(file).filter((d) => d.kind === "Policy"));
  return library;
}

const selectionWithOverrides = z.strictObject({
  /** A policy name, or a set (the podgate.dev/set label): pss-baseline, pss-restricted, best-practices; `name@v1.30` pins a version. */
  name: z.string().min(1),
  /** The PSS version for pss-* policies, as PodSecurity's enforce-version: "v1.30" or "latest" (default). */
  version: z.string().min(1).optional(),
  validationActions: validationActions.optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  /** false: the policy judges pods only, not the pod templates of Deployments, Jobs... (default: its own podgate.dev/autogen annotation, else true). */
  autogen: z.boolean().optional(),
});
export type LibrarySelection = z.output<typeof selectionWithOverrides>;

/** A library selection in the config: a name, or a name with its version and overrides. */
export const librarySelection = z.union([z.string().min(1).transform((name): LibrarySelection => ({ name })), selectionWithOverrides]);

/** The minor of a PSS version ("v1.30" -> 30); "latest" is newer than any. Undefined when malformed. */
export function pssMinor(version: string): number | undefined {
  if (version === "latest") return Number.POSITIVE_INFINITY;
  const match = /^v1\.(0|[1-9][0-9]{0,3})$/.exec(version);
  return match ? Number(match[1]) : undefined;
}

const minorOf = (document: PolicyDocument) => {
  const version = document.metadata.annotations?.[PSS_VERSION_ANNOTATION];
  return version === undefined ? undefined : pssMinor(version);
};

/**
 * The document of a policy in force at a PSS version: the one with the newest
 * podgate.dev/pss-version not after it, as PodSecurity picks a check's
 * revision. Null when the policy's check did not exist yet at that version.
 */
function inForce(documents: readonly PolicyDocument[], minor: number): PolicyDocument | null {
  let found: PolicyDocument | null = null;
  for (const document of documents) {
    const from = minorOf(document) ?? 0;
    if (from <= minor && (found === null || from > (minorOf(found) ?? 0))) found = document;
  }
  return found;
}

/** Library policies by name or set, with overrides and PSS version; an unknown name lists the known ones. */
export function loadLibrary(selections: readonly LibrarySelection[]): Policy[] {
  const documents = libraryDocuments();
  const problems: string[] = [];
  const chosen = new Map<string, { document: PolicyDocument; overrides: PolicyOverrides }>();
  selections.forEach((selection, index) => {
    const [name = "", pinned, ...extra] = selection.name.split("@");
    const version = selection.version ?? pinned ?? "latest";
    const minor = pssMinor(version);
    if (pinned !== undefined && selection.version !== undefined) {
      problems.push(`library[${index}]: "${selection.name}" and version: ${selection.version} both pin a version; give one`);
      return;
    }
    if (extra.length > 0 || minor === undefined) {
      problems.push(`library[${index}]: "${pinned !== undefined ? selection.name : version}" is not a PSS version; use name@v1.<minor>, or version: v1.<minor> or latest`);
      return;
    }
    const found = documents.filter((d) => d.metadata.name === name || d.metadata.labels?.[SET_LABEL] === name);
    if (found.length === 0) {
      const sets = [...new Set(documents.map((d) => d.metadata.labels?.[SET_LABEL]).filter(Boolean))];
      const names = [...new Set(documents.map((d) => d.metadata.name))];
      problems.push(`library[${index}].name: no library policy or set "${name}"; sets: ${sets.join(", ")}; policies: ${names.join(", ")}`);
      return;
    }
    if (version !== "latest" && found.every((d) => minorOf(d) === undefined)) {
      problems.push(`library[${index}]: "${name}" has no PSS versions; only the pss-* policies take one`);
      return;
    }
    const byName = Map.groupBy(found, (d) => d.metadata.name);
    for (const [policy, revisions] of byName) {
      const document = inForce(revisions, minor);
      // A later selection overrides an earlier one for the same policy, down to a version where it does not exist.
      if (document === null) {
        chosen.delete(policy);
        if (policy === name) problems.push(`library[${index}]: "${policy}" starts at PSS v1.${Math.min(...revisions.map((d) => minorOf(d) ?? 0))}, after ${version}`);
        continue;
      }
      if (selection.params !== undefined) {
        const declared = paramsSchemaOf(document.spec);
        const at = `library[${index}].params`;
        if ("schema" in declared) {
          const wrong = paramsProblems(declared.schema, selection.params, at);
          problems.push(...(byName.size > 1 ? wrong.map((p) => `${p} (policy "${policy}" of set "${name}")`) : wrong));
        }
      }
      chosen.set(policy, { document, overrides: { validationActions: selection.validationActions, params: selection.params, autogen: selection.autogen } });
    }
  });
  if (problems.length > 0) throw new PolicyError(problems);
  return [...chosen.values()].map(({ document, overrides }) => compilePolicy(document, `library:${document.metadata.name}`, overrides));
}

/** Two policies with one name would make verdicts and audit keys ambiguous. */
export function assertUniqueNames(policies: readonly Pick<Policy, "name" | "origin">[]): void {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const p of policies) {
    const before = seen.get(p.name);
    if (before !== undefined) problems.push(`policy "${p.name}" is defined twice: ${before} and ${p.origin}`);
    seen.set(p.name, p.origin);
  }
  if (problems.length > 0) throw new PolicyError(problems);
}
