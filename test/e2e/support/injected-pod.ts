// The demo pod asking for podgate's sidecar, created with kubectl on the real
// node in a namespace the harness's own podgate does not inject into, so only
// a podgate deployed in the cluster can have injected it.
import assert from "node:assert/strict";
import type { V1Pod } from "@kubernetes/client-node";
import { demoPod, type RealNodeEnvironment } from "../../harness/demo-pod.ts";
import { isReady, kubectl, namespace, poll, readPod, SIDECAR } from "./cluster.ts";

/** Creates it and waits until it is Ready, with podgate's sidecar after its init container. */
export async function injectedDemoPod(prefix: string, real: RealNodeEnvironment): Promise<{ namespace: string; pod: V1Pod }> {
  const ns = await namespace(prefix, { inject: false });
  const pod = demoPod("injected", ns, real);
  pod.metadata!.annotations = { ...pod.metadata!.annotations, "sidecar.podgate.io/inject": "true" };
  const applied = await kubectl(["apply", "-f", "-"], JSON.stringify(pod));
  assert.equal(applied.code, 0, applied.stderr);
  const ready = await poll("the injected pod Ready", 60_000, async () => {
    const p = await readPod("injected", ns);
    return isReady(p) ? p : undefined;
  });
  assert.deepEqual(ready.spec?.initContainers?.map((c) => c.name), ["init", SIDECAR]);
  assert.equal(ready.spec?.nodeName, real.name);
  return { namespace: ns, pod: ready };
}
