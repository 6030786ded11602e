#!/usr/bin/env node
// Written in syntax every Node still in use parses (no top-level await, no
// optional chaining): on a Node older than podgate needs, the user gets one
// line saying which version to install, not a stack trace from deeper code.
import { existsSync } from "node:fs";
import process from "node:process";
import { URL } from "node:url";

var NEEDS = [22, 18];
var have = process.versions.node.split(".").map(Number);
if (have[0] < NEEDS[0] || (have[0] === NEEDS[0] && have[1] < NEEDS[1])) {
  process.stderr.write("podgate: needs Node.js " + NEEDS.join(".") + " or newer (22 or 24 LTS); this is Node.js " + process.versions.node + "\n");
  process.exit(2);
}

// The build (dist/): what the published package ships, and what `npm ci` and
// `npm run build` make in the repository; it needs no type stripping (~28 MB
// less memory). In a checkout without a build, Node 24 runs the sources.
var built = new URL("../dist/src/cli.js", import.meta.url);
void import(existsSync(built) ? built.href : "../src/cli.ts");
