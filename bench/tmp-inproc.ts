import { readFileSync } from "node:fs";
import { registry } from "/work/main/src/builtins.ts";
import { buildConfig } from "/work/main/src/config/load.ts";
import { FULL_LIBRARY, defaultMutating, REVIEW_FIXTURE } from "/work/main/bench/admission/scenarios.ts";
import { parseJsonBody } from "/work/main/src/server/json-body.ts";
import { parseAdmissionReview } from "/work/main/src/admission/review.ts";
import { runValidating, runMutating } from "/work/main/src/admission/run.ts";
const text = readFileSync(REVIEW_FIXTURE, "utf8");
const config = buildConfig({ admission: { mutating: defaultMutating(), validating: [FULL_LIBRARY] } }, registry, "x");
async function time(label: string, f: () => unknown, n = 20000) {
  for (let i = 0; i < 3000; i++) await f();
  const t = performance.now(); const c = process.cpuUsage();
  for (let i = 0; i < n; i++) await f();
  { const u = process.cpuUsage(c); console.log(label, ((performance.now() - t) * 1000 / n).toFixed(1), "µs wall", ((u.user+u.system)/n).toFixed(1), "µs cpu"); }
}
const parsed = () => { const r = parseAdmissionReview(parseJsonBody(text)); if (!r.ok) throw 1; return r.review.request; };
await time("parse", parsed);
await time("validate", () => runValidating(config.validating, parsed()));
await time("mutate", () => runMutating(config.mutating, parsed()));
const r = await runValidating(config.validating, parsed());
console.log(JSON.stringify(r.response).slice(0, 600));
const m = await runMutating(config.mutating, parsed());
const reply = JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: m.response });
console.log("mutate reply bytes", reply.length, "patch json bytes", Buffer.from(m.response.patch!, "base64").length);
