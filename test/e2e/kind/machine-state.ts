// The offline kind run's guard (run.sh): `save FILE` before the private
// dockerd starts, `check FILE` after it stopped; check names every line the
// run left behind or removed and exits 1.
import { readFileSync, writeFileSync } from "node:fs";
import { diffMachineState, readMachineState, type MachineState } from "../../../src/harness/machine-state.ts";

const MARKER = "/run/podgate-docker";
const [command, file] = process.argv.slice(2);
if ((command !== "save" && command !== "check") || !file) {
  console.error("usage: machine-state.ts save|check FILE");
  process.exit(2);
}
const now = await readMachineState(MARKER);
if (command === "save") {
  writeFileSync(file, JSON.stringify(now));
} else {
  const differences = diffMachineState(JSON.parse(readFileSync(file, "utf8")) as MachineState, now);
  if (differences.length > 0) {
    console.error(`[kind] the machine differs from before the run:\n  ${differences.join("\n  ")}`);
    process.exit(1);
  }
  console.error("[kind] the machine is as it was before the run (iptables, links, routes, mounts, cgroups, sysctls, paths, processes)");
}
