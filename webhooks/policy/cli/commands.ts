// The policy webhook's CLI commands, registered with the registry as a
// program registers its own: `podgate test`, `podgate apply`, `podgate export vap|map`.
import type { CliCommand } from "../../../src/toolkit/registry.ts";
import { applyCommand } from "./apply.ts";
import { mapCommand } from "./export-map.ts";
import { vapCommand } from "./export-vap.ts";
import { testCommand } from "./test.ts";

export const policyCommands: readonly CliCommand[] = [{ make: testCommand }, { make: applyCommand }, { parent: "export", make: vapCommand }, { parent: "export", make: mapCommand }];
