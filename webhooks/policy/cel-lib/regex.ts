// matches() with RE2's semantics (cel-js would use JavaScript's regular
// expressions as they are) and Kubernetes' regex library (find, findAll).
import type { Environment } from "@marcbachmann/cel-js";
import { find, findAll, matches } from "./re2.ts";
import { OVERRIDE_PREFIX } from "./value.ts";

export function registerRegex(env: Environment): void {
  env.registerFunction(`string.${OVERRIDE_PREFIX}matches(string): bool`, matches);
  env.registerFunction(`${OVERRIDE_PREFIX}matches(string, string): bool`, matches);
  env.registerFunction("string.find(string): string", find);
  env.registerFunction("string.findAll(string): list<string>", (s: string, re: string) => findAll(s, re));
  env.registerFunction("string.findAll(string, int): list<string>", (s: string, re: string, n: bigint) => findAll(s, re, Number(n)));
}

/** The functions whose pattern argument is checked at compile time when it is a literal, as kube-apiserver does. */
export const PATTERN_FUNCTIONS = new Set(["matches", "find", "findAll"]);
