// The config the server answers with, swapped whole by a reload. A request
// holds the generation it started with until it ends, so a swap lands
// between requests; the replaced generation is retired (its policy workers
// stopped) once its last request has finished.
import type { AdmissionHandler } from "../admission/handler.ts";
import type { LoadedConfig } from "../config/load.ts";

/** What serving needs of a config: its webhooks, and a way to tell them they stop serving. */
export type Webhooks = Pick<LoadedConfig, "mutating" | "validating" | "retire">;

export interface Generation<C extends Webhooks = Webhooks> {
  readonly config: C;
  readonly mutating: ReadonlyMap<string, AdmissionHandler>;
  readonly validating: ReadonlyMap<string, AdmissionHandler>;
}

interface Held<C extends Webhooks> extends Generation<C> {
  inFlight: number;
  replaced: boolean;
}

const held = <C extends Webhooks>(config: C): Held<C> => ({
  config,
  mutating: new Map(config.mutating.map((h) => [h.name, h])),
  validating: new Map(config.validating.map((h) => [h.name, h])),
  inFlight: 0,
  replaced: false,
});

export class ServedConfig<C extends Webhooks = LoadedConfig> {
  #current: Held<C>;

  constructor(config: C) {
    this.#current = held(config);
  }

  get config(): C {
    return this.#current.config;
  }

  /** Runs one request on the current generation, which stays alive until the request ends. */
  async use<T>(run: (generation: Generation<C>) => Promise<T>): Promise<T> {
    const generation = this.#current;
    generation.inFlight++;
    try {
      return await run(generation);
    } finally {
      generation.inFlight--;
      if (generation.replaced && generation.inFlight === 0) generation.config.retire();
    }
  }

  /** Serves `config` from the next request on; the previous one retires when its requests are done. */
  swap(config: C): void {
    const previous = this.#current;
    this.#current = held(config);
    previous.replaced = true;
    if (previous.inFlight === 0) previous.config.retire();
  }

  /** The server stops: the current generation retires too. */
  retire(): void {
    this.#current.replaced = true;
    if (this.#current.inFlight === 0) this.#current.config.retire();
  }
}
