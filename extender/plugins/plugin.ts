// The plugin interfaces, modelled on the scheduling framework: Filter and
// Score (+ NormalizeScore), with a per-call state for precomputation.
import type { z } from "zod";
import { DEFINITION } from "../../src/toolkit/definition-kind.ts";
import type { NodeInfo, Resources } from "../nodeinfo.ts";
import type { Pod } from "../wire.ts";

/** The pod being scheduled, with what every plugin needs computed once per call. */
export interface PodInfo {
  readonly pod: Pod;
  readonly namespace: string;
  readonly name: string;
  readonly requests: { readonly total: Resources; readonly overhead: Resources };
  readonly owner: string | undefined;
}

/** Per-call scratch space shared by the plugins of one call (CycleState). */
export type CycleState = Map<string, unknown>;

/** Unschedulable: preemption might help. Unresolvable: it cannot (wrong labels, reserved taint). */
export interface Rejection {
  readonly reason: string;
  readonly unresolvable?: boolean;
}

export interface FilterPlugin {
  /** Undefined when the node passes. */
  filter(pod: PodInfo, node: NodeInfo, state: CycleState): Rejection | undefined;
}

/** Scores are 0..MAX_NODE_SCORE; normalize may rescale them in place, over all nodes of the call. */
export interface ScorePlugin {
  preScore?(pod: PodInfo, nodes: readonly NodeInfo[], state: CycleState): void;
  score(pod: PodInfo, node: NodeInfo, state: CycleState): number;
  normalize?(scores: number[], state: CycleState): void;
}

export const MAX_NODE_SCORE = 100;

export type Plugin = Partial<FilterPlugin> & Partial<ScorePlugin>;

/** A kind of plugin the config can enable by name, with its settings schema (create gets the parsed settings). */
export interface PluginType<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly settings: S;
  create(settings: z.output<S>): Plugin;
}

/**
 * Checks create's parameter against the settings schema, then forgets the
 * schema's type for the registry; the mark lets the module loader tell a
 * plugin from a webhook.
 */
export function definePlugin<S extends z.ZodType>(type: PluginType<S>): PluginType {
  return { ...type, [DEFINITION]: "plugin" } as PluginType;
}

/** Rescales scores so the best node gets MAX_NODE_SCORE (DefaultNormalizeScore); all-zero stays zero. */
export function normalizeToMax(scores: number[], reverse = false): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  for (let i = 0; i < scores.length; i++) {
    const scaled = max === 0 ? 0 : ((scores[i] ?? 0) * MAX_NODE_SCORE) / max;
    scores[i] = reverse ? MAX_NODE_SCORE - scaled : scaled;
  }
  if (reverse && max === 0) scores.fill(MAX_NODE_SCORE);
}
