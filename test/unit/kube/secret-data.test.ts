import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromSecretData, toSecretData } from "../../../src/kube/secrets.ts";

describe("certificates in a Secret's data", () => {
  it("maps the stored fields to the Secret keys kubernetes.io/tls and the server's tlsDir use, base64-encoded", () => {
    const data = toSecretData({ cert: "C", key: "K", ca: "A", caKey: "AK", bundle: "B" });
    assert.deepEqual(data, { "tls.crt": "Qw==", "tls.key": "Sw==", "ca.crt": "QQ==", "ca.key": "QUs=", "ca-bundle.crt": "Qg==" });
    assert.deepEqual(fromSecretData(data), { cert: "C", key: "K", ca: "A", caKey: "AK", bundle: "B" });
  });

  it("ignores keys podgate does not use and reads a missing data map as empty", () => {
    assert.deepEqual(fromSecretData({ "tls.crt": "Qw==", "other.txt": "eA==" }), { cert: "C" });
    assert.deepEqual(fromSecretData(undefined), {});
  });
});
