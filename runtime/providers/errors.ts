/**
 * Typed failures of one upstream attempt, one class per failure with a
 * stable `code` (after undici's `core/errors.js`), each carrying the
 * `reason` that a route's `fallback … on` list is matched against. Messages
 * never contain provider keys: every text that came from upstream passes
 * through `redact` before it reaches a message.
 */

import { refusalOf, type Refusal } from "./refusal.js";

export type UpstreamErrorCode =
  | "AIGW_UPSTREAM_STATUS"
  | "AIGW_UPSTREAM_TIMEOUT"
  | "AIGW_UPSTREAM_CONNECTION"
  | "AIGW_UPSTREAM_PROTOCOL"
  | "AIGW_UPSTREAM_ABORTED"
  | "AIGW_UPSTREAM_AUTH"
  | "AIGW_PROVIDER_REQUEST";

/** Where the error came from, for messages and logs; never the key. */
export interface ErrorOrigin {
  /** The provider's name in the policy. */
  provider: string;
  requestId?: string;
}

/** The origin of an attempt (a `ProviderCall` has both fields). */
export function originOf(call: { providerName: string; requestId: string }): ErrorOrigin {
  return { provider: call.providerName, requestId: call.requestId };
}

/** The base of every failure an adapter throws. */
export abstract class UpstreamError extends Error {
  abstract readonly code: UpstreamErrorCode;
  /**
   * The failure reason in the policy's terms: the status as a string
   * (`"429"`), `"context_length"` or `"content_filter"` (a client error that
   * says so), `"timeout"`, `"connection"`, or `"aborted"` (the caller gave
   * up; never a reason to fall back).
   */
  abstract readonly reason: string;
  readonly provider: string;
  readonly requestId: string | undefined;

  constructor(message: string, origin: ErrorOrigin) {
    super(message);
    this.provider = origin.provider;
    this.requestId = origin.requestId;
    this.name = new.target.name;
  }
}

/** What an error reply said besides its status. */
export interface StatusDetail {
  message?: string;
  retryAfterMs?: number;
  upstreamType?: string;
  /** The client error means this model will not take the request (runtime/providers/refusal.ts). */
  refusal?: Refusal;
}

/** The upstream answered with a non-2xx status (or an error event in a stream). */
export class UpstreamStatusError extends UpstreamError {
  readonly code = "AIGW_UPSTREAM_STATUS";
  readonly status: number;
  /** From `retry-after-ms` or `Retry-After` (seconds or an HTTP date), when sent. */
  readonly retryAfterMs: number | undefined;
  /** The upstream's error type (`rate_limit_error`, `invalid_request_error` …), when it named one. */
  readonly upstreamType: string | undefined;
  /** The upstream's own message (scrubbed and cut), for adapters that classify errors by it. */
  readonly upstreamMessage: string | undefined;
  /** Set when the client error says the prompt is too long for this model or its content filter refused it. */
  readonly refusal: Refusal | undefined;

  constructor(
    origin: ErrorOrigin,
    status: number,
    detail: StatusDetail = {},
  ) {
    const suffix = detail.message ? `: ${detail.message}` : "";
    super(`upstream \`${origin.provider}\` returned ${status}${suffix}`, origin);
    this.status = status;
    this.retryAfterMs = detail.retryAfterMs;
    this.upstreamType = detail.upstreamType;
    this.upstreamMessage = detail.message;
    // Adapters that build the error themselves (stream error events, Bedrock's exceptions) are classified here.
    this.refusal = detail.refusal ?? refusalOf({ status, code: detail.upstreamType, message: detail.message });
  }

  /** The refusal's word when there is one (`context_length`), else the status. */
  get reason(): string {
    return this.refusal ?? String(this.status);
  }
}

/** The attempt's timeout passed (before the reply, or while a stream was idle). */
export class UpstreamTimeoutError extends UpstreamError {
  readonly code = "AIGW_UPSTREAM_TIMEOUT";
  readonly reason = "timeout";
  readonly timeoutMs: number;

  constructor(origin: ErrorOrigin, timeoutMs: number, phase: string) {
    super(`upstream \`${origin.provider}\` timed out after ${timeoutMs}ms ${phase}`, origin);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * No usable connection: refused, reset, closed mid-reply, DNS failure, or
 * the TCP/TLS connect itself timed out (the host never answered, which a
 * policy treats like a refusal rather than a slow model).
 */
export class UpstreamConnectionError extends UpstreamError {
  readonly code = "AIGW_UPSTREAM_CONNECTION";
  readonly reason = "connection";
  /** The system or undici error code (`ECONNREFUSED`, `UND_ERR_SOCKET` …). */
  readonly causeCode: string | undefined;

  constructor(origin: ErrorOrigin, detail: string, causeCode?: string) {
    super(`upstream \`${origin.provider}\` connection failed: ${detail}`, origin);
    this.causeCode = causeCode;
  }
}

/**
 * The upstream answered 2xx with something that is not the promised format:
 * invalid JSON, a broken or truncated event stream. It counts as a 502 from
 * that upstream, so `fallback … on 5xx` covers it.
 */
export class UpstreamProtocolError extends UpstreamError {
  readonly code = "AIGW_UPSTREAM_PROTOCOL";
  readonly reason = "502";

  constructor(origin: ErrorOrigin, detail: string) {
    super(`upstream \`${origin.provider}\` sent an invalid reply: ${detail}`, origin);
  }
}

/** The caller's signal aborted the attempt (client gone, overall deadline). */
export class UpstreamAbortedError extends UpstreamError {
  readonly code = "AIGW_UPSTREAM_ABORTED";
  readonly reason = "aborted";

  constructor(origin: ErrorOrigin) {
    super(`request to upstream \`${origin.provider}\` was aborted`, origin);
  }
}

/**
 * The gateway could not get credentials for the upstream (a service
 * account's token exchange failed or its key is unreadable); nothing was
 * sent. Counts as a 502 (the caller's request is fine), so `fallback … on
 * 5xx` covers it. The message never holds the key, the signed assertion or
 * a token.
 */
export class UpstreamAuthError extends UpstreamError {
  readonly code = "AIGW_UPSTREAM_AUTH";
  readonly reason = "502";

  constructor(origin: ErrorOrigin, detail: string) {
    super(`provider \`${origin.provider}\` could not authenticate: ${detail}`, origin);
  }
}

/**
 * The adapter cannot express the request for this provider (e.g. `n > 1`
 * for Anthropic); nothing was sent. Counts as a 400 from that upstream.
 */
export class ProviderRequestError extends UpstreamError {
  readonly code = "AIGW_PROVIDER_REQUEST";
  readonly reason = "400";

  constructor(origin: ErrorOrigin, detail: string) {
    super(`provider \`${origin.provider}\` cannot take this request: ${detail}`, origin);
  }
}

export function isUpstreamError(err: unknown): err is UpstreamError {
  return err instanceof UpstreamError;
}
