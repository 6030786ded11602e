// Rendering a template and checking the result against the strict Kubernetes
// schemas was most of a /mutate review's CPU. The result depends only on what
// the template's placeholders resolve to, so it is kept per template and per
// resolution: pods of one workload share their facts and render once.
import { referencesIn, resolve, stringsIn, type Reference, type RenderContext } from "./render.ts";
import { renderTemplate, type Issue, type Rendered, type Template } from "./template.ts";

export type RenderResult = { readonly ok: true; readonly rendered: Rendered } | { readonly ok: false; readonly issues: Issue[] };

/** Distinct resolutions kept per template; past it the memo starts over (placeholders fed by unique pod names). */
export const MEMO_LIMIT = 512;

interface Memo {
  readonly references: readonly Reference[];
  readonly results: Map<string, RenderResult>;
}

const memos = new WeakMap<Template, Memo>();

function memoFor(template: Template): Memo {
  let memo = memos.get(template);
  if (!memo) {
    const { native: _n, holdApplicationUntilStarted: _h, values: _v, ...parts } = template;
    // Checked at load, so every string's references parse.
    const references = [...stringsIn(parts)].flatMap(({ text }) => {
      const found = referencesIn(text);
      return typeof found === "string" ? [] : found;
    });
    memo = { references, results: new Map() };
    memos.set(template, memo);
  }
  return memo;
}

/** Frozen, because one result is shared by every pod that renders the same: an edit in place would leak between pods. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** renderTemplate, memoised on what the template's placeholders resolve to for this pod. */
export function renderForPod(template: Template, context: RenderContext): RenderResult {
  const memo = memoFor(template);
  const key = JSON.stringify(memo.references.map((reference) => resolve(reference, context)));
  const known = memo.results.get(key);
  if (known) return known;
  if (memo.results.size >= MEMO_LIMIT) memo.results.clear();
  const render = renderTemplate(template, context);
  const result: RenderResult = deepFreeze(render);
  memo.results.set(key, result);
  return result;
}
