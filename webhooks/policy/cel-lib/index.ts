// The libraries kube-apiserver 1.36 adds to CEL for admission policies, each
// in its own module, registered on podgate's one CEL environment.
import type { ASTNode, Environment } from "@marcbachmann/cel-js";
import { registerAuthz } from "./authz.ts";
import { registerComprehensions } from "./comprehensions.ts";
import { registerConversions } from "./conversions.ts";
import { registerFormat } from "./format.ts";
import { registerLists } from "./lists.ts";
import { registerNet } from "./net.ts";
import { registerOptional } from "./optional.ts";
import { re2 } from "./re2.ts";
import { PATTERN_FUNCTIONS, registerRegex } from "./regex.ts";
import { registerQuantity } from "./quantity.ts";
import { registerSemver } from "./semver.ts";
import { registerSets } from "./sets.ts";
import { registerStrings } from "./strings.ts";
import { registerURL } from "./url.ts";
import { celError, OVERRIDE_PREFIX } from "./value.ts";

export function registerKubernetesLibraries(env: Environment): void {
  registerQuantity(env);
  registerNet(env);
  registerSemver(env);
  registerLists(env);
  registerSets(env);
  registerComprehensions(env);
  registerStrings(env);
  registerURL(env);
  registerFormat(env);
  registerOptional(env);
  registerRegex(env);
  registerConversions(env);
  registerAuthz(env);
}

/** Functions and methods whose calls compile to the libraries' own: cel-js has them with other semantics. */
const OVERRIDDEN = new Set(["indexOf", "lastIndexOf", "lowerAscii", "upperAscii", "split", "substring", "trim", "string", "matches", "int", "double"]);

const isNode = (value: unknown): value is ASTNode => typeof value === "object" && value !== null && "op" in value && "args" in value;

/** A literal regular expression must compile, as kube-apiserver checks at compile time. */
function checkLiteralPattern(name: string, callArgs: unknown): void {
  if (!PATTERN_FUNCTIONS.has(name) || !Array.isArray(callArgs)) return;
  const pattern: unknown = callArgs.at(name === "matches" && callArgs.length === 2 ? 1 : 0);
  if (isNode(pattern) && pattern.op === "value" && typeof pattern.args === "string") re2(pattern.args);
}

/**
 * Before an expression is type-checked: points calls of functions cel-js
 * defines with other semantics than cel-go (indexOf on code units, string()
 * of doubles, JavaScript regular expressions) at the libraries' own, and
 * checks literal regular expressions. Throws the library's error for a bad one.
 */
export function prepareCalls(node: ASTNode): void {
  const args: unknown = node.args;
  if ((node.op === "call" || node.op === "rcall") && Array.isArray(args) && typeof args[0] === "string") {
    // cel-js has cel.bind; kube-apiserver's environment does not, so a policy using it would not run natively.
    if (node.op === "rcall" && args[0] === "bind" && isNode(args[1]) && args[1].op === "id" && args[1].args === "cel") {
      throw celError("undeclared reference to 'cel': cel.bind is not in kube-apiserver's CEL environment");
    }
    checkLiteralPattern(args[0], node.op === "call" ? args[1] : args[2]);
    if (OVERRIDDEN.has(args[0])) args[0] = `${OVERRIDE_PREFIX}${args[0]}`;
  }
  const children = Array.isArray(args) ? args.flat(2) : [args];
  for (const child of children) if (isNode(child)) prepareCalls(child);
}

/** A message with the internal names of renamed functions shown as the user wrote them. */
export const withUserNames = (message: string) => message.replaceAll(OVERRIDE_PREFIX, "");
