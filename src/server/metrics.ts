// Prometheus metrics on a registry of our own (not prom-client's global one),
// served on a separate plain-HTTP listener.
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class Metrics {
  readonly registry = new Registry();

  readonly admissionDuration = new Histogram({
    name: "podgate_admission_duration_seconds",
    help: "Time spent deciding one admission review, by webhook",
    labelNames: ["webhook", "operation", "outcome"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly admissionDecisions = new Counter({
    name: "podgate_admission_decisions_total",
    help: "Admission decisions, by webhook, operation and outcome (allowed, patched, denied, failed_open, failed_closed)",
    labelNames: ["webhook", "operation", "outcome"] as const,
    registers: [this.registry],
  });

  readonly rejectedRequests = new Counter({
    name: "podgate_rejected_requests_total",
    help: "Requests refused before any webhook ran, by route and HTTP status",
    labelNames: ["route", "status"] as const,
    registers: [this.registry],
  });

  readonly certificateExpiry = new Gauge({
    name: "podgate_serving_certificate_expiry_timestamp_seconds",
    help: "When the serving certificate in use expires (Unix time)",
    registers: [this.registry],
  });

  readonly certificateReloads = new Counter({
    name: "podgate_serving_certificate_reloads_total",
    help: "Serving certificate reloads, by result",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });

  readonly configReloads = new Counter({
    name: "podgate_config_reloads_total",
    help: "Config reloads after a file it was built from changed, by result (reloaded, invalid, restart-required)",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });

  readonly configLastReloadSuccessful = new Gauge({
    name: "podgate_config_last_reload_successful",
    help: "1 when the last config reload was served (or none was tried), 0 when the served config is older than the files",
    registers: [this.registry],
  });

  readonly configGeneration = new Gauge({
    name: "podgate_config_generation",
    help: "Which load of the config is served: 0 the first, one more per reload attempt",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "podgate_" });
  }

  /** Labelled children, kept: prom-client hashes the label set on every unlabelled call. The key space is webhooks x operations x outcomes. */
  readonly #decisionChildren = new Map<string, { duration: { observe(value: number): void }; decisions: { inc(): void } }>();

  /** One webhook's decision on one review: its duration and its count. */
  recordDecision(webhook: string, operation: string, outcome: string, seconds: number): void {
    const key = `${webhook}\0${operation}\0${outcome}`;
    let children = this.#decisionChildren.get(key);
    if (!children) {
      const labels = { webhook, operation, outcome };
      children = { duration: this.admissionDuration.labels(labels), decisions: this.admissionDecisions.labels(labels) };
      this.#decisionChildren.set(key, children);
    }
    children.duration.observe(seconds);
    children.decisions.inc();
  }
}

/** Serves GET /metrics on its own address, so scraping never touches the TLS admission port. */
export async function serveMetrics(metrics: Metrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: metrics are served at GET /metrics\n");
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
      (error: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`${error.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
