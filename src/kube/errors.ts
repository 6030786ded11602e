// Kubernetes API errors: the HTTP status, and a message that says which
// object and what the apiserver answered instead of a bare "HTTP-Code: 403".
import { ApiException } from "@kubernetes/client-node";

/** A non-2xx answer to a request made with kubeRequest (api-request.ts): its status and body. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly body: string;
  constructor(method: string, path: string, status: number, body: string) {
    super(`${method} ${path}: HTTP ${status}: ${statusMessage(body) ?? (body.slice(0, 300) || "(no body)")}`);
    this.status = status;
    this.body = body;
  }
}

/** The HTTP status of a failed API call, from client-node's clients or from kubeRequest. */
export function statusOf(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  return error instanceof KubeApiError ? error.status : undefined;
}

/** Wraps an API failure with what was being done; keeps the apiserver's own message when it sent one. */
export function apiError(action: string, error: unknown): Error {
  if (!(error instanceof ApiException)) return new Error(`${action}: ${error instanceof Error ? error.message : String(error)}`);
  return new Error(`${action}: HTTP ${error.code}: ${statusMessage(error.body) ?? error.message.split("\n")[0]}`);
}

/** The message of the apiserver's Status in a body (JSON text or parsed), if it has one. */
function statusMessage(body: unknown): string | undefined {
  const parsed: unknown = typeof body === "string" ? safeJson(body) : body;
  return typeof parsed === "object" && parsed !== null && typeof (parsed as { message?: unknown }).message === "string" ? (parsed as { message: string }).message : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
