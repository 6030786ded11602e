// A full podgate session with debug logging — serve with generated
// certificates, certs generate (and its dry run), admission reviews of
// Secrets, bad reviews, extender calls, and (when a control plane is built)
// certs bootstrap against a real apiserver — then every line of output and
// the metrics are searched for private keys and Secret contents.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { LOG_FLUSH_INTERVAL_MS } from "../../src/server/logger.ts";
import { post } from "../../src/harness/https.ts";
import { controlPlaneBin, startControlPlane, type ControlPlane } from "../reliability/apiserver.ts";
import { startPodgate, type Podgate } from "../reliability/podgate.ts";
import { podgateConfig } from "../reliability/scenarios.ts";

const run = promisify(execFile);
const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;
const SECRET_VALUE = "hunter2-very-secret-value";
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8")) as Record<string, any>;

let dir: string;
let podgate: Podgate;
const output: string[] = [];

/** What must never appear: PEM private keys, any line of a key's base64 body, and the Secret's data plain or encoded. */
async function forbidden(keyFiles: string[]): Promise<string[]> {
  const needles = ["PRIVATE KEY", SECRET_VALUE, Buffer.from(SECRET_VALUE).toString("base64")];
  for (const file of keyFiles) {
    const pem = await readFile(file, "utf8");
    needles.push(...pem.split("\n").filter((line) => line.length >= 40 && !line.startsWith("-----")));
  }
  return needles;
}

async function podgateCommand(...args: string[]): Promise<void> {
  const result = await run(process.execPath, [CLI, ...args]).catch((error: { stdout?: string; stderr?: string }) => error);
  output.push(result.stdout ?? "", result.stderr ?? "");
}

function secretReview(uid: string, data: unknown) {
  const review = fixture("admission/create-pod.json");
  review["request"].uid = uid;
  review["request"].kind = { group: "", version: "v1", kind: "Secret" };
  review["request"].resource = { group: "", version: "v1", resource: "secrets" };
  review["request"].object = { apiVersion: "v1", kind: "Secret", metadata: { name: "db", namespace: "shop" }, type: "Opaque", data, stringData: { password: SECRET_VALUE } };
  return review;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "podgate-secrets-"));
  podgate = await startPodgate({ dir, config: podgateConfig(dir, { logLevel: "trace" }) });
});
after(async () => {
  await podgate.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("no private key or Secret content reaches logs or metrics", () => {
  let plane: ControlPlane | undefined;
  after(() => plane?.stop());

  it("in a full session", async () => {
    const secret = Buffer.from(SECRET_VALUE).toString("base64");
    const url = (path: string) => new URL(path, podgate.url).href;
    // Reviews of Secrets, well-formed and not, through every chain.
    for (const path of ["/mutate", "/validate", "/mutate/sidecar", "/mutate/defaults", "/validate/policy"]) {
      await post(url(path), podgate.ca, secretReview("s-1", { password: secret }));
      await post(url(path), podgate.ca, secretReview("s-2", { password: 12345, token: { nested: SECRET_VALUE } }));
      await post(url(path), podgate.ca, { ...secretReview("s-3", { password: secret }), kind: SECRET_VALUE });
      await post(url(path), podgate.ca, JSON.stringify(secretReview("s-4", { password: secret })).slice(0, -5));
      await post(url(path), podgate.ca, fixture("admission/create-pod.json"));
    }
    // A pod whose env carries the secret value, and extender calls with it deep inside bad values
    // (podgate may echo the start of a bad value to say which one, never all of it).
    const hidden = `${"x".repeat(50)}${SECRET_VALUE}`;
    const pod = fixture("admission/create-pod.json");
    pod["request"].object.spec.containers[0].env = [{ name: "PASSWORD", value: SECRET_VALUE }];
    await post(url("/mutate"), podgate.ca, pod);
    const filter = fixture("extender/filter-nodelist.json");
    await post(url("/extender/filter"), podgate.ca, filter);
    await post(url("/extender/filter"), podgate.ca, { ...filter, Pod: { metadata: { name: "p" }, spec: { containers: [{ resources: { requests: { cpu: hidden, memory: [hidden] } } }] } } });
    await post(url("/extender/bind"), podgate.ca, { PodName: "p", PodNamespace: "n", PodUID: 7, Node: hidden });

    const certs = join(dir, "generated");
    await podgateCommand("certs", "generate", "--out", certs, "--hosts", "localhost,127.0.0.1", "--dry-run");
    await podgateCommand("certs", "generate", "--out", certs, "--hosts", "localhost,127.0.0.1");
    await podgateCommand("certs", "generate", "--out", certs, "--hosts", "localhost,127.0.0.1,podgate.example");
    await podgateCommand("certs", "generate", "--out", certs, "--hosts", "localhost", "--ca-validity-days", "1", "--serving-validity-days", "2");

    const keyFiles = [join(podgate.tlsDir, "tls.key"), join(podgate.tlsDir, "ca.key"), ...(await readdir(certs)).filter((f) => f.endsWith(".key")).map((f) => join(certs, f))];
    const bin = controlPlaneBin();
    if (bin) {
      plane = await startControlPlane(bin, join(dir, "controlplane"));
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(plane.kubeconfig);
      const api = kubeConfig.makeApiClient(CoreV1Api);
      await api.createNamespace({ body: { metadata: { name: "podgate" } } });
      await podgateCommand("certs", "bootstrap", "--kubeconfig", plane.kubeconfig, "--dry-run");
      await podgateCommand("certs", "bootstrap", "--kubeconfig", plane.kubeconfig, "--mutating-webhook-config", "", "--validating-webhook-config", "");
      await podgateCommand("certs", "bootstrap", "--kubeconfig", plane.kubeconfig, "--mutating-webhook-config", "", "--validating-webhook-config", "", "--dry-run");
      const stored = await api.readNamespacedSecret({ namespace: "podgate", name: "podgate-tls" });
      assert.ok(stored.data?.["tls.key"], "bootstrap stored a key");
      // The keys bootstrap stored in the Secret are searched for too.
      for (const [name, value] of Object.entries(stored.data ?? {}).filter(([n]) => n.endsWith(".key"))) {
        await writeFile(join(dir, `stored-${name}`), Buffer.from(value, "base64"));
        keyFiles.push(join(dir, `stored-${name}`));
      }
    } else {
      console.log("# certs bootstrap skipped: no control plane binaries (controlplane/build.sh or PODGATE_CP_BIN)");
    }

    const metrics = await (await fetch(podgate.metricsUrl!)).text();
    await sleep(2 * LOG_FLUSH_INTERVAL_MS); // podgate writes its buffered log lines at least this often
    const everything = [...podgate.logs, ...output, metrics].join("\n");
    assert.ok(podgate.logs.some((l) => l.includes('"uid":"s-1"')), "the reviews were logged");
    assert.ok(output.some((o) => o.includes("new serving certificate")), "the certs commands ran and reported");
    for (const needle of await forbidden(keyFiles)) {
      const at = everything.indexOf(needle);
      assert.equal(at, -1, `found ${JSON.stringify(needle.slice(0, 30))}… in the output: ${everything.slice(Math.max(0, at - 200), at + 50)}`);
    }
  });
});
