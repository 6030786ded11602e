// A manifest file may spell out empty values that kube-apiserver drops before any
// webhook sees the pod (Go's omitempty on plain strings, numbers, booleans, lists
// and maps). `podgate apply` and `podgate test` read raw files, so each PSS policy
// must judge such a manifest exactly as it judges the pod the apiserver stores.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadLibrary } from "../../../webhooks/policy/load.ts";
import { evaluateManifests } from "../../../webhooks/policy/offline.ts";

const emptySELinux = { user: "", role: "", type: "", level: "" };
const probe = (port: number) => ({ httpGet: { path: "/", port, host: "", scheme: "HTTP" }, periodSeconds: 1 });

/** A restricted pod as written in a file, with the empty values the apiserver drops. */
const written = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default", annotations: {} },
  spec: {
    hostNetwork: false,
    hostPID: false,
    hostIPC: false,
    volumes: [],
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, seLinuxOptions: emptySELinux, sysctls: [], supplementalGroups: [] },
    containers: [
      {
        name: "app",
        image: "ghcr.io/x/app:1",
        ports: [{ containerPort: 8080, hostPort: 0, hostIP: "" }],
        readinessProbe: probe(8080),
        livenessProbe: { tcpSocket: { port: 8080, host: "" } },
        lifecycle: { preStop: { httpGet: { path: "/stop", port: 8080, host: "" } } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { add: [], drop: ["ALL"] }, seLinuxOptions: emptySELinux },
      },
    ],
  },
};

/** The same pod as kube-apiserver stores it and hands it to webhooks. */
const stored = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default" },
  spec: {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, seLinuxOptions: {} },
    containers: [
      {
        name: "app",
        image: "ghcr.io/x/app:1",
        ports: [{ containerPort: 8080 }],
        readinessProbe: { httpGet: { path: "/", port: 8080, scheme: "HTTP" }, periodSeconds: 1 },
        livenessProbe: { tcpSocket: { port: 8080 } },
        lifecycle: { preStop: { httpGet: { path: "/stop", port: 8080 } } },
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seLinuxOptions: {} },
      },
    ],
  },
};

const policies = loadLibrary([{ name: "pss-baseline" }, { name: "pss-restricted" }]);
const verdicts = (manifest: Record<string, unknown>) =>
  Object.fromEntries(evaluateManifests(policies, [manifest]).flatMap((r) => r.outcomes.map((o) => [o.policy.name, o.verdict.result])));

test("every PSS policy judges a written manifest with empty values as the stored pod", () => {
  const fromFile = verdicts(written);
  assert.equal(Object.keys(fromFile).length, policies.length, "every policy judged the pod");
  assert.deepEqual(fromFile, verdicts(stored));
  assert.deepEqual(Object.entries(fromFile).filter(([, result]) => result !== "pass"), [], "the pod is restricted-compliant either way");
});

test("a value the apiserver keeps is still judged: a host on a probe is denied", () => {
  const withHost = structuredClone(written);
  withHost.spec.containers[0]!.readinessProbe.httpGet.host = "10.0.0.1";
  assert.equal(verdicts(withHost)["pss-baseline-host-probes"], "fail");
});
