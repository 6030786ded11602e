// podgate's CEL environment against kube-apiserver 1.36's, without Go: the
// fixed cases of the differential corpus (test/cel/cases.ts) and the outcomes
// the apiserver's own CEL environment gave them (recorded by
// `npm run test:cel -- --write-golden`; CI also runs the live differential).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { FIXED } from "../../cel/cases.ts";
import type { Tagged } from "../../cel/encode.ts";
import { agree, podgate } from "../../cel/evaluate.ts";

interface Recorded {
  readonly fn: string;
  readonly expr: string;
  readonly value?: Tagged;
  readonly error?: string;
}

const golden = JSON.parse(readFileSync(new URL("../../fixtures/policy/cel-upstream.json", import.meta.url), "utf8")) as Recorded[];

test("the recorded outcomes are of the corpus as it is (else: npm run test:cel -- --write-golden)", () => {
  assert.deepEqual(
    golden.map((g) => g.expr),
    FIXED.map((c) => c.expr),
  );
});

test("every fixed case evaluates as kube-apiserver evaluated it", () => {
  const differences = FIXED.flatMap((c, i) => {
    const upstream = golden[i]!;
    const ours = podgate(c);
    const same = agree(upstream, ours);
    if (c.gap !== undefined) return same ? [`${c.expr}: marked as a gap but agrees`] : [];
    return same ? [] : [`${c.expr}: upstream ${JSON.stringify(upstream.value ?? upstream.error)}, podgate ${JSON.stringify(ours.value ?? ours.error)}`];
  });
  assert.deepEqual(differences, []);
});

// The functions kube-apiserver 1.36 declares for admission policies (k8s.io/apiserver/pkg/cel/library
// and the cel-go extensions its base environment enables), each of which needs a case.
const FUNCTIONS: Readonly<Record<string, readonly string[]>> = {
  strings: ["charAt(", "indexOf(", "lastIndexOf(", "lowerAscii(", "upperAscii(", "replace(", "split(", "substring(", "trim(", "join(", "strings.quote(", "format("],
  sets: ["sets.contains(", "sets.equivalent(", "sets.intersects("],
  comprehensions: [".all(i, v,", ".exists(i, v,", ".existsOne(", ".transformList(", ".transformMap(", ".transformMapEntry("],
  lists: [".slice(", ".flatten(", "lists.range(", ".distinct(", ".reverse(", ".sort(", ".sortBy(", ".isSorted(", ".sum(", ".min(", ".max(", ".first(", ".last("],
  optional: ["optional.of(", "optional.none(", "optional.ofNonZeroValue(", ".hasValue(", ".value(", ".orValue(", ".or(", ".optMap(", ".optFlatMap(", "[?", ".?", ".unwrapOpt(", "optional.unwrap("],
  regex: [".matches(", ".find(", ".findAll("],
  url: ["url(", "isURL(", ".getScheme(", ".getHost(", ".getHostname(", ".getPort(", ".getEscapedPath(", ".getQuery("],
  quantity: ["quantity(", "isQuantity(", "sign(", ".isGreaterThan(", ".isLessThan(", ".compareTo(", ".asApproximateFloat(", ".asInteger(", ".isInteger(", ".add(", ".sub("],
  ip: ["ip(", "isIP(", "ip.isCanonical(", ".family(", ".isUnspecified(", ".isLoopback(", ".isLinkLocalMulticast(", ".isLinkLocalUnicast(", ".isGlobalUnicast("],
  cidr: ["cidr(", "isCIDR(", ".containsIP(", ".containsCIDR(", ".masked(", ".prefixLength("],
  format: ["format.dns1123Label(", "format.dns1123Subdomain(", "format.dns1035Label(", "format.qualifiedName(", "format.dns1123LabelPrefix(", "format.dns1123SubdomainPrefix(", "format.dns1035LabelPrefix(", "format.labelValue(", "format.uri(", "format.uuid(", "format.byte(", "format.date(", "format.datetime(", "format.named(", ".validate("],
  semver: ["semver(", "isSemver(", ".major(", ".minor(", ".patch("],
  conversions: ["int(", "uint(", "double(", "string("],
  authorizer: ["authorizer.path(", "authorizer.group(", "authorizer.serviceAccount(", ".resource(", ".subresource(", ".namespace(", ".name(", ".check(", ".allowed(", ".reason(", ".errored(", ".error(", ".fieldSelector(", ".labelSelector("],
};

test("every function of Kubernetes' CEL libraries has a fixed case", () => {
  const exprs = FIXED.map((c) => c.expr);
  const missing = Object.entries(FUNCTIONS).flatMap(([library, names]) => names.filter((name) => !exprs.some((e) => e.includes(name))).map((name) => `${library}: ${name}`));
  assert.deepEqual(missing, []);
});
