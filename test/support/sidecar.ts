// The one-container sidecar template the mutating unit tests inject.
import { sidecarSettings } from "../../webhooks/sidecar/settings.ts";

export const proxySidecarSettings = sidecarSettings.parse({
  defaultTemplate: "proxy",
  templates: {
    proxy: {
      values: { cpu: { type: "quantity", default: "100m" } },
      containers: [{ name: "proxy", image: "ghcr.io/podgate/proxy:1", resources: { requests: { cpu: "{{ values.cpu }}" } } }],
    },
  },
});
