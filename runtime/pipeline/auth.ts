/**
 * Authentication: the caller's bearer key is hashed (sha256) and looked up in
 * the policy's `keys`, which say who the caller is (team, user, labels). Only
 * hashes live in the policy, so the key itself is never stored or logged.
 */
import { createHash } from "node:crypto";
import type { Graph } from "../../compiler/graph.js";
import type { Caller } from "../engine/index.js";
import { GatewayError } from "./errors.js";
import { bearerToken } from "../engine/bearer.js";
import { Revocations, TokenRefused, TokenVerifier } from "../identity/index.js";

export { bearerToken };

/** Who is calling, as the policy knows them: the engine's caller (`key` is the key's hash). */
export type { Caller };

const ANONYMOUS: Caller = Object.freeze({});

/** `sha256:<hex>` of a key, the form used in `keys`. */
export function hashKey(key: string): string {
  return "sha256:" + createHash("sha256").update(key).digest("hex");
}

/**
 * The callers of one graph by bearer token, built with the runtime of that
 * graph: hashing costs more than the rest of authentication, and clients
 * send the same few keys over and over. Bounded (cleared when full) so a
 * flood of random tokens cannot grow it; unknown tokens are kept as null,
 * so they are not re-hashed either.
 */
export class CallerIndex {
  static readonly LIMIT = 4096;
  readonly #byToken = new Map<string, Caller | null>();
  constructor(readonly graph: Graph) {}

  /** The caller with this bearer token; null for an unknown one. */
  lookup(token: string): Caller | null {
    let caller = this.#byToken.get(token);
    if (caller === undefined) {
      const hash = hashKey(token);
      caller = Object.hasOwn(this.graph.keys, hash) ? callerOf(this.graph, hash) : null;
      if (this.#byToken.size >= CallerIndex.LIMIT) this.#byToken.clear();
      this.#byToken.set(token, caller);
    }
    return caller;
  }
}

/**
 * The credential of a request as an `authorization` value: the bearer
 * header, else Anthropic's `x-api-key` (what the Anthropic SDKs send).
 */
export function credentialOf(headers: Readonly<Record<string, string>>): string | undefined {
  const auth = headers["authorization"];
  if (auth !== undefined) return auth;
  const key = headers["x-api-key"];
  return key === undefined ? undefined : `Bearer ${key}`;
}

/**
 * Resolves the caller of a request from its `authorization` header.
 * Throws a 401 {@link GatewayError} for a missing, unknown or revoked key.
 */
export function authenticate(callers: CallerIndex, authorization: string | undefined, revoked: Revocations = Revocations.EMPTY): Caller {
  const token = bearerToken(authorization);
  if (callers.graph.gateway.auth === "none") {
    // local development: a key, if one is sent and known (and not revoked), still identifies the caller
    const known = token === undefined ? null : callers.lookup(token);
    return known === null || revoked.has(known.key!) ? ANONYMOUS : known;
  }
  if (token === undefined) {
    throw new GatewayError(
      "invalid_api_key",
      "missing api key: send it as `authorization: bearer <key>` (or `x-api-key: <key>`)",
    );
  }
  const caller = callers.lookup(token);
  if (caller === null) throw new GatewayError("invalid_api_key", "incorrect api key provided");
  if (revoked.size > 0 && revoked.has(caller.key!)) throw new GatewayError("invalid_api_key", "this api key has been revoked");
  return caller;
}

/** What identifies callers for one graph: its keys, its token verifier (when it has `jwt` blocks), the revocation list in force. */
export interface Identifiers {
  readonly callers: CallerIndex;
  readonly tokens: TokenVerifier | undefined;
  readonly revoked: () => Revocations;
}

/**
 * The caller of a request to any endpoint, from its credential headers: a
 * promise only when a bearer JWT has to be verified (a key, or a token
 * verified before, is answered at once).
 */
export function identify(ids: Identifiers, headers: Readonly<Record<string, string>>): Caller | Promise<Caller> {
  const credential = credentialOf(headers);
  if (ids.tokens !== undefined) {
    const token = bearerToken(credential);
    if (token !== undefined && TokenVerifier.isToken(token)) return authenticateToken(ids.tokens, token, ids.callers.graph.gateway.auth, ids.revoked());
  }
  return authenticate(ids.callers, credential, ids.revoked());
}

/**
 * The caller of a bearer JWT (runtime/identity/tokens.ts), revocation
 * checked on every request. A refused token is a 401 naming the rule it
 * broke (a 503 when the issuer's keys cannot be fetched); under `auth none`
 * a refused token is anonymous, like an unknown key.
 */
export async function authenticateToken(tokens: TokenVerifier, token: string, auth: "keys" | "none", revoked: Revocations): Promise<Caller> {
  let verified = tokens.remembered(token);
  if (verified === undefined) {
    try {
      verified = await tokens.verify(token);
    } catch (err) {
      if (!(err instanceof TokenRefused)) throw err;
      if (auth === "none" && err.kind === "invalid") return ANONYMOUS;
      if (err.kind === "unavailable") throw new GatewayError("auth_unavailable", `${err.message}; retry shortly`, { headers: [["retry-after", "5"]] });
      throw new GatewayError("invalid_api_key", `invalid bearer token: ${err.message}`);
    }
  }
  for (const id of verified.ids) {
    if (!revoked.has(id)) continue;
    if (auth === "none") return ANONYMOUS;
    throw new GatewayError("invalid_api_key", "this token has been revoked");
  }
  return verified.caller;
}

/** The caller of a `keys` entry, by its hash (which must be listed). */
export function callerOf(graph: Graph, hash: string): Caller {
  const k = graph.keys[hash]!;
  const caller: Caller = { key: hash, labels: k.labels };
  if (k.team !== undefined) caller.team = k.team;
  if (k.user !== undefined) caller.user = k.user;
  return Object.freeze(caller);
}
