/**
 * Where `jwt` blocks find their signing keys, shared by every reload of a
 * gateway: one remote key set per JWKS URL (jose's, which caches the keys,
 * fetches again for an unknown key id at most every 30 s, and gives up on
 * a fetch after 5 s), and key set files read when a graph is loaded.
 */
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";

/** Reads a key set file's text; the server's is `readFileSync(path, "utf8")`. */
export type ReadKeyFile = (path: string) => string;

export class KeySets {
  readonly #remote = new Map<string, JWTVerifyGetKey>();
  constructor(readonly readFile: ReadKeyFile) {}

  /** The key set behind a JWKS URL, made once per URL so reloads keep its cached keys. */
  remote(url: string): JWTVerifyGetKey {
    let set = this.#remote.get(url);
    if (set === undefined) {
      set = createRemoteJWKSet(new URL(url), { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
      this.#remote.set(url, set);
    }
    return set;
  }

  /** The key set in a JWKS file; throws with the path and the cause when it is missing or not a key set. */
  file(path: string): JWTVerifyGetKey {
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.readFile(path));
    } catch (err) {
      throw new Error(`jwks_file ${JSON.stringify(path)}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (typeof parsed !== "object" || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) {
      throw new Error(`jwks_file ${JSON.stringify(path)}: not a JSON Web Key Set (an object with a \`keys\` array)`);
    }
    return createLocalJWKSet(parsed as JSONWebKeySet);
  }
}
