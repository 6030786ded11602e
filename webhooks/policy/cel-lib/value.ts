// What Kubernetes' CEL libraries share: their values name their CEL type and
// print as Go prints them, and their failures are CEL evaluation errors.
import { EvaluationError, type Environment } from "@marcbachmann/cel-js";

/** A value of one of Kubernetes' CEL types (Quantity, IP, CIDR, URL, Semver...). */
export abstract class KubernetesValue {
  abstract readonly celType: string;
  /** The string form Go's String() gives. */
  abstract toString(): string;
  /** CEL's ==, called only with a value of the same class. */
  abstract equals(other: KubernetesValue): boolean;
}

/** An evaluation error with the library's message. */
export function celError(message: string): Error {
  return new EvaluationError(message);
}

/**
 * A namespace of functions (`ip.isCanonical(s)`, `strings.quote(s)`): cel-js
 * resolves `ns.f(x)` as a method of the constant `ns`, so each namespace is a
 * constant of a type of its own. Returns the type's name, the receiver of its functions.
 */
export function registerNamespace(env: Environment, name: string): string {
  const typeName = `${name}.namespace`;
  class Namespace {}
  env.registerType(typeName, Namespace);
  env.registerConstant(name, typeName, new Namespace());
  return typeName;
}

/**
 * Prefix of the functions that replace cel-js functions of the same name whose
 * semantics differ from cel-go's; calls are renamed to them at compile time.
 */
export const OVERRIDE_PREFIX = "__k8s_";
