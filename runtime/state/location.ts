/**
 * Where the gateway block's `state` setting puts things, resolved once for
 * every store that lives there (budgets and limits, the response cache, the
 * usage ledger): memory; an absolute SQLite path (relative ones against the
 * policy's directory, an empty one the default `.aigw/state.db`); or a
 * Redis URL read from the environment now. Each store says in its own
 * words when the URL is missing.
 */
import { isAbsolute, resolve } from "node:path";
import type { GatewayNode } from "../../compiler/graph.js";

/** The default SQLite file, relative to the policy's directory. */
export const DEFAULT_SQLITE_PATH = ".aigw/state.db";

export type StateLocation =
  | { readonly kind: "memory" }
  | { readonly kind: "sqlite"; readonly path: string }
  /** `url` undefined (or empty) when it is not set; `missing` says why, for the caller's error. */
  | { readonly kind: "redis"; readonly url: string | undefined; readonly missing: string };

export function stateLocation(config: GatewayNode["state"], options: { env: Readonly<Record<string, string | undefined>>; baseDir?: string | undefined }): StateLocation {
  switch (config.kind) {
    case "memory":
      return { kind: "memory" };
    case "sqlite": {
      const path = config.path === "" ? DEFAULT_SQLITE_PATH : config.path;
      return { kind: "sqlite", path: isAbsolute(path) ? path : resolve(options.baseDir ?? process.cwd(), path) };
    }
    case "redis": {
      const u = config.url;
      if ("env" in u) return { kind: "redis", url: options.env[u.env] || undefined, missing: `the environment variable \`${u.env}\` is not set` };
      return { kind: "redis", url: u.value || undefined, missing: "the url is empty" };
    }
  }
}
