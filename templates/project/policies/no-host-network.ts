// A policy in TypeScript: return nothing to pass, a message to deny.
import { definePolicy } from "podgate";

export default definePolicy({
  name: "no-host-network",
  validate: ({ object }) => (object?.spec?.hostNetwork ? "hostNetwork is not allowed" : undefined),
});
