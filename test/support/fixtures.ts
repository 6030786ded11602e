// Loading test fixtures by name from test/fixtures/.
import { readFileSync } from "node:fs";

export const FIXTURES = new URL("../fixtures/", import.meta.url);

export function fixture<T = any>(path: string): T {
  return JSON.parse(readFileSync(new URL(path, FIXTURES), "utf8")) as T;
}

/** An AdmissionReview fixture's request, for calling runners directly. */
export function reviewRequest(name: string) {
  return fixture(`admission/${name}.json`).request;
}
