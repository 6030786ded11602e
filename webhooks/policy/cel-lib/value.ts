// What Kubernetes' CEL libraries share: their values name their CEL type and
// print as Go prints them, and their failures are CEL evaluation errors.
import { EvaluationError } from "@marcbachmann/cel-js";

/** A value of one of Kubernetes' CEL types (Quantity, IP, CIDR, URL, Semver...). */
export abstract class KubernetesValue {
  abstract readonly celType: string;
  /** The string form Go's String() gives. */
  abstract toString(): string;
}

/** An evaluation error with the library's message. */
export function celError(message: string): Error {
  return new EvaluationError(message);
}
