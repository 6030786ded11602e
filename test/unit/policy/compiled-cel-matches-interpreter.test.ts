// The compiled closures (cel-compile.ts) against @marcbachmann/cel-js, the
// reference: on random pods — mostly well formed, with values of the wrong
// type, missing keys and odd strings mixed in — every expression of the
// library and a set written to reach every construct either gives exactly
// the interpreter's value or hands over (FALLBACK), and never throws anything
// else. The closures read the pod as JSON.parse gives it (integers as JS
// numbers), the interpreter the converted copy (integers as bigint), as in
// the engine; a closure's value counts as the same once converted. The test
// also proves it is not vacuous: most evaluations of the library are answered
// by the closures, and every fallback-only path is hit.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { parseAllDocuments } from "yaml";
import { compileClosure, FALLBACK } from "../../../webhooks/policy/cel-compile.ts";
import { compileCel, compiledFaultCount, DECLARED, INTERPRETER_ONLY, InterpreterOnly, parseCel, toCel, type CelVariables } from "../../../webhooks/policy/cel.ts";
import { compilePolicy } from "../../../webhooks/policy/declarative.ts";
import { evaluateAll } from "../../../webhooks/policy/decide.ts";
import { policy, podRequest } from "./requests.ts";
import { packagePath } from "../../../src/package-root.ts";

type Outcome = { readonly value: unknown } | { readonly error: string };

function interpreted(source: string, bindings: Record<string, unknown>): Outcome {
  try {
    return { value: parseCel(source)(bindings) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The closure's answer (converted as cel-js would hold it), or "fallback"; anything else it throws fails the test. */
function compiled(closure: (b: Record<string, unknown>) => unknown, bindings: Record<string, unknown>): Outcome | "fallback" {
  try {
    return { value: toCel(closure(bindings)) };
  } catch (error) {
    if (error === FALLBACK) return "fallback";
    throw new Error(`compiled closure threw ${String(error)}`, { cause: error });
  }
}

// ---- random pods -----------------------------------------------------------

/** The pod as the server holds it: what JSON.parse makes of its JSON (plain objects; NaN and ±Infinity become null). */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

const odd: fc.Arbitrary<unknown> = fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -3, max: 3 }), fc.double({ noNaN: false }), fc.boolean(), fc.constant(null), fc.constant({}), fc.constant([]));
/** Names JS objects answer to without holding them: a map must not. */
const INHERITED = fc.constantFrom("toString", "constructor", "hasOwnProperty");
/** Mostly one of the words a policy looks for, sometimes anything. */
const word = (...words: string[]) => fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...words) }, { weight: 1, arbitrary: odd }, { weight: 1, arbitrary: INHERITED });
/** A map key: mostly one a policy looks for. */
const key = (...words: string[]) =>
  fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...words) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }, { weight: 1, arbitrary: INHERITED });
const flag = fc.oneof({ weight: 6, arbitrary: fc.boolean() }, { weight: 1, arbitrary: odd });
const optionalRecord = <T extends Record<string, fc.Arbitrary<unknown>>>(fields: T) =>
  fc.oneof({ weight: 8, arbitrary: fc.record(fields, { requiredKeys: [] }) }, { weight: 1, arbitrary: odd });
const profile = optionalRecord({ type: word("RuntimeDefault", "Localhost", "Unconfined", "") });
const securityContext = optionalRecord({
  privileged: flag,
  runAsUser: fc.oneof(fc.integer({ min: -1, max: 2 }), odd),
  runAsNonRoot: flag,
  allowPrivilegeEscalation: flag,
  procMount: word("Default", "Unmasked"),
  seccompProfile: profile,
  appArmorProfile: profile,
  seLinuxOptions: optionalRecord({ type: word("container_t", "spc_t", ""), user: word("u"), role: word("r") }),
  capabilities: optionalRecord({ add: fc.array(word("NET_BIND_SERVICE", "SYS_ADMIN", "CHOWN", "ALL"), { maxLength: 3 }), drop: fc.array(word("ALL", "NET_RAW"), { maxLength: 2 }) }),
  windowsOptions: optionalRecord({ hostProcess: flag }),
  sysctls: fc.array(optionalRecord({ name: word("kernel.shm_rmid_forced", "net.core.somaxconn"), value: fc.string({ maxLength: 3 }) }), { maxLength: 2 }),
});
const image = fc.oneof(
  fc.constantFrom("nginx", "nginx:latest", "nginx:1.27", "registry.example.com/app:1.0", "localhost/x", "localhost:5000/x:latest", "docker.io/library/nginx@sha256:ab", "a/b/c", "é/ü:1", "😀:latest"),
  fc.string({ maxLength: 8 }),
  odd,
);
const container = fc.record(
  {
    name: word("app", "log", "init"),
    image,
    securityContext,
    ports: fc.array(optionalRecord({ containerPort: fc.integer({ min: 1, max: 9000 }), hostPort: fc.oneof(fc.integer({ min: 0, max: 2 }), odd) }), { maxLength: 2 }),
    resources: optionalRecord({ requests: fc.dictionary(key("cpu", "memory"), fc.string({ maxLength: 3 }), { maxKeys: 2 }), limits: fc.dictionary(key("cpu", "memory"), fc.string({ maxLength: 3 }), { maxKeys: 2 }) }),
  },
  { requiredKeys: ["name"] },
);
const containers = fc.oneof({ weight: 12, arbitrary: fc.array(container, { maxLength: 3 }) }, { weight: 1, arbitrary: odd });
const volume = fc.oneof(
  fc.record({ name: word("data", "logs"), emptyDir: fc.constant({}) }),
  fc.record({ name: word("host"), hostPath: optionalRecord({ path: fc.string({ maxLength: 4 }) }) }),
  fc.record({ name: word("cm"), configMap: fc.constant({ name: "x" }), gitRepo: fc.constant({}) }, { requiredKeys: ["name", "configMap"] }),
  odd,
);
const pod = fc.record({
  apiVersion: fc.constant("v1"),
  kind: fc.constant("Pod"),
  metadata: fc.record(
    {
      name: fc.string({ maxLength: 5 }),
      labels: fc.dictionary(key("app", "team", "env"), fc.oneof(fc.string({ maxLength: 4 }), odd), { maxKeys: 3 }),
      annotations: fc.dictionary(key("container.apparmor.security.beta.kubernetes.io/app", "other.io/x"),
        word("runtime/default", "localhost/prof", "unconfined"),
        { maxKeys: 2 },
      ),
    },
    { requiredKeys: [] },
  ),
  spec: fc.record(
    {
      containers,
      initContainers: containers,
      ephemeralContainers: containers,
      volumes: fc.array(volume, { maxLength: 3 }),
      hostNetwork: flag,
      hostPID: flag,
      hostIPC: flag,
      securityContext,
      os: optionalRecord({ name: word("linux", "windows") }),
      serviceAccountName: word("default", "app"),
      automountServiceAccountToken: flag,
    },
    { requiredKeys: ["containers"] },
  ),
});
const params = fc.record({
  registries: fc.array(word("docker.io", "registry.example.com", "localhost"), { maxLength: 3 }),
  labels: fc.array(word("app", "team"), { maxLength: 2 }),
  requests: fc.array(word("cpu", "memory"), { maxLength: 2 }),
  limits: fc.array(word("memory"), { maxLength: 1 }),
});

// ---- the expressions -------------------------------------------------------

interface PolicyExpressions {
  readonly name: string;
  readonly variables: readonly { name: string; expression: string }[];
  readonly expressions: readonly string[];
}

function library(): PolicyExpressions[] {
  const dir = packagePath("policies/library");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    // A PSS policy has a document per version where its upstream check changed.
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), "utf8")).map((d) => d.toJS() as unknown))
    .map((raw) => {
      const doc = raw as {
        metadata: { name: string };
        spec: { variables?: { name: string; expression: string }[]; matchConditions?: { expression: string }[]; validations: { expression: string; messageExpression?: string }[] };
      };
      const variables = doc.spec.variables ?? [];
      return {
        name: doc.metadata.name,
        variables,
        expressions: [
          ...variables.map((v) => v.expression),
          ...(doc.spec.matchConditions ?? []).map((c) => c.expression),
          ...doc.spec.validations.flatMap((v) => [v.expression, ...(v.messageExpression ? [v.messageExpression] : [])]),
        ],
      };
    });
}

/** Every construct the compiler knows, with operands of every type the pods give. */
const CONSTRUCTS = [
  "object.spec.containers.size() > 1 && size(object.metadata.?labels.orValue({})) >= 1",
  "object.spec.containers[0].name == 'app' || object.spec.containers[1].name != 'log'",
  "object.metadata.labels['app'] + '-' + object.metadata.name",
  "object.spec.containers.map(c, c.name)",
  "object.spec.containers.map(c, has(c.securityContext), c.image)",
  "object.spec.containers.filter(c, c.?ports.orValue([]).exists(p, p.?hostPort.orValue(0) > 0))",
  "object.spec.containers.exists_one(c, c.name == 'app')",
  "object.spec.containers.all(c, c.?ports.orValue([]).all(c, c.?containerPort.orValue(0) < 8080))",
  "object.metadata.?annotations.orValue({}).exists(k, k.startsWith('container.') && object.metadata.annotations[k].endsWith('default'))",
  "object.spec.?securityContext.?runAsUser.orValue(5) - 1 >= -2",
  "-object.spec.?securityContext.?runAsUser.orValue(1) <= 0",
  "object.spec.?hostNetwork.orValue(false) ? 'net' : 'nonet'",
  "has(object.spec.securityContext.seccompProfile) || has(object.spec.os)",
  "object.spec.containers.all(c, c.image.indexOf(':') < c.image.lastIndexOf('/') || c.image.size() > 3)",
  "object.spec.containers.map(c, c.image.split('/')).all(parts, parts.size() <= 2)",
  "'app' in object.metadata.?labels.orValue({}) && object.spec.?serviceAccountName.hasValue()",
  "object.spec.containers.map(c, c.name).join(', ') + ' ' + object.spec.containers.map(c, c.name).join()",
  "{'a': object.spec.?hostPID.orValue(true), 'b': [1, 2.5, 'x'], 'c': object.spec.containers[0].name}",
  "object.spec.?volumes.orValue([]).filter(v, !has(v.emptyDir)).size() == 0 || object.spec.volumes[0].all(k, k in ['name', 'emptyDir'])",
  "object.spec.?securityContext.?sysctls.orValue([]).all(s, s.name in ['kernel.shm_rmid_forced'] || s.value == '')",
  "object.spec.containers.all(c, c.?securityContext.?capabilities.?add.orValue([]).all(cap, cap in c.?securityContext.?capabilities.?drop.orValue([])))",
  "object.spec.?os.?name.orValue(1) == 'windows' || object.spec.os.name < 'm'",
  // JSON integers read as ints: compared, tested for membership, added; doubles beside them.
  "object.spec.containers.exists(c, c.?ports.orValue([]).exists(p, p.containerPort > 80 && p.containerPort in [80, 443, 8080]))",
  "object.spec.?securityContext.?runAsUser.orValue(0) == 0 || object.spec.securityContext.runAsUser + 1 > 1",
  "object.spec.containers.map(c, c.?ports.orValue([]).map(p, p.?hostPort.orValue(-1)))",
  "object.spec.containers.map(c, c.?ports.orValue([]).map(p, string(p.?hostPort.orValue(-1)) + string(c.name))).map(l, l.join(', ')).join('; ')",
  "string(object.spec.?securityContext.?runAsUser.orValue(0.5))",
  // A double sum: closures answer when it is fractional and hand over when it is whole (it would read as an int).
  "object.spec.containers.all(c, c.?ports.orValue([]).all(p, p.?hostPort.orValue(0.5) + 0.5 != 1.5))",
  "object.spec.?securityContext.?runAsUser.orValue(0.5) + 0.5",
] as const;

const RUNS = 600;

test("compiled closures give the interpreter's value or hand over, on random pods, for every library expression", () => {
  const policies = library();
  const closures = new Map(policies.flatMap((p) => p.expressions).map((source) => [source, compileClosure(parseCel(source).ast, DECLARED)]));
  for (const [source, closure] of closures) assert.ok(closure, `library expression not compiled: ${source}`);
  let answered = 0;
  let total = 0;
  fc.assert(
    fc.property(pod, params, (generated, ps) => {
      const p = asJson(generated);
      const object = toCel(p);
      for (const policy of policies) {
        // Variables in order: by the interpreter for the reference, by the engine's programs for the closures.
        const variables: Record<string, unknown> = {};
        const ourVariables: CelVariables = {};
        const base = { object, oldObject: null, request: toCel({ operation: "CREATE" }), params: toCel(ps), namespaceObject: null };
        const raw = { object: p, oldObject: null, request: { operation: "CREATE" }, params: toCel(ps), namespaceObject: null };
        for (const v of policy.variables) {
          const outcome = interpreted(v.expression, { ...base, variables });
          if ("value" in outcome) variables[v.name] = outcome.value;
          try {
            const value = compileCel(v.expression, "any").runVariable({ ...raw, variables: ourVariables });
            if (value instanceof InterpreterOnly) (ourVariables[INTERPRETER_ONLY] ??= {})[v.name] = value.value;
            else ourVariables[v.name] = value;
          } catch {
            // failed for the reference too: the variable is absent from both
          }
        }
        for (const source of policy.expressions) {
          const closure = closures.get(source)!;
          const reference = interpreted(source, { ...base, variables });
          const ours = compiled(closure, { ...raw, variables: ourVariables });
          total++;
          if (ours === "fallback") continue;
          answered++;
          assert.deepStrictEqual(ours, reference, `${policy.name}: ${source}`);
        }
      }
    }),
    { numRuns: RUNS },
  );
  // Not vacuous: the closures answer a good share even of these pods, a third of whose fields are odd (~48%).
  assert.ok(answered / total > 0.3, `closures answered only ${answered} of ${total}`);
});

test("every construct the compiler knows matches the interpreter, fallbacks included", () => {
  const counts = new Map<string, { answered: number; fellBack: number }>();
  const closures = new Map(CONSTRUCTS.map((source) => [source, compileClosure(parseCel(source).ast, DECLARED)]));
  for (const [source, closure] of closures) {
    assert.ok(closure, `not compiled: ${source}`);
    counts.set(source, { answered: 0, fellBack: 0 });
  }
  fc.assert(
    fc.property(pod, (generated) => {
      const p = asJson(generated);
      const bindings = { object: toCel(p), oldObject: null, request: {}, params: null, namespaceObject: null, variables: {} };
      for (const source of CONSTRUCTS) {
        const ours = compiled(closures.get(source)!, { ...bindings, object: p });
        const count = counts.get(source)!;
        if (ours === "fallback") {
          count.fellBack++;
          continue;
        }
        count.answered++;
        assert.deepStrictEqual(ours, interpreted(source, bindings), source);
      }
    }),
    { numRuns: RUNS },
  );
  for (const [source, { answered, fellBack }] of counts) {
    assert.ok(answered > 0, `the closure never answered: ${source}`);
    assert.ok(fellBack > 0, `the fallback was never taken: ${source}`);
  }
});

test("constructs outside the subset are left to the interpreter whole", () => {
  for (const source of [
    // A whole double would read as an int in closures; `variables` is compiled only as variables.<name>.
    "object.spec.?hostPort.orValue(1.0) > 0.5",
    "size(variables) == 0",
    "has(variables.x)","object.spec.containers.exists(c, c.name.matches('^a'))", "int('1') == 1", "object.spec.?os.name.orValue('') == ''", "cel.bind(x, 1, x + 1) == 2", "optional.of(1).hasValue()", "object.a * 2 == 4"]) {
    assert.equal(compileClosure(parseCel(source).ast, DECLARED), undefined, source);
    assert.equal(compileCel(source, "any").compiled, false, source);
  }
});

test("a compiled program answers with the interpreter where the closure hands over: errors and their absorption stay CEL's", () => {
  const bindings = { object: toCel({ spec: { containers: [{ name: "a" }, { name: "b", image: "x" }] } }), oldObject: null, request: {}, params: null, namespaceObject: null, variables: {} };
  const cases: Array<[string, Outcome]> = [
    // The first container has no image: an error, absorbed by a later false in all().
    ["object.spec.containers.all(c, c.image == 'y')", { value: false }],
    ["object.spec.containers.all(c, c.image == 'x')", { error: "" }],
    ["object.spec.missing || true", { value: true }],
    ["object.spec.missing && false", { value: false }],
    ["object.spec.containers[5].name == 'a'", { error: "" }],
  ];
  for (const [source, expected] of cases) {
    const program = compileCel(source, "any");
    assert.ok(program.compiled, source);
    let outcome: Outcome;
    try {
      outcome = { value: program.run(bindings) };
    } catch (error) {
      outcome = { error: (error as Error).message };
    }
    if ("error" in expected) {
      assert.ok("error" in outcome, `${source}: expected an error, got ${JSON.stringify(outcome)}`);
      assert.deepEqual(outcome, interpreted(source, bindings));
    } else assert.deepEqual(outcome, expected, source);
  }
  // Every hand-over above was a FALLBACK, none a fault of a closure.
  assert.equal(compiledFaultCount(), 0);
});

test("a variable cel-js computed holding a whole double is kept from closures, which would read it as an int", () => {
  // 2.0 is not compiled (a whole double), so cel-js computes x; y and the validations are compiled.
  // cel-js has no double + int: where a closure read x as the int 2, it would answer instead of failing.
  const sources = ["variables.x + 1 > 2", "variables.x + 0.5 > 2.25", "[variables.x].exists(v, v + 1 > 2)", "variables.y + 1 > 3"];
  const p = compilePolicy(
    policy("doubles", {
      variables: [
        { name: "x", expression: "2.0" },
        { name: "y", expression: "object.spec.containers.size() + 2" },
      ],
      validations: sources.map((expression) => ({ expression, message: expression })),
    }),
    "test",
  );
  const request = podRequest({ containers: [{ name: "app", image: "nginx" }] });
  const verdict = evaluateAll([p], { request })[0]!.verdict;
  assert.equal(verdict.result, "error");
  const errors = verdict.result === "error" ? verdict.error : "";
  sources.forEach((source, i) => {
    const reference = interpreted(source, { object: toCel(request.object), variables: { x: 2, y: 3n } });
    assert.equal(errors.includes(`validations[${i}] (${source})`), "error" in reference, `${source}: ${JSON.stringify(reference)}; engine: ${errors}`);
  });
  assert.ok(sources.some((source) => "error" in interpreted(source, { variables: { x: 2, y: 3n } })), "not vacuous: cel-js refuses some");
});
