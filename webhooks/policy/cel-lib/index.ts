// The libraries kube-apiserver 1.36 adds to CEL for admission policies, each
// in its own module, registered on podgate's one CEL environment.
import type { ASTNode, Environment } from "@marcbachmann/cel-js";
import { registerAuthz } from "./authz.ts";
import { registerComprehensions } from "./comprehensions.ts";
import { registerFormat } from "./format.ts";
import { registerLists } from "./lists.ts";
import { registerNet } from "./net.ts";
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
  registerAuthz(env);
}

const isNode = (value: unknown): value is ASTNode => typeof value === "object" && value !== null && "op" in value && "args" in value;

/**
 * Points calls of functions cel-js defines with other semantics than cel-go
 * (indexOf on code units, string() of doubles...) at the libraries' own,
 * before the expression is type-checked.
 */
export function renameOverridden(node: ASTNode): void {
  const args: unknown = node.args;
  if ((node.op === "call" || node.op === "rcall") && Array.isArray(args) && typeof args[0] === "string" && OVERRIDDEN.has(args[0])) {
    args[0] = `${OVERRIDE_PREFIX}${args[0]}`;
  }
  const children = Array.isArray(args) ? args.flat(2) : [args];
  for (const child of children) if (isNode(child)) renameOverridden(child);
}

/** A message with the internal names of renamed functions shown as the user wrote them. */
export const withUserNames = (message: string) => message.replaceAll(OVERRIDE_PREFIX, "");
