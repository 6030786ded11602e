// The libraries kube-apiserver 1.36 adds to CEL for admission policies, each
// in its own module, registered on podgate's one CEL environment.
import type { Environment } from "@marcbachmann/cel-js";
import { registerAuthz } from "./authz.ts";
import { registerNet } from "./net.ts";
import { registerQuantity } from "./quantity.ts";

export function registerKubernetesLibraries(env: Environment): void {
  registerQuantity(env);
  registerNet(env);
  registerAuthz(env);
}
