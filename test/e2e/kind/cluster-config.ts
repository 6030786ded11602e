// run.sh's kind config: podgate/harness's kindClusterConfig with the suite's
// three workers and its scheduler files.
//   node cluster-config.ts OUT OFFLINE(0|1) SCHEDULER_DIR
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { stringify } from "yaml";
import { kindClusterConfig } from "../../../src/harness/kind.ts";

const [out, offline, schedulerDir] = process.argv.slice(2);
if (!out || !schedulerDir || (offline !== "0" && offline !== "1")) {
  console.error("usage: cluster-config.ts OUT 0|1 SCHEDULER_DIR");
  process.exit(2);
}
writeFileSync(out, stringify(kindClusterConfig({ workers: 3, offline: offline === "1", schedulerDir: resolve(schedulerDir) })));
