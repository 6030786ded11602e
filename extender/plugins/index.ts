// The plugins the config can enable, by name.
import { balancedAllocation, leastAllocated } from "./allocation.ts";
import { nodeRules } from "./node-rules.ts";
import type { PluginType } from "./plugin.ts";
import { resourceFit } from "./resource-fit.ts";
import { zoneSpread } from "./zone-spread.ts";

export const pluginTypes: readonly PluginType[] = [resourceFit, nodeRules, leastAllocated, balancedAllocation, zoneSpread];
