/**
 * The revocation file of a running gateway: read when a graph names it (a
 * file that is missing or has a bad line stops that graph from loading, at
 * start and on reload, so a typo never silently un-revokes), then polled
 * once a second; a change is applied to the next request. A change that
 * does not parse keeps the list in force and is logged, as a policy that
 * does not compile keeps the serving one.
 */
import { readFileSync, unwatchFile, watchFile, type Stats } from "node:fs";
import { resolve } from "node:path";
import { parseRevocations, Revocations } from "./revoked.js";

export interface RevocationLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export class RevocationWatch {
  static readonly POLL_MS = 1000;
  #path: string | undefined;
  #list = Revocations.EMPTY;
  readonly #onChange = (now: Stats, before: Stats): void => {
    if (now.mtimeMs !== before.mtimeMs || now.size !== before.size || now.ino !== before.ino) this.#reload();
  };

  constructor(
    private readonly log: RevocationLog,
    /** Where a relative path is resolved (the policy directory). */
    private readonly baseDir: string,
  ) {}

  /** The list in force. */
  readonly current = (): Revocations => this.#list;

  /** Watches `path` (relative to the base directory) from now on; throws when it cannot be read or parsed. */
  use(path: string | undefined): void {
    const full = path === undefined ? undefined : resolve(this.baseDir, path);
    if (full === this.#path) return;
    const list = full === undefined ? Revocations.EMPTY : read(full);
    this.close();
    this.#path = full;
    this.#list = list;
    if (full !== undefined) {
      watchFile(full, { interval: RevocationWatch.POLL_MS, persistent: false }, this.#onChange);
      this.log.info("revocation list loaded", { path: full, entries: list.size });
    }
  }

  close(): void {
    if (this.#path !== undefined) unwatchFile(this.#path, this.#onChange);
    this.#path = undefined;
  }

  #reload(): void {
    const path = this.#path;
    if (path === undefined) return;
    try {
      this.#list = read(path);
      this.log.info("revocation list reloaded", { path, entries: this.#list.size });
    } catch (err) {
      this.log.error("revocation list not reloaded; the previous list stays in force", { path, error: err instanceof Error ? err.message : String(err) });
    }
  }
}

function read(path: string): Revocations {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`revoked ${JSON.stringify(path)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = parseRevocations(text);
  if (!parsed.ok) throw new Error(`revoked ${JSON.stringify(path)}: ${parsed.problems.slice(0, 5).join("; ")}`);
  return parsed.list;
}
