// The restricted-profile securityContext baseline: fill what is unset, and
// skip any field whose default would contradict what the user did set.
import type { Container, Pod } from "../pod-reader/shape.ts";

const SYS_ADMIN = new Set(["SYS_ADMIN", "CAP_SYS_ADMIN"]);

function containerBaseline(container: Container): Container {
  const context = { ...container.securityContext };
  const capabilities = { ...context.capabilities };
  // The apiserver rejects allowPrivilegeEscalation=false next to privileged or CAP_SYS_ADMIN.
  const escalates = context.privileged === true || (capabilities.add ?? []).some((c) => SYS_ADMIN.has(c));
  if (context.allowPrivilegeEscalation === undefined && !escalates) context.allowPrivilegeEscalation = false;
  if (capabilities.drop === undefined) context.capabilities = { ...capabilities, drop: ["ALL"] };
  return { ...container, securityContext: context };
}

/** The pod with the baseline filled in; Windows pods are returned as they are (seccomp is Linux-only). */
export function securityBaseline(pod: Pod): Pod {
  if (pod.spec.os?.name === "windows") return pod;
  const containers = pod.spec.containers.map(containerBaseline);
  const initContainers = pod.spec.initContainers?.map(containerBaseline);
  const context = { ...pod.spec.securityContext };
  // runAsNonRoot next to an explicit root user would stop the container at start: leave it to the user.
  const root = [pod.spec.securityContext, ...[...containers, ...(initContainers ?? [])].map((c) => c.securityContext)].some((s) => s?.runAsUser === 0);
  if (context.runAsNonRoot === undefined && !root) context.runAsNonRoot = true;
  context.seccompProfile ??= { type: "RuntimeDefault" };
  return { ...pod, spec: { ...pod.spec, securityContext: context, containers, ...(initContainers ? { initContainers } : {}) } };
}
