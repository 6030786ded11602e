// Test helpers: plugin frameworks from config, and small pods and nodes.
import { ModuleLoader } from "../../../src/toolkit/modules.ts";
import { readFileSync } from "node:fs";
import { registry } from "../../../src/wiring.ts";
import { extenderSection, type ExtenderConfig } from "../../../extender/config.ts";
import { podInfo } from "../../../extender/framework.ts";
import { nodeInfo, NodeUsage, type NodeInfo } from "../../../extender/nodeinfo.ts";
import type { PodInfo } from "../../../extender/plugins/plugin.ts";
import { node as nodeSchema, pod as podSchema } from "../../../extender/wire.ts";

export const fixture = (name: string): any => JSON.parse(readFileSync(new URL(`../../fixtures/extender/${name}`, import.meta.url), "utf8"));

export function section(raw: Record<string, unknown> = {}): ExtenderConfig {
  return extenderSection(registry.plugins).schema({ baseDir: process.cwd(), modules: new ModuleLoader() }).parse(raw);
}

export function makePod(options: { namespace?: string; cpu?: string; memory?: string; owner?: string; annotations?: Record<string, string>; sidecarCpu?: string; uid?: string } = {}): PodInfo {
  const requests = (cpu?: string, memory?: string) => ({ ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) });
  return podInfo(
    podSchema.parse({
      metadata: {
        name: "p",
        namespace: options.namespace ?? "default",
        uid: options.uid ?? "pod-uid",
        ...(options.annotations ? { annotations: options.annotations } : {}),
        ...(options.owner ? { ownerReferences: [{ uid: options.owner, controller: true }] } : {}),
      },
      spec: {
        containers: [{ name: "app", resources: { requests: requests(options.cpu ?? "100m", options.memory ?? "128Mi") } }],
        ...(options.sidecarCpu ? { initContainers: [{ name: "proxy", restartPolicy: "Always", resources: { requests: { cpu: options.sidecarCpu } } }] } : {}),
      },
    }),
  );
}

export interface NodeSpec {
  name: string;
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: { key: string; value?: string; effect: string }[];
  /** Pods already on the node: [uid, cpu cores, memory bytes, owner?]. */
  running?: [string, number, number, string?][];
}

export function makeNode(spec: NodeSpec): NodeInfo {
  const usage = new NodeUsage();
  for (const [uid, cpu, memory, owner] of spec.running ?? []) {
    usage.add({ uid, namespace: "default", name: uid, nodeName: spec.name, requests: { cpu, memory }, priority: 0, owner });
  }
  return nodeInfo(
    nodeSchema.parse({
      metadata: { name: spec.name, labels: spec.labels ?? {} },
      spec: { taints: spec.taints ?? [] },
      status: { allocatable: { cpu: spec.cpu ?? "4", memory: spec.memory ?? "8Gi", pods: spec.pods ?? "110" } },
    }),
    usage,
  );
}

export const GiB = 2 ** 30;
