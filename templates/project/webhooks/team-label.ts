// A mutating webhook: pods without a team label get the configured team.
// Edit the typed pod in place; podgate turns the change into the JSON patch.
import { defineMutatingWebhook, pod, z } from "podgate";

export default defineMutatingWebhook({
  settings: z.strictObject({ team: z.string().min(1) }),
  object: pod,
  mutate({ object, settings }) {
    if (!object || object.metadata.labels?.["team"]) return;
    object.metadata.labels = { ...object.metadata.labels, team: settings.team };
  },
});
