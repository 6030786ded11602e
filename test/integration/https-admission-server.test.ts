import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { allow, deny, mutate, type AdmissionHandler } from "../../src/admission/handler.ts";
import { slowValidator } from "../support/admission.ts";
import { fixture } from "../support/fixtures.ts";
import { call, post } from "../../src/harness/https.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

const annotate: AdmissionHandler = {
  name: "annotate",
  kind: "mutating",
  failurePolicy: "Fail",
  timeoutSeconds: 2,
  handle(request) {
    const pod = request.object as { metadata: { annotations?: Record<string, string> } };
    pod.metadata.annotations = { ...pod.metadata.annotations, "podgate.io/seen": "yes" };
    return mutate(pod);
  },
};
const explode: AdmissionHandler = { name: "explode", kind: "mutating", failurePolicy: "Fail", timeoutSeconds: 2, handle: () => { throw new TypeError("cannot read x of undefined"); } };
const slow = slowValidator(400);
const strict: AdmissionHandler = {
  name: "no-privileged",
  kind: "validating",
  failurePolicy: "Fail",
  timeoutSeconds: 2,
  handle: (request) => (request.object?.["kind"] === "Pod" ? deny("privileged pods are not allowed", 403) : allow()),
};

describe("HTTPS admission server", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ server: { bodyLimitBytes: 64 * 1024 }, mutating: [annotate, explode], validating: [strict, slow] });
  });
  after(() => server.close());

  const review = () => fixture("admission/create-pod.json");
  const valid = async () => {
    const res = await post(`${server.url}/mutate/annotate`, server.ca, review());
    assert.equal(res.status, 200);
    assert.equal(res.json.response.uid, review().request.uid);
  };

  it("answers a CREATE review with the uid, apiVersion, kind and a base64 JSONPatch", async () => {
    const res = await post(`${server.url}/mutate/annotate`, server.ca, review());
    assert.equal(res.status, 200);
    assert.equal(res.json.apiVersion, "admission.k8s.io/v1");
    assert.equal(res.json.kind, "AdmissionReview");
    assert.equal(res.json.response.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert.equal(res.json.response.allowed, true);
    assert.equal(res.json.response.patchType, "JSONPatch");
    assert.deepEqual(JSON.parse(Buffer.from(res.json.response.patch, "base64").toString()), [
      { op: "add", path: "/metadata/annotations/podgate.io~1seen", value: "yes" },
    ]);
  });

  it("a throwing webhook on the combined route yields a 500 denial naming it, uid intact, HTTP 200", async () => {
    const res = await post(`${server.url}/mutate`, server.ca, review());
    assert.equal(res.status, 200);
    assert.equal(res.json.response.uid, review().request.uid);
    assert.equal(res.json.response.allowed, false);
    assert.equal(res.json.response.status.code, 500);
    assert.match(res.json.response.status.message, /"explode" failed: cannot read x/);
  });

  it("/mutate/a/b runs each named webhook in one review", async () => {
    const alone = await post(`${server.url}/mutate/annotate`, server.ca, review());
    assert.equal(alone.json.response.allowed, true);
    const both = await post(`${server.url}/mutate/annotate/explode`, server.ca, review());
    assert.equal(both.json.response.allowed, false, "explode ran too");
    assert.match(both.json.response.status.message, /"explode" failed/);
  });

  it("/validate runs every validating webhook and denies with the policy's message", async () => {
    const res = await post(`${server.url}/validate`, server.ca, review());
    assert.equal(res.json.response.allowed, false);
    assert.equal(res.json.response.status.code, 403);
    assert.equal(res.json.response.status.message, "privileged pods are not allowed");
  });

  for (const name of ["update-pod", "delete-pod", "connect-pod-exec", "create-pod-dry-run", "update-pod-status"]) {
    it(`answers the ${name} review`, async () => {
      const body = fixture(`admission/${name}.json`);
      const res = await post(`${server.url}/validate/slow`, server.ca, body);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json.response, { uid: body.request.uid, allowed: true });
    });
  }

  const badInputs: Array<[string, () => Promise<Awaited<ReturnType<typeof post>>>, number, RegExp]> = [
    ["malformed JSON", () => post(`${server.url}/mutate`, server.ca, '{"apiVersion": '), 400, /not valid JSON: .*position|JSON input/],
    ["an empty body", () => post(`${server.url}/mutate`, server.ca, ""), 400, /empty; expected a JSON object/],
    ["a missing uid", () => post(`${server.url}/mutate`, server.ca, { ...review(), request: { ...review().request, uid: undefined } }), 400, /request\.uid/],
    ["a wrong apiVersion", () => post(`${server.url}/validate`, server.ca, { ...review(), apiVersion: "admission.k8s.io/v1beta1" }), 400, /apiVersion/],
    ["a missing operation", () => post(`${server.url}/validate`, server.ca, { ...review(), request: { ...review().request, operation: undefined } }), 400, /request\.operation/],
    ["an oversized body", () => post(`${server.url}/mutate`, server.ca, JSON.stringify({ pad: "x".repeat(100 * 1024) })), 413, /too large/i],
    ["a wrong content type", () => post(`${server.url}/mutate`, server.ca, "uid=1", { headers: { "content-type": "text/plain" } }), 415, /content-type|media type/i],
    ["a prototype-pollution key", () => post(`${server.url}/mutate`, server.ca, '{"__proto__": {"x": 1}}'), 400, /forbidden prototype key at __proto__/],
    ["an unknown webhook name", () => post(`${server.url}/mutate/nope`, server.ca, review()), 404, /no mutating webhook "nope"; enabled: annotate, explode/],
    ["unknown names in a list", () => post(`${server.url}/mutate/annotate/nope/gone`, server.ca, review()), 404, /no mutating webhook "nope", "gone"; enabled: annotate, explode/],
    ["a name listed twice", () => post(`${server.url}/mutate/annotate/annotate`, server.ca, review()), 404, /mutating webhook "annotate" is named twice in \/mutate\/annotate\/annotate/],
  ];
  for (const [what, send, status, message] of badInputs) {
    it(`replies ${status} with a precise message to ${what}, and keeps serving`, async () => {
      const res = await send();
      assert.equal(res.status, status, res.text);
      assert.match(res.json.message, message);
      await valid();
    });
  }

  it("echoes the uid in a 400 when the body carried one", async () => {
    const res = await post(`${server.url}/mutate`, server.ca, { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "keep-me" } });
    assert.equal(res.status, 400);
    assert.equal(res.json.uid, "keep-me");
    assert.equal(res.json.field, "request.kind");
  });

  it("serves /healthz and /readyz on the TLS port", async () => {
    assert.equal((await call(`${server.url}/healthz`, { ca: server.ca })).status, 200);
    const ready = await call(`${server.url}/readyz`, { ca: server.ca });
    assert.equal(ready.status, 200, ready.text);
  });

  it("counts decisions in Prometheus metrics on the separate plain-HTTP listener", async () => {
    await valid();
    const text = await (await fetch(server.running.metricsUrl!)).text();
    assert.match(text, /podgate_admission_decisions_total\{webhook="annotate",operation="CREATE",outcome="patched"\} [1-9]/);
    assert.match(text, /podgate_admission_decisions_total\{webhook="explode",operation="CREATE",outcome="failed_closed"\} [1-9]/);
    assert.match(text, /podgate_admission_duration_seconds_bucket\{.*webhook="annotate"/);
    assert.match(text, /podgate_rejected_requests_total\{route="\/mutate",status="413"\} [1-9]/);
    assert.ok(!(await fetch(server.running.metricsUrl!.replace("/metrics", "/mutate"))).ok);
  });

  it("refuses plaintext HTTP on the admission port", async () => {
    await assert.rejects(fetch(server.url.replace("https:", "http:") + "/healthz"));
  });
});
