// Every server the admission bench times, started as the bench starts it (a
// child process from the build) and asked each scenario's review once: the
// baselines answer as they claim, and the webhooks-alone bounds run the very
// webhooks podgate runs (the same patch, the same verdict).
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { patchedReview, probe, readReply, startServerChild, type StepCheck } from "../../bench/admission/harness.ts";
import { REVIEW_FIXTURE, scenarios, type Scenario } from "../../bench/admission/scenarios.ts";
import type { PatchOperation } from "../../src/admission/patch.ts";
import { ensureLocalCertificates, TLS_FILES } from "../../src/server/tls.ts";
import { buildPodgate } from "../support/build.ts";

type Answer = StepCheck & { patch?: PatchOperation[] };

describe("the admission bench's servers", () => {
  let tlsDir: string;
  let ca: string;
  let review: string;
  let uid: string;
  const answers = new Map<string, Answer[]>();

  /** One scenario's steps against its own server child, as the bench checks them before timing. */
  async function ask(scenario: Scenario): Promise<Answer[]> {
    const server = await startServerChild({ available: false, note: "unpinned in tests" }, { kind: scenario.server, tlsDir, ...(scenario.config !== undefined ? { config: scenario.config } : {}) });
    try {
      const out: Answer[] = [];
      for (const step of scenario.steps) {
        const previous = out.at(-1)?.patch;
        const body = step.body === "mutated" ? patchedReview(review, previous ?? []) : review;
        out.push(readReply(step.path, uid, await probe(server.port, ca, step.path, body)));
      }
      return out;
    } finally {
      await server.stop();
    }
  }

  before(async () => {
    buildPodgate();
    tlsDir = await mkdtemp(join(tmpdir(), "podgate-bench-servers-"));
    await ensureLocalCertificates(tlsDir);
    ca = await readFile(join(tlsDir, TLS_FILES.ca), "utf8");
    review = JSON.stringify(JSON.parse(await readFile(REVIEW_FIXTURE, "utf8")));
    uid = (JSON.parse(review) as { request: { uid: string } }).request.uid;
    for (const scenario of scenarios()) answers.set(scenario.id, await ask(scenario));
  });
  after(() => rm(tlsDir, { recursive: true, force: true }));

  const only = (id: string): Answer => {
    const steps = answers.get(id);
    assert.ok(steps?.length === 1, `${id}: one step`);
    return steps[0]!;
  };

  it("the floor allows with no patch, and the ceiling answers its constant", () => {
    assert.deepEqual({ ...only("floor") }, { path: "/", allowed: true, patchOperations: 0, warnings: 0 });
    assert.equal(only("ceiling").allowed, true);
  });

  it("podgate with no webhook allows the review unchanged", () => {
    assert.equal(only("empty").allowed, true);
    assert.equal(only("empty").patchOperations, 0);
  });

  it("/mutate patches the pod, and its webhooks alone make the very same patch", () => {
    const podgate = only("mutate");
    assert.ok(podgate.patchOperations > 0, "the default sidecar and defaults patch the bench pod");
    assert.deepEqual(only("mutate-alone").patch, podgate.patch);
  });

  it("/validate and the policy library alone reach the same verdict and warnings", () => {
    const { path: _p, ...podgate } = only("validate");
    const { path: _a, ...alone } = only("validate-alone");
    assert.deepEqual(alone, podgate);
  });

  it("both: /mutate, then /validate of the patched pod", () => {
    const [mutate, validate] = answers.get("both")!;
    assert.equal(mutate?.path, "/mutate");
    assert.ok((mutate?.patchOperations ?? 0) > 0);
    assert.equal(validate?.path, "/validate");
    assert.equal(validate?.allowed, true);
  });
});
