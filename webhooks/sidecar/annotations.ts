// The pod annotations (and labels) the sidecar webhook reads and writes.
export const DOMAIN = "sidecar.podgate.io";
/** "true" / "false"; a label of the same name wins over the annotation. */
export const INJECT = `${DOMAIN}/inject`;
/** Comma-separated template names; the default template when absent. */
export const TEMPLATES = `${DOMAIN}/templates`;
/** "true" / "false": native sidecars for this pod. */
export const NATIVE = `${DOMAIN}/native`;
/** Written by podgate: what was injected. */
export const STATUS = `${DOMAIN}/status`;

/** Where a value override is read: the template-scoped key first, then the shared one. */
export function valueAnnotations(template: string, value: string): [scoped: string, shared: string] {
  return [`${template}.${DOMAIN}/${value}`, `${DOMAIN}/${value}`];
}
