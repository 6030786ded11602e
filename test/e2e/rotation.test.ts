// Flow step 6: podgate's serving certificate is rotated — first from the
// same CA, then to a new CA through the caBundle overlap — while pods are
// being created; not one admission fails.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connect } from "node:tls";
import { AdmissionregistrationV1Api } from "@kubernetes/client-node";
import { DirectoryStore } from "../../src/certs/directory.ts";
import { createCa, createServingCert } from "../../src/certs/generate.ts";
import { joinBundle } from "../../src/certs/inspect.ts";
import { WEBHOOK_CONFIG_NAME } from "../harness/podgate.ts";
import { SIDECAR, containerNames, core, env, kubeConfig, namespace, poll } from "./support/cluster.ts";
import { podgateLogText } from "../../src/harness/timeline.ts";

function servedSerial(url: string, ca: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ca, servername: hostname === "127.0.0.1" ? undefined : hostname }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.on("error", reject);
  });
}

async function patchCaBundle(bundle: string): Promise<void> {
  const api = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const caBundle = Buffer.from(bundle).toString("base64");
  const mutating = await api.readMutatingWebhookConfiguration({ name: WEBHOOK_CONFIG_NAME });
  for (const w of mutating.webhooks ?? []) w.clientConfig.caBundle = caBundle;
  await api.replaceMutatingWebhookConfiguration({ name: WEBHOOK_CONFIG_NAME, body: mutating });
  const validating = await api.readValidatingWebhookConfiguration({ name: WEBHOOK_CONFIG_NAME });
  for (const w of validating.webhooks ?? []) w.clientConfig.caBundle = caBundle;
  await api.replaceValidatingWebhookConfiguration({ name: WEBHOOK_CONFIG_NAME, body: validating });
}

test("rotating podgate's certificate (same CA, then a new CA via the bundle) during a burst of creates fails no admission", { skip: env.cluster === "local" && env.podgate ? false : "needs the local harness's podgate (its TLS dir and webhook configurations)" }, async () => {
  const podgate = env.podgate!;
  const ns = await namespace("e2e-rotation");
  const store = new DirectoryStore(podgate.tlsDir);
  const oldCa = { cert: await readFile(join(podgate.tlsDir, "ca.crt"), "utf8"), key: await readFile(join(podgate.tlsDir, "ca.key"), "utf8") };
  const hosts = ["localhost", "127.0.0.1"];
  const failures: string[] = [];
  let created = 0;
  let burst = true;
  // 4 concurrent creators until the rotations are done.
  const creators = Array.from({ length: 4 }, async (_, worker) => {
    for (let i = 0; burst; i++) {
      try {
        const pod = await core.createNamespacedPod({ namespace: ns, body: { metadata: { name: `burst-${worker}-${i}` }, spec: { schedulerName: "nobody", containers: [{ name: "app", image: "registry.k8s.io/pause:3.10" }] } } });
        if (!containerNames(pod).includes(SIDECAR)) failures.push(`${pod.metadata?.name}: not injected`);
        created++;
      } catch (error) {
        failures.push(`burst-${worker}-${i}: ${(error as Error).message}`);
      }
    }
  });
  const serial0 = await servedSerial(podgate.url, oldCa.cert);
  await sleep(1000);

  // 1. same CA: a new serving certificate in the TLS dir
  await store.write(createServingCert({ ca: oldCa, hosts }));
  const serial1 = await poll("podgate to serve the rotated certificate", 20_000, async () => {
    const s = await servedSerial(podgate.url, oldCa.cert);
    return s !== serial0 ? s : undefined;
  });
  await sleep(1000);

  // 2. a new CA: trust both first, then serve from the new one
  const newCa = createCa({ commonName: "podgate-e2e-rotated-ca" });
  const bundle = joinBundle([newCa.cert, oldCa.cert]);
  await patchCaBundle(bundle);
  await sleep(3000); // the apiserver picks webhook configuration changes up through its informer
  await store.write({ ...createServingCert({ ca: newCa, hosts }), ca: newCa.cert, caKey: newCa.key, bundle });
  await poll("podgate to serve the certificate from the new CA", 20_000, async () => {
    const s = await servedSerial(podgate.url, bundle).catch(() => undefined);
    return s !== undefined && s !== serial1 ? s : undefined;
  });
  await assert.rejects(servedSerial(podgate.url, oldCa.cert), "the old CA alone no longer verifies podgate");
  await sleep(1500);
  burst = false;
  await Promise.all(creators);

  process.stdout.write(`rotation: ${created} pods created during two rotations, ${failures.length} failed\n`);
  assert.deepEqual(failures, []);
  assert.ok(created >= 20, `a real burst (${created} creates)`);
  const log = await podgateLogText(podgate.logFile);
  assert.ok((log.match(/serving certificate reloaded/g) ?? []).length >= 2, "podgate reloaded twice without a restart");
});
