// Fake kwok nodes: the annotation kwok.x-k8s.io/node=fake makes kwok manage
// them (heartbeats, leases, pods Running with IPs). Capacity and allocatable
// are set at create and kept by kwok's node-initialize stage.
import type { V1Node } from "@kubernetes/client-node";
import { z } from "zod";

export const fakeNodeSpec = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "a DNS subdomain: lowercase letters, digits, '-' and '.'"),
  zone: z.string().min(1),
  cpu: z.string().min(1),
  memory: z.string().min(1),
  pods: z.number().int().positive().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  taints: z.array(z.strictObject({ key: z.string().min(1), value: z.string().optional(), effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]) })).optional(),
});
export type FakeNodeSpec = z.infer<typeof fakeNodeSpec>;

export const FAKE_NODE_LABEL = { key: "type", value: "kwok" } as const;
export const TAINT_KEY = "podgate.dev/dedicated";

/** The default set (podgate's own e2e uses it too): varied sizes over three zones, one tainted. */
export const DEFAULT_NODES: readonly FakeNodeSpec[] = [
  { name: "kwok-large-a", zone: "zone-a", cpu: "16", memory: "64Gi", labels: { "podgate.dev/pool": "general", "disk": "ssd" } },
  { name: "kwok-medium-a", zone: "zone-a", cpu: "8", memory: "32Gi", labels: { "podgate.dev/pool": "general" } },
  { name: "kwok-medium-b", zone: "zone-b", cpu: "8", memory: "16Gi", labels: { "podgate.dev/pool": "general", "disk": "ssd" } },
  { name: "kwok-small-b", zone: "zone-b", cpu: "2", memory: "4Gi", labels: { "podgate.dev/pool": "general" } },
  { name: "kwok-small-c", zone: "zone-c", cpu: "2", memory: "8Gi", labels: { "podgate.dev/pool": "batch" } },
  { name: "kwok-special-c", zone: "zone-c", cpu: "32", memory: "128Gi", labels: { "podgate.dev/pool": "special" }, taints: [{ key: TAINT_KEY, value: "special", effect: "NoSchedule" }] },
];

/** count uniform nodes over `zones` zones, for throughput runs. */
export function uniformNodes(count: number, zones = 3): FakeNodeSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `kwok-bench-${String(i).padStart(4, "0")}`,
    zone: `zone-${String.fromCharCode(97 + (i % zones))}`,
    cpu: "32",
    memory: "128Gi",
    pods: 250,
  }));
}

export function nodeObject(spec: FakeNodeSpec): V1Node {
  const resources = { cpu: spec.cpu, memory: spec.memory, pods: String(spec.pods ?? 110) };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: spec.name,
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: {
        [FAKE_NODE_LABEL.key]: FAKE_NODE_LABEL.value,
        "kubernetes.io/hostname": spec.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "topology.kubernetes.io/zone": spec.zone,
        ...spec.labels,
      },
    },
    spec: { taints: spec.taints?.map((t) => ({ ...t })) ?? [] },
    status: { allocatable: resources, capacity: resources },
  };
}
