// Measures the two CEL evaluators on VAP-style expressions: compile time,
// evaluation time and whether each gives the answer Kubernetes' CEL gives.
// Run: node bench/cel.ts   (results are recorded in docs/policy.md)
import { celEnv, parse as bufParse, plan as bufPlan, isCelError } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";
import { Environment } from "@marcbachmann/cel-js";

const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "default", labels: { app: "web", "team.io/owner": "a" } },
  spec: {
    replicas: 3,
    hostNetwork: false,
    containers: [
      { name: "app", image: "registry.example.com/web:1.2", securityContext: { privileged: false }, ports: [{ containerPort: 8080 }] },
      { name: "sidecar", image: "busybox:latest" },
    ],
  },
};

// [expression, expected] — expected is what Kubernetes' cel-go answers.
const cases: Array<[string, unknown]> = [
  ["object.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || c.securityContext.privileged == false)", true],
  ["object.spec.containers.exists(c, c.image.endsWith(':latest'))", true],
  ["has(object.spec.hostPID)", false],
  ["!has(object.spec.hostNetwork) || object.spec.hostNetwork == false", true],
  ["object.metadata.?labels.?app.orValue('') == 'web'", true],
  ["object.spec.?nodeName.orValue('none')", "none"],
  ["'team.io/owner' in object.metadata.labels", true],
  ["object.spec.containers.all(c, c.image.startsWith('registry.example.com/'))", false],
  ["object.spec.containers.filter(c, c.image.contains(':latest')).map(c, c.name)", ["sidecar"]],
  ["object.spec.containers[0].image.split(':')[1]", "1.2"],
  ["object.metadata.name.matches('^[a-z]+$')", true],
  ["object.spec.replicas <= 5", true],
  ["size(object.spec.containers) == 2", true],
  ["object.spec.containers.map(c, c.name).join(', ')", "app, sidecar"],
  ["object.metadata.name.lowerAscii().indexOf('e')", 1],
];

/** Kubernetes turns JSON integers into CEL ints: both libraries want bigint for that. */
function toCel(value: unknown, maps: boolean): unknown {
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map((v) => toCel(v, maps));
  if (value && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => [k, toCel(v, maps)] as const);
    return maps ? new Map(entries) : Object.fromEntries(entries);
  }
  return value;
}

function normalize(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, normalize(v)]));
  if (value && typeof value === "object" && Symbol.iterator in value) return [...(value as Iterable<unknown>)].map(normalize);
  return value;
}

interface Engine {
  name: string;
  input: unknown;
  compile(expression: string): (vars: { object: unknown }) => unknown;
}

const bufEnv = celEnv({ funcs: strings });
const buf: Engine = {
  name: "@bufbuild/cel",
  input: toCel(pod, true),
  compile(expression) {
    const run = bufPlan(bufEnv, bufParse(expression));
    return (vars) => {
      const result = run(vars as never);
      if (isCelError(result)) throw new Error(result.message);
      return result;
    };
  },
};

const marcEnv = new Environment({ unlistedVariablesAreDyn: true, enableOptionalTypes: true, homogeneousAggregateLiterals: false });
const marc: Engine = {
  name: "@marcbachmann/cel-js",
  input: toCel(pod, false),
  compile(expression) {
    const run = marcEnv.parse(expression);
    return (vars): unknown => run(vars) as unknown;
  },
};

const ITERATIONS = 2000;
for (const engine of [buf, marc]) {
  let compileMs = 0;
  let evalMs = 0;
  const wrong: string[] = [];
  for (const [expression, expected] of cases) {
    let fn: ((vars: { object: unknown }) => unknown) | undefined;
    try {
      const t0 = performance.now();
      for (let i = 0; i < 50; i++) fn = engine.compile(expression);
      compileMs += (performance.now() - t0) / 50;
    } catch (error) {
      wrong.push(`${expression}: compile error ${(error as Error).message.split("\n")[0]}`);
      continue;
    }
    try {
      const got = normalize(fn!({ object: engine.input }));
      if (JSON.stringify(got) !== JSON.stringify(expected)) wrong.push(`${expression}: got ${JSON.stringify(got)}`);
      const t0 = performance.now();
      for (let i = 0; i < ITERATIONS; i++) fn!({ object: engine.input });
      evalMs += (performance.now() - t0) / ITERATIONS;
    } catch (error) {
      wrong.push(`${expression}: eval error ${(error as Error).message.split("\n")[0]}`);
    }
  }
  console.log(`${engine.name}: ${cases.length - wrong.length}/${cases.length} correct; compile ${(compileMs * 1000).toFixed(1)} µs total, eval ${(evalMs * 1000).toFixed(1)} µs total (all ${cases.length} expressions)`);
  for (const w of wrong) console.log(`  wrong: ${w}`);
}
