import assert from "node:assert/strict";
import { test } from "node:test";
import { LIBRARY_DIR, libraryDocuments } from "../../../webhooks/policy/load.ts";
import { formatSuites, junitXml } from "../../../webhooks/policy/report.ts";
import { findSuites, runSuite, suitePassed } from "../../../webhooks/policy/suite.ts";

test("every built-in library policy passes its suite, with a passing and a failing fixture", () => {
  const suites = findSuites(`${LIBRARY_DIR}tests`).map(runSuite);
  assert.equal(suites.length, 3);
  for (const suite of suites) assert.ok(suitePassed(suite), formatSuites([suite]));
  const cases = suites.flatMap((s) => s.cases);
  for (const { metadata } of libraryDocuments()) {
    const mine = cases.filter((c) => c.policy === metadata.name);
    assert.ok(mine.some((c) => c.expected === "pass"), `${metadata.name} has no passing fixture`);
    assert.ok(mine.some((c) => c.expected === "fail"), `${metadata.name} has no failing fixture`);
  }
});

test("a mismatch and an unknown resource fail the suite and show in the table and JUnit", () => {
  const suite = runSuite(new URL("../../fixtures/policy/mismatch/podgate-test.yaml", import.meta.url).pathname);
  assert.equal(suitePassed(suite), false);
  assert.deepEqual(suite.cases.map((c) => [c.expected, c.actual, c.ok]), [["pass", "fail", false], ["fail", "-", false]]);
  const text = formatSuites([suite]);
  assert.match(text, /pss-baseline-privileged\s+privileged\s+pass\s+fail\s+MISMATCH/);
  assert.match(text, /no resource named "not-there"/);
  assert.match(text, /^0 passed, 2 failed$/m);
  const xml = junitXml([suite]);
  assert.match(xml, /<testsuite name="mismatch" [^>]*tests="2" failures="2"/);
  assert.match(xml, /<failure message="expected pass, got fail: privileged: container &#34;app&#34; must not set securityContext.privileged=true"\/>/);
});
