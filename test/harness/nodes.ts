// Fake kwok nodes: the annotation kwok.x-k8s.io/node=fake makes kwok manage
// them (heartbeats, leases, pods Running with IPs). Capacity and allocatable
// are set at create and kept by kwok's node-initialize stage.
import type { V1Node } from "@kubernetes/client-node";

export interface FakeNodeSpec {
  readonly name: string;
  readonly zone: string;
  readonly cpu: string;
  readonly memory: string;
  readonly pods?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly { key: string; value?: string; effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute" }[];
}

export const FAKE_NODE_LABEL = { key: "type", value: "kwok" } as const;
export const TAINT_KEY = "podgate.dev/dedicated";

/** The e2e set: varied sizes over three zones, one tainted, one tiny. */
export const E2E_NODES: readonly FakeNodeSpec[] = [
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
