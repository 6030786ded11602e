// Applying selected templates to a pod: a pure function from pod to pod and
// the status record of exactly what was added.
import { addMissing } from "../pod-reader/named.ts";
import type { Container, Pod } from "../pod-reader/shape.ts";
import { STATUS } from "./annotations.ts";
import type { Selection } from "./select.ts";
import type { InjectionStatus } from "./status.ts";

export type Injection = { readonly ok: true; readonly pod: Pod; readonly status: InjectionStatus } | { readonly ok: false; readonly reason: string };

/** A pod that already has a container of a sidecar's name is left alone (hand-made or injected by someone else). */
function conflict(pod: Pod, selections: readonly Selection[]): string | undefined {
  const existing = new Set([...pod.spec.containers, ...(pod.spec.initContainers ?? [])].map((c) => c.name));
  for (const { name, rendered } of selections) {
    const clash = [...rendered.containers, ...rendered.initContainers].find((c) => existing.has(c.name));
    if (clash) return `container "${clash.name}" of template ${name} already exists`;
  }
  return undefined;
}

export function inject(pod: Pod, selections: readonly Selection[]): Injection {
  const clash = conflict(pod, selections);
  if (clash !== undefined) return { ok: false, reason: clash };
  const status: InjectionStatus = { templates: [], native: false, containers: [], initContainers: [], volumes: [], imagePullSecrets: [], env: {}, volumeMounts: {} };
  // Template init containers prepare the pod, so they run before the user's; sidecars go first when they hold the app, else last.
  const setup: Container[] = [];
  const first: { init: Container[]; app: Container[] } = { init: [], app: [] };
  const last: { init: Container[]; app: Container[] } = { init: [], app: [] };
  const spec = { ...pod.spec };
  const apps = spec.containers.map((c) => ({ ...c }));
  for (const { name, template, native, rendered } of selections) {
    status.templates.push(name);
    status.native ||= native;
    setup.push(...rendered.initContainers);
    const sidecars = native ? rendered.containers.map((c) => ({ ...c, restartPolicy: "Always" })) : rendered.containers;
    (template.holdApplicationUntilStarted ? first : last)[native ? "init" : "app"].push(...sidecars);
    const volumes = addMissing(spec.volumes, rendered.volumes);
    if (volumes.list) spec.volumes = volumes.list;
    status.volumes.push(...volumes.added);
    const secrets = addMissing(spec.imagePullSecrets, rendered.imagePullSecrets);
    if (secrets.list) spec.imagePullSecrets = secrets.list;
    status.imagePullSecrets.push(...secrets.added);
    for (const app of apps) {
      const env = addMissing(app.env, rendered.env);
      const volumeMounts = addMissing(app.volumeMounts, rendered.volumeMounts, (m, e) => m.name === e.name || m.mountPath === e.mountPath);
      if (env.list) app.env = env.list;
      if (volumeMounts.list) app.volumeMounts = volumeMounts.list;
      if (env.added.length > 0) (status.env[app.name] ??= []).push(...env.added);
      if (volumeMounts.added.length > 0) (status.volumeMounts[app.name] ??= []).push(...volumeMounts.added);
    }
  }
  const initContainers = [...setup, ...first.init, ...(spec.initContainers ?? []), ...last.init];
  spec.containers = [...first.app, ...apps, ...last.app];
  if (initContainers.length > 0) spec.initContainers = initContainers;
  status.containers = [...first.app, ...last.app].map((c) => c.name);
  status.initContainers = [...setup, ...first.init, ...last.init].map((c) => c.name);
  const metadata = { ...pod.metadata, annotations: { ...pod.metadata.annotations, [STATUS]: JSON.stringify(status) } };
  return { ok: true, pod: { ...pod, metadata, spec }, status };
}
