/**
 * Callers identified by signed tokens (`jwt` blocks): a bearer token that
 * is a JWT is matched to the block of its `iss`, verified against that
 * block's keys (signature, algorithm, issuer, audience, `exp`/`nbf`/`iat`
 * with the block's leeway, on the world's clock), and its claims become the
 * caller's labels: `label("org")` reads the `org` claim, the block's
 * `team` and `user` claims become the `team` and `user` facts, and the
 * `key` fact is `jwt:<block>:<sub>`, so `per key` counts each subject.
 *
 * A verified token is remembered (bounded, until it expires, at most ten
 * minutes) so the signature is checked once, not per request; revocation
 * is checked per request against the ids kept with it (`jti:…`, `sub:…`).
 * Nothing here logs or returns the token.
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { JwtNode } from "../../compiler/graph.js";
import type { Caller } from "../engine/index.js";
import type { KeySets } from "./key-sets.js";

/** A verified token's caller and what can revoke it. */
export interface TokenCaller {
  readonly caller: Caller;
  /** `jti:<id>` and `sub:<subject>`, when the token has them. */
  readonly ids: readonly string[];
  /** Until when (ms) the verification is remembered. */
  readonly until: number;
}

/** Why a token was not accepted: `invalid` is the caller's (401), `unavailable` the identity provider's (503). */
export class TokenRefused extends Error {
  constructor(
    readonly kind: "invalid" | "unavailable",
    message: string,
  ) {
    super(message);
  }
}

const REMEMBER_MS = 600_000;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

interface Issuer {
  readonly name: string;
  readonly node: JwtNode;
  readonly keys: JWTVerifyGetKey;
}

export class TokenVerifier {
  static readonly LIMIT = 4096;
  readonly #issuers = new Map<string, Issuer>();
  readonly #verified = new Map<string, TokenCaller>();

  /** Throws when a `jwks_file` cannot be read: a graph whose keys are unreadable is not loaded. */
  constructor(
    blocks: Readonly<Record<string, JwtNode>>,
    keySets: KeySets,
    readonly now: () => number,
  ) {
    for (const [name, node] of Object.entries(blocks)) {
      const keys = node.keys.kind === "url" ? keySets.remote(node.keys.url) : keySets.file(node.keys.path);
      this.#issuers.set(node.issuer, { name, node, keys });
    }
  }

  /** A bearer token shaped like a compact JWT (three base64url segments): verified here, not looked up in `keys`. */
  static isToken(bearer: string): boolean {
    return bearer.length > 20 && JWT_SHAPE.test(bearer);
  }

  /** The remembered verification of `token`, if it is still good. */
  remembered(token: string): TokenCaller | undefined {
    const known = this.#verified.get(token);
    if (known === undefined) return undefined;
    if (known.until > this.now()) return known;
    this.#verified.delete(token);
    return undefined;
  }

  /** Verifies `token`; throws {@link TokenRefused}. */
  async verify(token: string): Promise<TokenCaller> {
    const issuer = this.#issuerOf(token);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, issuer.keys, {
        issuer: issuer.node.issuer,
        audience: issuer.node.audience,
        algorithms: issuer.node.algorithms,
        clockTolerance: Math.round(issuer.node.leewayMs / 1000),
        currentDate: new Date(this.now()),
      }));
    } catch (err) {
      throw refusal(err);
    }
    const verified = callerOf(issuer.name, issuer.node, payload, this.now());
    if (this.#verified.size >= TokenVerifier.LIMIT) this.#verified.clear(); // bounded: a flood of tokens costs verifications, not memory
    this.#verified.set(token, verified);
    return verified;
  }

  #issuerOf(token: string): Issuer {
    let iss: unknown;
    try {
      decodeProtectedHeader(token);
      iss = decodeJwt(token).iss;
    } catch {
      throw new TokenRefused("invalid", "the bearer token is not a well-formed JWT");
    }
    const issuer = typeof iss === "string" ? this.#issuers.get(iss) : undefined;
    if (issuer === undefined) throw new TokenRefused("invalid", "the token's issuer is not one this gateway accepts");
    return issuer;
  }
}

/**
 * The caller a token would be if it verified, from its claims alone: what
 * `aigw explain` shows (it fetches no keys). Undefined when the token is not
 * a JWT or its issuer has no block.
 */
export function unverifiedCaller(blocks: Readonly<Record<string, JwtNode>>, token: string): Caller | undefined {
  let payload: JWTPayload;
  try {
    payload = decodeJwt(token);
  } catch {
    return undefined;
  }
  const entry = Object.entries(blocks).find(([, node]) => node.issuer === payload.iss);
  return entry === undefined ? undefined : callerOf(entry[0], entry[1], payload, 0).caller;
}

/** The caller a verified payload of block `name` stands for. */
function callerOf(name: string, node: JwtNode, payload: JWTPayload, now: number): TokenCaller {
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(payload)) {
    if (typeof value === "string") labels[name] = value;
    else if (typeof value === "number" || typeof value === "boolean") labels[name] = String(value);
  }
  const team = node.teamClaim === undefined ? undefined : labels[node.teamClaim];
  const user = labels[node.userClaim];
  if (team !== undefined) labels.team = team;
  else delete labels.team;
  if (user !== undefined) labels.user = user;
  else delete labels.user;
  const sub = typeof payload.sub === "string" ? payload.sub : undefined;
  const caller: Caller = {
    ...(sub !== undefined ? { key: `jwt:${name}:${sub}` } : {}),
    ...(team !== undefined ? { team } : {}),
    ...(user !== undefined ? { user } : {}),
    labels,
  };
  const ids: string[] = [];
  if (typeof payload.jti === "string") ids.push(`jti:${payload.jti}`);
  if (sub !== undefined) ids.push(`sub:${sub}`);
  const exp = typeof payload.exp === "number" ? payload.exp * 1000 : Infinity;
  return { caller, ids, until: Math.min(exp, now + REMEMBER_MS) };
}

/** What a verification failure tells the caller: the rule the token broke, never the token. */
function refusal(err: unknown): TokenRefused {
  if (err instanceof errors.JWTExpired) return new TokenRefused("invalid", "the token has expired");
  if (err instanceof errors.JWTClaimValidationFailed) return new TokenRefused("invalid", `the token's \`${err.claim}\` claim is not accepted (${err.reason})`);
  if (err instanceof errors.JOSEAlgNotAllowed) return new TokenRefused("invalid", "the token's signature algorithm is not accepted");
  if (err instanceof errors.JWKSNoMatchingKey) return new TokenRefused("invalid", "the token was signed with a key the issuer does not publish");
  if (err instanceof errors.JWSSignatureVerificationFailed) return new TokenRefused("invalid", "the token's signature does not verify");
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return new TokenRefused("unavailable", "the identity provider's signing keys could not be fetched");
  if (err instanceof errors.JOSEError) return new TokenRefused("invalid", "the bearer token is not a valid JWT");
  // A failed fetch of the key set (connection refused, DNS, TLS): not the caller's fault.
  return new TokenRefused("unavailable", "the identity provider's signing keys could not be fetched");
}
