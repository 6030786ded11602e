// Fast paths that answer for a zod schema without its cost (the AdmissionReview
// envelope, the mutators' pod): the property both must hold, over edits of a
// real fixture at the paths the schema looks at (and a few it does not).
import assert from "node:assert/strict";
import fc from "fast-check";
import type { z } from "zod";

export type Path = readonly (string | number)[];

/** A copy of `document` with each value set at its path (undefined deletes; a missing parent skips). */
export function edited(document: unknown, edits: readonly (readonly [Path, unknown])[]): unknown {
  const copy = structuredClone(document);
  for (const [path, value] of edits) {
    let at: unknown = copy;
    for (const key of path.slice(0, -1)) at = typeof at === "object" && at !== null ? (at as Record<string | number, unknown>)[key] : undefined;
    if (typeof at !== "object" || at === null) continue;
    if (value === undefined) delete (at as Record<string | number, unknown>)[path.at(-1)!];
    else (at as Record<string | number, unknown>)[path.at(-1)!] = value;
  }
  return copy;
}

export interface FastPathCase {
  readonly fixture: unknown;
  readonly paths: readonly Path[];
  readonly values: fc.Arbitrary<unknown>;
  readonly fast: (input: unknown) => unknown;
  readonly schema: z.ZodType;
  /** The fast path answers with its input itself, not a copy. */
  readonly returnsInput?: boolean;
  readonly numRuns: number;
}

/** Whenever the fast path answers, the schema accepts the same input and returns an equal value. */
export function assertFastPathAgrees(c: FastPathCase): void {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom(...c.paths), c.values), { minLength: 1, maxLength: 4 }), (edits) => {
      const input = edited(c.fixture, edits);
      const fast = c.fast(input);
      if (fast === undefined) return;
      const slow = c.schema.safeParse(input);
      assert.ok(slow.success, `the fast path took what the schema refuses: ${slow.error?.message}`);
      if (c.returnsInput) assert.equal(fast, input);
      assert.deepEqual(fast, slow.data);
    }),
    { numRuns: c.numRuns },
  );
}
