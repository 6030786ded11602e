// Node rules the built-in scheduler lacks: labels a namespace's pods must
// (hard) or should (soft) find on a node, whatever the pod spec says, and
// taints that reserve nodes for namespaces — a toleration in the pod spec
// does not grant access to a reserved node.
import { z } from "zod";
import type { NodeInfo } from "../nodeinfo.ts";
import { definePlugin, MAX_NODE_SCORE, type PodInfo, type Rejection } from "./plugin.ts";

/** "team-a" matches exactly; "team-*" matches by prefix; "*" matches every namespace. */
const namespacePattern = z.string().regex(/^(\*|[a-z0-9][-a-z0-9]*\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/, "expected a namespace name, optionally ending in *");

export const nodeRulesSettings = z.strictObject({
  rules: z
    .array(
      z.strictObject({
        namespaces: z.array(namespacePattern).min(1),
        requiredLabels: z.record(z.string().min(1), z.string()).default({}),
        preferredLabels: z.array(z.strictObject({ labels: z.record(z.string().min(1), z.string()), weight: z.number().int().min(1).max(100) })).default([]),
      }),
    )
    .default([]),
  reservedTaints: z
    .array(z.strictObject({ key: z.string().min(1), value: z.string().optional(), namespaces: z.array(namespacePattern).min(1) }))
    .default([]),
});
export type NodeRulesSettings = z.infer<typeof nodeRulesSettings>;

export function namespaceMatches(patterns: readonly string[], namespace: string): boolean {
  return patterns.some((p) => p === namespace || p === "*" || (p.endsWith("*") && namespace.startsWith(p.slice(0, -1))));
}

const hasLabels = (node: NodeInfo, labels: Readonly<Record<string, string>>) => Object.entries(labels).every(([k, v]) => node.labels[k] === v);
const show = (labels: Readonly<Record<string, string>>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");

export function nodeRulesFilter(settings: NodeRulesSettings, pod: PodInfo, node: NodeInfo): Rejection | undefined {
  for (const reserved of settings.reservedTaints) {
    const taint = node.taints.find((t) => t.key === reserved.key && (reserved.value === undefined || t.value === reserved.value));
    if (taint && !namespaceMatches(reserved.namespaces, pod.namespace)) {
      return {
        reason: `node is reserved for namespaces ${reserved.namespaces.join(",")} by taint ${taint.key}${taint.value ? `=${taint.value}` : ""} (podgate rule; a toleration does not grant access)`,
        unresolvable: true,
      };
    }
  }
  for (const rule of settings.rules) {
    if (!namespaceMatches(rule.namespaces, pod.namespace)) continue;
    const missing = Object.entries(rule.requiredLabels).filter(([k, v]) => node.labels[k] !== v);
    if (missing.length > 0) {
      return { reason: `node lacks label ${show(Object.fromEntries(missing))} required for namespace ${pod.namespace} (podgate rule)`, unresolvable: true };
    }
  }
  return undefined;
}

/** Share of the matching rules' preferred-label weight that the node satisfies; nodes score 0 when no preference applies. */
export function nodeRulesScore(settings: NodeRulesSettings, pod: PodInfo, node: NodeInfo): number {
  let total = 0;
  let matched = 0;
  for (const rule of settings.rules) {
    if (!namespaceMatches(rule.namespaces, pod.namespace)) continue;
    for (const preference of rule.preferredLabels) {
      total += preference.weight;
      if (hasLabels(node, preference.labels)) matched += preference.weight;
    }
  }
  return total === 0 ? 0 : (matched * MAX_NODE_SCORE) / total;
}

export const nodeRules = definePlugin({
  name: "node-rules",
  description: "per-namespace required (filter) and preferred (score) node labels; taints that reserve nodes for namespaces",
  settings: nodeRulesSettings,
  create: (settings: NodeRulesSettings) => ({
    filter: (pod: PodInfo, node: NodeInfo) => nodeRulesFilter(settings, pod, node),
    score: (pod: PodInfo, node: NodeInfo) => nodeRulesScore(settings, pod, node),
  }),
});
