// The libraries kube-apiserver 1.36 adds to CEL for admission policies, each
// in its own module, registered on podgate's one CEL environment.
import type { ASTNode, Environment } from "@marcbachmann/cel-js";
import { registerAuthz } from "./authz.ts";
import { registerComprehensions } from "./comprehensions.ts";
import { registerFormat } from "./format.ts";
import { registerLists } from "./lists.ts";
import { registerNet } from "./net.ts";
import { registerOptional } from "./optional.ts";
import { re2 } from "./re2.ts";
import { PATTERN_FUNCTIONS, registerRegex } from "./regex.ts";
import { registerQuantity } from "./quantity.ts";
import { registerSemver } from "./semver.ts";
import { registerSets } from "./sets.ts";
import { OVERRIDDEN, registerStrings } from "./strings.ts";
import { registerURL } from "./url.ts";
import { OVERRIDE_PREFIX } from "./value.ts";

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
  registerAuthz(env);
}

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
    checkLiteralPattern(args[0], node.op === "call" ? args[1] : args[2]);
    if (OVERRIDDEN.has(args[0])) args[0] = `${OVERRIDE_PREFIX}${args[0]}`;
  }
  const children = Array.isArray(args) ? args.flat(2) : [args];
  for (const child of children) if (isNode(child)) prepareCalls(child);
}

/** A message with the internal names of renamed functions shown as the user wrote them. */
export const withUserNames = (message: string) => message.replaceAll(OVERRIDE_PREFIX, "");
