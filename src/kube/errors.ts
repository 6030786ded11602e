// Kubernetes API errors: the HTTP status, and a message that says which
// object and what the apiserver answered instead of a bare "HTTP-Code: 403".
import { ApiException } from "@kubernetes/client-node";

export function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** Wraps an API failure with what was being done; keeps the apiserver's own message when it sent one. */
export function apiError(action: string, error: unknown): Error {
  if (!(error instanceof ApiException)) return new Error(`${action}: ${error instanceof Error ? error.message : String(error)}`);
  const body: unknown = typeof error.body === "string" ? safeJson(error.body) : error.body;
  const message = typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string" ? (body as { message: string }).message : error.message.split("\n")[0];
  return new Error(`${action}: HTTP ${error.code}: ${message}`);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
