// The libraries kube-apiserver 1.36 adds to CEL for admission policies, each
// in its own module, registered on podgate's one CEL environment.
import type { Environment } from "@marcbachmann/cel-js";
import { registerAuthz } from "./authz.ts";
import { registerQuantity } from "./quantity.ts";

export function registerKubernetesLibraries(env: Environment): void {
  registerQuantity(env);
  registerAuthz(env);
}
