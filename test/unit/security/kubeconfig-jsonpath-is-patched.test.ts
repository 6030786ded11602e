// @kubernetes/client-node 2.0.1 asks for jsonpath-plus ^10.3.0, and evaluates
// kubeconfig auth-provider paths (`token-key`, `expiry-key`) with it. The
// safe-eval escapes fixed in jsonpath-plus 11.0.0 and 11.0.1 (Function
// constructor reached indirectly, nested filter bypass) were never released on
// 10.x, so package.json overrides it; this holds the override in place.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, it } from "node:test";

// Resolved from client-node's own directory: the copy it actually loads.
const fromClientNode = createRequire(createRequire(import.meta.url).resolve("@kubernetes/client-node"));
const packageJson = JSON.parse(readFileSync(fromClientNode.resolve("jsonpath-plus/package.json"), "utf8")) as { version: string };
const { JSONPath } = (await import(fromClientNode.resolve("jsonpath-plus"))) as { JSONPath: (options: { path: string; json: unknown; wrap?: boolean }) => unknown };

describe("client-node's kubeconfig JSONPath evaluator", () => {
  it("is jsonpath-plus 11 or later", () => {
    const major = Number(packageJson.version.split(".")[0]);
    assert.ok(major >= 11, `jsonpath-plus ${packageJson.version} under @kubernetes/client-node: the override in package.json is gone`);
  });

  it("still answers the calls client-node makes (token and expiry from an auth helper's output)", () => {
    const output = { credential: { access_token: "t0ken", token_expiry: "2026-11-22T00:00:00Z" } };
    assert.deepEqual(JSONPath({ path: "$.credential.access_token", json: output }), ["t0ken"]);
    assert.deepEqual(JSONPath({ path: "$.credential.token_expiry", json: output }), ["2026-11-22T00:00:00Z"]);
  });

});
