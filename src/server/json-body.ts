// JSON request bodies: JSON.parse with a message that says where it broke,
// and a refusal of keys that could reach an object's prototype later.
export class BodyError extends Error {
  readonly statusCode = 400;
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** Where in the document a forbidden key sits, e.g. "request.object.metadata.__proto__". */
function findForbiddenKey(value: unknown, path: string): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    const at = path ? `${path}.${key}` : key;
    if (key === "__proto__") return at;
    if (key === "constructor" && typeof child === "object" && child !== null && "prototype" in child) return `${at}.prototype`;
    const found = findForbiddenKey(child, at);
    if (found) return found;
  }
  return undefined;
}

export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") throw new BodyError("EMPTY_BODY", "request body is empty; expected a JSON object");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BodyError("INVALID_JSON", `request body is not valid JSON: ${(error as Error).message}`);
  }
  // Only pay for the walk when the text could contain such a key.
  if (text.includes("__proto__") || text.includes("prototype")) {
    const at = findForbiddenKey(value, "");
    if (at) throw new BodyError("FORBIDDEN_KEY", `request body has a forbidden prototype key at ${at}`);
  }
  return value;
}
