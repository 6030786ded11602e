// Zod's issues said as podgate says every problem: one line each, "path: message",
// the path dotted and bounded (keys come from the input), and an unknown key
// named by its own path. Config, policies, the wire schemas and the extender use it.
import type { z } from "zod";

/** Keys come from the input: a megabyte-long one must not be echoed whole into replies and logs. */
const MAX_KEY = 64;
const MAX_PATH = 320;
const bounded = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
/** Control characters in a key (a newline) would split a one-line problem in two. */
const printable = (key: string) => key.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** A path in dotted form ("spec.containers[0].image"), bounded; "(root)" when empty. */
export function describePath(path: readonly PropertyKey[], prefix = ""): string {
  const field = bounded(
    [prefix, ...path.map((p) => (typeof p === "number" ? `[${p}]` : bounded(printable(String(p)), MAX_KEY)))]
      .filter((p) => p !== "")
      .join(".")
      .replaceAll(".[", "["),
    MAX_PATH,
  );
  return field || "(root)";
}

/** One zod issue as "path: message", and its path alone. */
export function describeIssue(issue: z.core.$ZodIssue, prefix = ""): { field: string; message: string } {
  const field = describePath(issue.path, prefix);
  return { field, message: `${field}: ${issue.message}` };
}

/** Where a problem is and what it is; an unrecognized_keys issue is one of these per key. */
export interface IssueAt {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

export function issuesAt(issues: readonly z.core.$ZodIssue[]): IssueAt[] {
  return issues.flatMap((issue) =>
    // An unknown key is reported on its parent; name the key itself.
    issue.code === "unrecognized_keys" ? issue.keys.map((key) => ({ path: [...issue.path, key], message: "unknown key" })) : [{ path: issue.path, message: issue.message }],
  );
}

/** Every problem of a zod failure, one line each: "prefix.path: message". */
export function issueProblems(issues: readonly z.core.$ZodIssue[], prefix = ""): string[] {
  return issuesAt(issues).map(({ path, message }) => `${describePath(path, prefix)}: ${message}`);
}
