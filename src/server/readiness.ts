// Readiness as a set of named checks, so each part (certificates, caches)
// reports for itself and /readyz says which one is not ready.
export type ReadinessCheck = () => string | undefined;

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly notes = new Map<string, ReadinessCheck>();
  private draining = false;

  /** A check returns undefined when ready, or why not. */
  add(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /**
   * A note shown in /readyz's body that does not fail it: a reload refused while the previous config
   * serves on. Failing readiness there would take every replica out of the Service at once.
   */
  note(name: string, check: ReadinessCheck): void {
    this.notes.set(name, check);
  }

  /** The notes that have something to say, as "name: message". */
  messages(): string[] {
    return [...this.notes].flatMap(([name, check]) => {
      const message = check();
      return message === undefined ? [] : [`${name}: ${message}`];
    });
  }

  /** Once shutdown starts, readiness turns false so endpoints drop the pod before it stops. */
  drain(): void {
    this.draining = true;
  }

  failures(): string[] {
    const failures = this.draining ? ["shutting down"] : [];
    for (const [name, check] of this.checks) {
      const reason = check();
      if (reason !== undefined) failures.push(`${name}: ${reason}`);
    }
    return failures;
  }
}
