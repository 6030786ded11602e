#!/usr/bin/env node
// The build (dist/, made by `npm install` and `npm run build`) when there is
// one: it needs no type stripping, ~28 MB less memory. Otherwise Node 24 runs
// the TypeScript sources directly.
import { existsSync } from "node:fs";
import { URL } from "node:url";

const built = new URL("../dist/src/cli.js", import.meta.url);
await import(existsSync(built) ? built.href : "../src/cli.ts");
