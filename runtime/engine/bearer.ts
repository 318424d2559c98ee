/** Reading a caller's key from the `authorization` header, shared by the server and `aigw explain`. */

/** The token of `authorization: Bearer <token>` (the scheme in any case), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const space = header.indexOf(" ");
  if (space < 0 || header.slice(0, space).toLowerCase() !== "bearer") return undefined;
  const token = header.slice(space + 1).trim();
  return token.length > 0 ? token : undefined;
}

/** Headers that carry credentials: a policy never reads them, and records never show them. */
export const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(["authorization", "proxy-authorization", "cookie", "x-api-key", "api-key"]);

/**
 * The headers a policy may read: all but the credential headers, so no
 * condition, split or decision record can see a caller's key. The server
 * and `aigw explain` both build facts from this.
 */
export function withoutCredentials(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in headers) if (!CREDENTIAL_HEADERS.has(k.toLowerCase())) out[k] = headers[k]!;
  return out;
}
