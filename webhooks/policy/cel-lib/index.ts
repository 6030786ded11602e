// The libraries kube-apiserver 1.36 adds to CEL for admission policies, each
// in its own module, registered on podgate's one CEL environment.
import type { Environment } from "@marcbachmann/cel-js";
import { registerAuthz } from "./authz.ts";
import { registerComprehensions } from "./comprehensions.ts";
import { registerLists } from "./lists.ts";
import { registerNet } from "./net.ts";
import { registerQuantity } from "./quantity.ts";
import { registerSemver } from "./semver.ts";
import { registerSets } from "./sets.ts";

export function registerKubernetesLibraries(env: Environment): void {
  registerQuantity(env);
  registerNet(env);
  registerSemver(env);
  registerLists(env);
  registerSets(env);
  registerComprehensions(env);
  registerAuthz(env);
}
