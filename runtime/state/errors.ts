/**
 * Typed errors of the state stores, each with a stable code, so the server
 * can tell a misconfiguration (no Redis URL) from a store that went away.
 */

/** Stable codes of {@link StateError}. */
export type StateErrorCode =
  /** A call broke the store's contract (a negative or fractional amount, a key twice in one batch). */
  | "AIGW_STATE_BAD_ARGUMENT"
  /** The store was closed. */
  | "AIGW_STATE_CLOSED"
  /** `state redis(env("NAME"))` but NAME is unset or empty. */
  | "AIGW_STATE_REDIS_URL_UNSET"
  /** The SQLite file or its directory could not be opened or created. */
  | "AIGW_STATE_OPEN_FAILED";

/** A failure of a state store; `code` is stable, the message is for people. */
export class StateError extends Error {
  constructor(
    readonly code: StateErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StateError";
  }
}
