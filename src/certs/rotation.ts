// Certificate rotation inside the running server (certificates.mode: secret).
// Every replica campaigns for the Lease on each tick; only the holder
// reconciles (renews, rotates, patches caBundle). Replicas pick the rotated
// Secret up through their volume, which the server already watches.
import { hostname } from "node:os";
import type { FastifyBaseLogger } from "fastify";
import type { Extension } from "../server/serve.ts";
import type { LeaderElector } from "../kube/lease.ts";
import { policyFor, type SecretModeSettings } from "./config.ts";
import type { ReconcileOptions } from "./reconcile.ts";
import type { LoadedConfig } from "../config/load.ts";
import { missingRules, type WebhookRule } from "../kube/webhook-rules.ts";
import type { WebhookTrustTargets } from "../kube/webhooks.ts";

type Log = Pick<FastifyBaseLogger, "info" | "warn" | "debug">;

/** What the leader reconciles besides certificates: the rules of the webhooks the served policies need. */
export type RulesReconcile = () => Promise<void>;

/**
 * Adds to each webhook of podgate's validating configuration the rules its policies need and it lacks
 * (a reload added a policy for a new resource); never removes any.
 */
export async function addMissingRules(targets: Pick<WebhookTrustTargets, "validatingRules" | "addValidatingRules">, wanted: ReadonlyMap<string, readonly WebhookRule[]>, log: Log): Promise<void> {
  const additions = (await targets.validatingRules()).flatMap((webhook) => {
    const rules = webhook.path === undefined ? [] : missingRules(webhook.rules, wanted.get(webhook.path) ?? []);
    return rules.length > 0 ? [{ webhook, rules }] : [];
  });
  await targets.addValidatingRules(additions);
  for (const { webhook, rules } of additions) log.info({ webhook: webhook.name, rules }, "webhook rules added: the served policies match these requests");
}

/** One tick: lead or follow; the leader reconciles. Errors are logged, never thrown: the next tick tries again. */
export async function rotationTick(elector: LeaderElector, options: ReconcileOptions, log: Log, rules?: RulesReconcile): Promise<void> {
  const wasLeader = elector.isLeader;
  let leading: boolean;
  try {
    leading = await elector.tryLead();
  } catch (error) {
    log.warn({ err: error }, "certificate lease: campaign failed");
    return;
  }
  if (leading !== wasLeader) log.info({ leading }, leading ? "certificate lease acquired: this replica rotates certificates" : "certificate lease lost");
  if (!leading) return;
  try {
    // Imported here (cached after the first tick): it brings node-forge, needed only when rotation runs.
    const { reconcile } = await import("./reconcile.ts");
    const result = await reconcile(options);
    for (const change of result.changes) log.info({ change }, "certificates changed");
    for (const note of result.notes) log.debug({ note }, "certificates");
  } catch (error) {
    log.warn({ err: error }, "certificate reconcile failed; retrying on the next tick");
  }
  await rules?.().catch((error: unknown) => log.warn({ err: error }, "webhook rules reconcile failed; retrying on the next tick"));
}

/**
 * `wantedRules`: the rules each podgate webhook (by its path, /validate/policy) needs for the config's
 * policies; the leader adds what its webhook lacks, at each tick and right after a reload.
 */
export function rotationExtension(settings: SecretModeSettings, wanted?: { readonly config: LoadedConfig; readonly rulesOf: (config: LoadedConfig) => ReadonlyMap<string, readonly WebhookRule[]> }, kubeconfigPath?: string): Extension {
  let wantedRules = wanted ? wanted.rulesOf(wanted.config) : undefined;
  let reconcileRules: RulesReconcile | undefined;
  let leader: { readonly elector: LeaderElector; readonly log: Log } | undefined;
  return {
    name: "certificate-rotation",
    async start({ log }) {
      // Imported here: the Kubernetes client costs ~85 MB of RSS, paid only when rotation runs.
      const [{ loadKubeConfig }, { kubeLeaseApi, LeaderElector }, { kubeReplicaProbe }, { SecretStore }, { WebhookTrustTargets }] = await Promise.all([
        import("../kube/client.ts"),
        import("../kube/lease.ts"),
        import("../kube/replicas.ts"),
        import("../kube/secrets.ts"),
        import("../kube/webhooks.ts"),
      ]);
      const kubeConfig = loadKubeConfig(kubeconfigPath);
      const policy = policyFor(settings);
      const identity = process.env["POD_NAME"] ?? hostname();
      const elector = new LeaderElector(kubeLeaseApi(kubeConfig, settings.namespace, settings.lease), { identity, durationSeconds: settings.leaseDurationSeconds });
      leader = { elector, log };
      const targets = new WebhookTrustTargets(kubeConfig, {
        ...(settings.mutatingWebhookConfiguration ? { mutating: settings.mutatingWebhookConfiguration } : {}),
        ...(settings.validatingWebhookConfiguration ? { validating: settings.validatingWebhookConfiguration } : {}),
      });
      reconcileRules = wantedRules ? () => addMissingRules(targets, wantedRules ?? new Map(), log) : undefined;
      const options: ReconcileOptions = {
        store: new SecretStore(kubeConfig, settings.namespace, settings.secret),
        targets,
        probe: kubeReplicaProbe(kubeConfig, { namespace: settings.namespace, labelSelector: settings.podSelector, port: settings.replicaPort, servername: `${settings.service}.${settings.namespace}.svc` }),
        policy,
      };
      log.info({ identity, lease: `${settings.namespace}/${settings.lease}`, secret: `${settings.namespace}/${settings.secret}` }, "certificate rotation started");
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      let current: Promise<void> = Promise.resolve();
      const loop = () => {
        current = rotationTick(elector, options, log, reconcileRules).finally(() => {
          if (!stopped) timer = setTimeout(loop, settings.checkIntervalSeconds * 1000);
        });
      };
      loop();
      return async () => {
        stopped = true;
        clearTimeout(timer);
        await current;
        await elector.release().catch((error: unknown) => log.warn({ err: error }, "certificate lease: release failed"));
      };
    },
    adopt(next) {
      if (!wanted) return;
      wantedRules = wanted.rulesOf(next);
      // The leader does not wait for its next tick: a new policy's requests should start arriving now.
      if (leader?.elector.isLeader) void reconcileRules?.().catch((error: unknown) => leader?.log.warn({ err: error }, "webhook rules reconcile failed; retrying on the next tick"));
    },
  };
}
