import { test } from "node:test";
import { admissionRequestFor, assertAllowed, assertDenied, runPolicy } from "podgate/testing";
import noHostNetwork from "../policies/no-host-network.ts";

const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "web", labels: { team: "shop" } }, spec: { containers: [{ name: "app", image: "nginx:1.27" }] } };

test("no-host-network denies a pod on the host's network", async () => {
  assertAllowed(await runPolicy(noHostNetwork, admissionRequestFor(pod)));
  assertDenied(await runPolicy(noHostNetwork, admissionRequestFor({ ...pod, spec: { ...pod.spec, hostNetwork: true } })), "hostNetwork is not allowed");
});

test("require-team-label (CEL) denies a pod without a team label", async () => {
  const file = new URL("../policies/require-team-label.yaml", import.meta.url).pathname;
  assertAllowed(await runPolicy(file, admissionRequestFor(pod)));
  assertDenied(await runPolicy(file, admissionRequestFor({ ...pod, metadata: { name: "web" } })), "pods must have a team label");
});
