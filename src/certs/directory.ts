// The certificates as files in a directory (`podgate certs generate`, plain
// files mode). Keys are written 0600; tls.crt last, so a watcher that sees it
// knows its key is already there.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TLS_FILES } from "../server/tls.ts";
import type { StoredCertificates } from "./plan.ts";
import type { CertificateStore } from "./reconcile.ts";

const PRIVATE: ReadonlySet<keyof typeof TLS_FILES> = new Set(["key", "caKey"]);
// The serving certificate last.
const ORDER = (Object.keys(TLS_FILES) as Array<keyof typeof TLS_FILES>).sort((a, b) => Number(a === "cert") - Number(b === "cert"));

export class DirectoryStore implements CertificateStore {
  readonly description: string;
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
    this.description = `directory ${dir}`;
  }

  async read() {
    const data: StoredCertificates = {};
    for (const field of ORDER) {
      try {
        data[field] = await readFile(join(this.#dir, TLS_FILES[field]), "utf8");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    return Object.keys(data).length === 0 ? undefined : { data };
  }

  async write(data: StoredCertificates): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    for (const field of ORDER) {
      const value = data[field];
      if (value !== undefined) await writeFile(join(this.#dir, TLS_FILES[field]), value, PRIVATE.has(field) ? { mode: 0o600 } : {});
    }
  }
}
