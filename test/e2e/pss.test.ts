// The PSS library's exported VAPs on the real apiserver: for a few hundred of
// the differential test's random pods, at two PSS versions and both levels,
// in-tree PodSecurity (a namespace labelled enforce=<level>, enforce-version),
// `podgate export vap -l pss-…@<version>` applied as ValidatingAdmissionPolicies
// (their bindings scoped to a namespace of their own), the oracle
// (k8s.io/pod-security-admission, test/pss/oracle) and podgate's library as the
// webhook runs it all admit and deny the same pods. Server-side dry runs:
// admission runs, nothing is stored.
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { apiError, core, kubectl, namespace, poll, pooled } from "./support/cluster.ts";
import { randomPod } from "../pss/generate.ts";
import { Library, type OracleResult } from "../pss/judge.ts";

const REPO = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
const PODS = 400;
const SEED = 17;
/** latest, and a version before the host-probes check, the hostUsers relaxations and the tcp_rmem sysctls. */
const CONFIGS = [
  { level: "baseline", version: "latest" },
  { level: "restricted", version: "latest" },
  { level: "baseline", version: "v1.30" },
  { level: "restricted", version: "v1.30" },
] as const;
const SCOPE_LABEL = "e2e.podgate.dev/pss-vap";

type Outcome = "allowed" | "denied" | "invalid";
interface Config {
  readonly level: "baseline" | "restricted";
  readonly version: string;
  readonly id: string;
  podSecurityNamespace: string;
  vapNamespace: string;
  objects: Record<string, unknown>[];
}
const configs: Config[] = CONFIGS.map((c) => ({ ...c, id: `${c.level}-${c.version.replace(".", "-")}`, podSecurityNamespace: "", vapNamespace: "", objects: [] }));

function oracle(pods: readonly Record<string, unknown>[]): Promise<OracleResult[]> {
  const build = spawnSync(join(REPO, "test/pss/build.sh"), [], { stdio: ["ignore", "inherit", "inherit"] });
  assert.equal(build.status, 0, "test/pss/build.sh failed");
  return new Promise((resolvePromise, reject) => {
    const child = spawn(join(process.env["PODGATE_PSS_BIN"] ?? join(REPO, ".cache/pss"), "oracle"), ["eval"], { stdio: ["pipe", "pipe", "inherit"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolvePromise(Buffer.concat(chunks).toString("utf8").trim().split("\n").map((l) => JSON.parse(l) as OracleResult)) : reject(new Error(`oracle exited ${code}`))));
    child.stdin.end(pods.map((pod, id) => JSON.stringify({ id, pod })).join("\n") + "\n");
  });
}

/** What admission made of a server-side dry-run create, and who said no. */
async function dryRun(ns: string, pod: Record<string, unknown>): Promise<{ outcome: Outcome; message: string }> {
  try {
    await core.createNamespacedPod({ namespace: ns, body: { ...pod, metadata: { ...(pod["metadata"] as object), namespace: ns } }, dryRun: "All" });
    return { outcome: "allowed", message: "" };
  } catch (error) {
    const { code, message } = apiError(error);
    if (code === 422) return { outcome: "invalid", message };
    if (code === 403) return { outcome: "denied", message };
    throw new Error(`dry-run create in ${ns}: HTTP ${code}: ${message}`, { cause: error });
  }
}

async function label(ns: string, labels: Record<string, string>): Promise<void> {
  const result = await kubectl(["label", "namespace", ns, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  assert.equal(result.code, 0, result.stderr);
}

const app = (securityContext: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({ name: "app", image: "registry.k8s.io/pause", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, ...securityContext }, ...extra });
const restricted = (name: string, spec: Record<string, unknown>, container = app()) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name },
  spec: { ...spec, securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" }, ...(spec["securityContext"] as object) }, containers: [container] },
});
/** Pods whose verdict changed between v1.30 and latest, so both versions are seen to differ where upstream's do. */
const CHANGED_SINCE_1_30 = [
  restricted("probe-host", {}, app({}, { livenessProbe: { httpGet: { port: 8080, host: "10.0.0.1" } } })),
  restricted("user-namespace-root", { hostUsers: false, securityContext: { runAsNonRoot: false, runAsUser: 0 } }),
  restricted("user-namespace-proc", { hostUsers: false }, app({ procMount: "Unmasked" })),
  restricted("tcp-buffers", { securityContext: { sysctls: [{ name: "net.ipv4.tcp_rmem", value: "4096 87380 16777216" }] } }),
  restricted("selinux-engine", { securityContext: { seLinuxOptions: { type: "container_engine_t" } } }),
];
// Mostly pods that start out restricted (most of them then pass the apiserver's validation), no ephemeral containers (refused on create).
const pods = [...CHANGED_SINCE_1_30, ...Array.from({ length: PODS - CHANGED_SINCE_1_30.length }, (_, i) => randomPod(SEED, i, { compliantShare: 0.8, ephemeral: false }))];

before(async () => {
  for (const config of configs) {
    config.podSecurityNamespace = await namespace(`e2e-pss-${config.id}`, { inject: false });
    await label(config.podSecurityNamespace, { "pod-security.kubernetes.io/enforce": config.level, "pod-security.kubernetes.io/enforce-version": config.version });
    config.vapNamespace = await namespace(`e2e-vap-${config.id}`, { inject: false });
    await label(config.vapNamespace, { [SCOPE_LABEL]: config.id });
    const sets = config.level === "baseline" ? ["pss-baseline"] : ["pss-baseline", "pss-restricted"];
    const { stdout } = await run(process.execPath, [join(REPO, "bin/podgate.js"), "export", "vap", "-l", ...sets.map((s) => `${s}@${config.version}`)], { cwd: REPO });
    // One copy of the library per configuration: names suffixed, each binding scoped to its namespace.
    config.objects = parseAllDocuments(stdout).map((d) => d.toJS() as Record<string, any>).map((o) => {
      const name = `${o["metadata"].name}-${config.id}`;
      if (o["kind"] === "ValidatingAdmissionPolicy") return { ...o, metadata: { ...o["metadata"], name } };
      return { ...o, metadata: { ...o["metadata"], name }, spec: { ...o["spec"], policyName: `${o["spec"].policyName}-${config.id}`, matchResources: { namespaceSelector: { matchLabels: { [SCOPE_LABEL]: config.id } } } } };
    });
    const applied = await kubectl(["apply", "-f", "-"], config.objects.map((o) => JSON.stringify(o)).join("\n"));
    assert.equal(applied.code, 0, applied.stderr);
  }
  // The policies are in force once a pod that only breaks host namespaces is denied by them in every VAP namespace.
  const probe = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "probe" },
    spec: {
      hostNetwork: true,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      containers: [{ name: "c", image: "registry.k8s.io/pause", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
    },
  };
  for (const config of configs) {
    let last = "";
    await poll(`the VAPs of ${config.id} in force`, 60_000, async () => new RegExp(`ValidatingAdmissionPolicy 'podgate-pss-[a-z-]*-${config.id}' .*pss-baseline-host-namespaces: `).test((last = (await dryRun(config.vapNamespace, probe)).message))).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; the probe pod's last answer: ${last || "allowed"}`, { cause: error });
    });
  }
});

after(async () => {
  for (const config of configs) if (config.objects.length > 0) await kubectl(["delete", "--ignore-not-found", "-f", "-"], config.objects.map((o) => JSON.stringify(o)).join("\n"));
});

test(`the exported VAPs, in-tree PodSecurity, the oracle and podgate's library agree on ${PODS} pods (random, seed ${SEED}, and ${CHANGED_SINCE_1_30.length} whose verdict changed since v1.30), baseline and restricted, latest and v1.30`, async () => {
  const verdicts = await oracle(pods);
  assert.equal(verdicts.length, PODS);
  const library = new Library(36);
  const problems: string[] = [];
  const counts: string[] = [];
  for (const config of configs) {
    const minor = config.version === "latest" ? library.versions - 1 : Number(config.version.slice(3));
    const inTree = await pooled(pods, 6, (pod) => dryRun(config.podSecurityNamespace, pod));
    const vap = await pooled(pods, 6, (pod) => dryRun(config.vapNamespace, pod));
    let valid = 0;
    let denied = 0;
    pods.forEach((pod, i) => {
      const name = (pod["metadata"] as { name: string }).name;
      const a = inTree[i]!;
      const b = vap[i]!;
      // Validation runs before validating admission: an invalid pod never reaches PodSecurity or a VAP.
      if (a.outcome === "invalid" || b.outcome === "invalid") {
        if (a.outcome !== b.outcome) problems.push(`${config.id} ${name}: invalid in one namespace only: PodSecurity ${a.outcome} (${a.message}); VAP ${b.outcome} (${b.message})`);
        return;
      }
      valid++;
      const upstream = verdicts[i]!.levels![config.level][minor] === "X";
      const podgate = library.verdicts(verdicts[i]!.pod!).levels[config.level][minor] === "X";
      if (upstream) denied++;
      if (a.outcome === "denied" && !/violates PodSecurity/.test(a.message)) problems.push(`${config.id} ${name}: denied by something else than PodSecurity: ${a.message}`);
      if (b.outcome === "denied" && !/ValidatingAdmissionPolicy 'podgate-pss-/.test(b.message)) problems.push(`${config.id} ${name}: denied by something else than the exported VAPs: ${b.message}`);
      const said = { podSecurity: a.outcome === "denied", vap: b.outcome === "denied", oracle: upstream, podgate };
      if (new Set(Object.values(said)).size > 1) problems.push(`${config.id} ${name}: ${JSON.stringify(said)}; PodSecurity: ${a.message || "allowed"}; VAP: ${b.message || "allowed"}; pod: ${JSON.stringify(pod)}`);
    });
    counts.push(`${config.id}: ${valid} valid pods, ${denied} denied`);
    if (config.version === "v1.30") {
      const latest = verdicts.filter((v) => v.levels![config.level][library.versions - 1] !== v.levels![config.level][minor]).length;
      assert.ok(latest > 0, `${config.id}: no pod's verdict differs from latest; the sample does not tell the versions apart`);
    }
    assert.ok(valid >= 100, `${config.id}: only ${valid} of ${PODS} pods passed validation; the sample is too small`);
  }
  process.stderr.write(`pss e2e: ${counts.join("; ")}; ${problems.length} disagreements\n`);
  assert.deepEqual(problems, []);
});
