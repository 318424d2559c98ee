/**
 * The one place that turns a failure into an HTTP response: an
 * OpenAI-style JSON error `{ "error": { message, type, param, code } }` with
 * the right status. Steps throw or return a {@link GatewayError}; anything
 * else is an internal error whose details stay in the log, never in the
 * response (provider keys and upstream bodies must not leak to callers).
 * Upstream failures arrive already redacted by the adapters (their typed
 * errors never carry keys), so their messages may be shown.
 */
import { isUpstreamError, UpstreamStatusError, type UpstreamError } from "../providers/index.js";

/** Stable error codes; each fixes the HTTP status and the OpenAI `type`. */
export const ERROR_KINDS = {
  invalid_json: { status: 400, type: "invalid_request_error" },
  invalid_request: { status: 400, type: "invalid_request_error" },
  blocked_by_guardrail: { status: 400, type: "invalid_request_error" },
  unsupported_by_targets: { status: 400, type: "invalid_request_error" },
  invalid_api_key: { status: 401, type: "authentication_error" },
  not_found: { status: 404, type: "invalid_request_error" },
  model_not_found: { status: 404, type: "invalid_request_error" },
  /** A requested name a wildcard target may not send upstream (runtime/engine/wildcard.ts). */
  invalid_model: { status: 400, type: "invalid_request_error" },
  method_not_allowed: { status: 405, type: "invalid_request_error" },
  request_timeout: { status: 408, type: "invalid_request_error" },
  request_too_large: { status: 413, type: "invalid_request_error" },
  unsupported_media_type: { status: 415, type: "invalid_request_error" },
  request_headers_too_large: { status: 431, type: "invalid_request_error" },
  rate_limited: { status: 429, type: "rate_limit_error" },
  budget_exceeded: { status: 429, type: "insufficient_quota" },
  /** A route that says `reject STATUS "…"`: the status (and with it the type) is the route's, this is the default. */
  rejected_by_route: { status: 403, type: "permission_error" },
  upstream_error: { status: 502, type: "api_error" },
  upstream_timeout: { status: 504, type: "timeout_error" },
  shutting_down: { status: 503, type: "server_error" },
  state_unavailable: { status: 503, type: "server_error" },
  auth_unavailable: { status: 503, type: "server_error" },
  guard_unavailable: { status: 503, type: "server_error" },
  internal_error: { status: 500, type: "server_error" },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof ERROR_KINDS;

/** Optional parts of a {@link GatewayError}. */
export interface GatewayErrorOptions {
  /** The request field at fault, as a JSON path (`messages[2].content`). */
  param?: string | null;
  /** Extra response headers (e.g. `retry-after`). */
  headers?: ReadonlyArray<readonly [string, string]>;
  /** The status and type when the policy chooses them (`reject 451 "…"`), instead of the code's. */
  status?: number;
  type?: string;
}

/** A failure the gateway answers on purpose; the message is shown to the caller. */
export class GatewayError extends Error {
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message);
    this.status = options.status ?? ERROR_KINDS[code].status;
    this.type = options.type ?? ERROR_KINDS[code].type;
    this.param = options.param ?? null;
    this.headers = options.headers ?? [];
  }
}

/** What the server writes for an error. */
export interface ErrorReply {
  status: number;
  body: string;
  headers: ReadonlyArray<readonly [string, string]>;
  /** Set for unexpected errors: what to log (never sent to the caller). */
  internal?: unknown;
}

/** The JSON body of an error, as a string. */
export function errorBody(code: string, type: string, message: string, param: string | null): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

/** A failure's parts, for an API that writes errors in its own shape. */
export interface ErrorInfo {
  status: number;
  code: string;
  type: string;
  message: string;
}

/** The parts of any failure, as {@link toErrorReply} would show them. */
export function errorInfo(err: unknown): ErrorInfo {
  if (isUpstreamError(err)) err = fromUpstream(err);
  if (err instanceof GatewayError) return { status: err.status, code: err.code, type: err.type, message: err.message };
  const k = ERROR_KINDS.internal_error;
  return { status: k.status, code: "internal_error", type: k.type, message: "internal error" };
}

/** Maps any failure to the reply sent to the caller. */
export function toErrorReply(err: unknown): ErrorReply {
  if (isUpstreamError(err)) err = fromUpstream(err);
  if (err instanceof GatewayError) {
    return { status: err.status, body: errorBody(err.code, err.type, err.message, err.param), headers: err.headers };
  }
  const k = ERROR_KINDS.internal_error;
  return { status: k.status, body: errorBody("internal_error", k.type, "internal error", null), headers: [], internal: err };
}

/** The SSE event that ends a stream which failed after its first byte was sent. */
export function errorEvent(err: unknown): string {
  const r = toErrorReply(err);
  return `data: ${r.body}\n\n`;
}

/** An upstream failure that reaches the caller directly (a stream cut after its first byte). */
export function fromUpstream(err: UpstreamError): GatewayError {
  return err.reason === "timeout" ? new GatewayError("upstream_timeout", err.message) : new GatewayError("upstream_error", err.message);
}

/** The engine's final attempts error (`AttemptsError`), in the parts used here. */
export interface AttemptsFailure {
  code: string;
  status: number;
  /** Names every try and why it failed. */
  message: string;
}

/**
 * The caller-facing error when a plan is used up. The engine already chose
 * the status (`callerStatus` in runtime/engine/attempts.ts: 429, 400, 413,
 * 504 or 502); this picks the error kind for it. The message names every
 * try and ends with what the last one reported (already redacted), so a
 * 502 for an HTML page or a cut body says so. A 429 keeps the upstream's
 * `Retry-After`.
 */
export function attemptsError(e: AttemptsFailure, last: UpstreamError | undefined): GatewayError {
  const message = last ? `${e.message}; ${last.message}` : e.message;
  switch (e.status) {
    case 504:
      return new GatewayError("upstream_timeout", message);
    case 429: {
      const after = last instanceof UpstreamStatusError ? last.retryAfterMs : undefined;
      return new GatewayError("rate_limited", message, { headers: after === undefined ? [] : [["retry-after", String(Math.ceil(after / 1000))]] });
    }
    case 400:
      return new GatewayError("invalid_request", message);
    case 413:
      return new GatewayError("request_too_large", message);
    default:
      return new GatewayError("upstream_error", message);
  }
}
