/**
 * Access tokens for a Google service account, by OAuth 2.0's JWT-bearer
 * grant (RFC 7523, as Google's "Using OAuth 2.0 for Server to Server
 * Applications" describes it): an RS256 assertion signed with the
 * account's private key (with `jose`), exchanged at the key's `token_uri`
 * for an access token. The token is kept and used until five minutes
 * before it expires; concurrent callers share one exchange in flight, and
 * a failed exchange is not remembered (the next call tries again). The
 * clock and the exchange (the I/O) are parameters.
 */

import { importPKCS8, SignJWT, type CryptoKey } from "jose";

export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";
/** How long before its expiry a token is replaced (Google's client libraries use the same margin). */
export const REFRESH_MARGIN_MS = 5 * 60_000;
/** Lifetime of an assertion; Google accepts at most one hour. */
const ASSERTION_TTL_SEC = 3600;

/** The fields of a service-account key file the exchange needs. */
export interface ServiceAccount {
  clientEmail: string;
  privateKey: string;
  tokenUri: string;
  privateKeyId?: string;
}

/** A key that cannot be used; the message never quotes the key. */
export class ServiceAccountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServiceAccountError";
  }
}

/** Reads a service-account key file's JSON (`type: service_account`). */
export function parseServiceAccount(text: string): ServiceAccount {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ServiceAccountError("the service-account key is not JSON");
  }
  const o = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  if (o["type"] !== "service_account") throw new ServiceAccountError("the key is not a service-account key (`type` is not `service_account`)");
  for (const field of ["client_email", "private_key", "token_uri"]) {
    if (typeof o[field] !== "string" || o[field] === "") throw new ServiceAccountError(`the service-account key has no \`${field}\``);
  }
  const account: ServiceAccount = { clientEmail: o["client_email"] as string, privateKey: o["private_key"] as string, tokenUri: o["token_uri"] as string };
  if (typeof o["private_key_id"] === "string") account.privateKeyId = o["private_key_id"];
  return account;
}

/** An issued access token and its lifetime. */
export interface IssuedToken {
  accessToken: string;
  expiresInSec: number;
}

/** Posts the assertion to the token endpoint; rejects with a typed error (no secret in it). */
export type TokenExchange = (tokenUri: string, assertion: string) => Promise<IssuedToken>;

/** The tokens of one service account. */
export class ServiceAccountTokens {
  #current: { value: string; expiresAtMs: number } | undefined;
  #pending: Promise<string> | undefined;
  #key: Promise<CryptoKey> | undefined;

  constructor(
    private readonly account: ServiceAccount,
    private readonly now: () => number,
    private readonly exchange: TokenExchange,
    private readonly scope = CLOUD_PLATFORM_SCOPE,
  ) {}

  /** A token valid for at least {@link REFRESH_MARGIN_MS}; exchanges a new one when needed. */
  token(): Promise<string> {
    const current = this.#current;
    if (current !== undefined && this.now() < current.expiresAtMs - REFRESH_MARGIN_MS) return Promise.resolve(current.value);
    this.#pending ??= this.#refresh().finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  async #refresh(): Promise<string> {
    const startedMs = this.now();
    const issued = await this.exchange(this.account.tokenUri, await this.assertion(startedMs));
    // Counted from before the exchange, so the token is never thought younger than it is.
    this.#current = { value: issued.accessToken, expiresAtMs: startedMs + issued.expiresInSec * 1000 };
    return issued.accessToken;
  }

  /** The signed JWT asserting the account's identity, issued at `nowMs`. */
  async assertion(nowMs: number): Promise<string> {
    this.#key ??= importPKCS8(this.account.privateKey, "RS256").catch(() => {
      this.#key = undefined;
      throw new ServiceAccountError("the service account's `private_key` is not a PKCS#8 RSA key");
    });
    const iat = Math.floor(nowMs / 1000);
    const header = this.account.privateKeyId === undefined ? { alg: "RS256", typ: "JWT" } : { alg: "RS256", typ: "JWT", kid: this.account.privateKeyId };
    return new SignJWT({ scope: this.scope })
      .setProtectedHeader(header)
      .setIssuer(this.account.clientEmail)
      .setAudience(this.account.tokenUri)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ASSERTION_TTL_SEC)
      .sign(await this.#key);
  }
}
