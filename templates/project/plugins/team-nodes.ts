// A scheduler extender plugin: nodes labelled for a team take only that
// team's pods (filter), and a team's pods prefer its nodes (score).
import { definePlugin, MAX_NODE_SCORE, z } from "podgate";

export default definePlugin({
  name: "team-nodes",
  description: "Nodes labelled for a team take only that team's pods, which prefer them",
  settings: z.strictObject({ nodeLabel: z.string().min(1).default("example.com/team") }),
  create: ({ nodeLabel }) => ({
    filter(pod, node) {
      const owner = node.labels[nodeLabel];
      return owner !== undefined && owner !== pod.pod.metadata.labels?.["team"] ? { reason: `node is reserved for team ${owner}` } : undefined;
    },
    score: (pod, node) => (node.labels[nodeLabel] !== undefined && node.labels[nodeLabel] === pod.pod.metadata.labels?.["team"] ? MAX_NODE_SCORE : 0),
  }),
});
