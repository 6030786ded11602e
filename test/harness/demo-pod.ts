// The seeds' demo pod for the real node: an init container, an app with an
// HTTP readiness probe; podgate's sidecar webhook adds the log-shipper as a
// native sidecar (the pod asks for it, with the image built for the node).
// Shared by test/e2e/realnode.test.ts and bench/realnode.ts.
import type { V1Pod } from "@kubernetes/client-node";
import type { E2eEnvironment } from "./env.ts";

export type RealNodeEnvironment = NonNullable<E2eEnvironment["realNode"]>;

/** On the real node by default; `onRealNode: false` leaves placement to the scheduler (kwok nodes). */
export function demoPod(name: string, namespace: string, real: RealNodeEnvironment, options: { onRealNode?: boolean } = {}): V1Pod {
  const onRealNode = options.onRealNode ?? true;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace,
      annotations: {
        "sidecar.podgate.io/native": "true",
        "sidecar.podgate.io/image": real.images.logShipper,
      },
    },
    spec: {
      terminationGracePeriodSeconds: 1,
      // the node's resolv.conf, which names no nameserver (no cluster DNS here)
      dnsPolicy: "Default",
      ...(onRealNode
        ? {
            nodeSelector: { [real.label.key]: real.label.value },
            tolerations: [{ key: real.taint.key, operator: "Equal", value: real.taint.value, effect: real.taint.effect }],
          }
        : {}),
      initContainers: [{ name: "init", image: real.images.app, imagePullPolicy: "Never", args: ["init"] }],
      containers: [
        {
          name: "app",
          image: real.images.app,
          imagePullPolicy: "Never",
          ports: [{ containerPort: 8080 }],
          readinessProbe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 1 },
        },
      ],
    },
  };
}
