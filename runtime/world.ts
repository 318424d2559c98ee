/**
 * The world outside the runtime, in one object: clocks, randomness, sleeping
 * and the environment. The server builds it once (real by default) and
 * hands it down; tests pass a fixed one. Nothing below reads `Date.now`,
 * `Math.random`, timers or `process.env` itself on the request path.
 */
import { realSleep, type Sleep } from "./providers/index.js";

export interface World {
  /** Wall clock, milliseconds since the epoch (deadlines, budget windows, reset times). */
  readonly now: () => number;
  /** Monotonic clock, fractional milliseconds (durations in logs, metrics and spans). */
  readonly monotonic: () => number;
  /** Uniform in [0, 1): split draws, backoff jitter, request-id prefixes. */
  readonly random: () => number;
  /** Abortable sleep, for backoff. */
  readonly sleep: Sleep;
  /** Where `env("…")` secrets are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The real world: `Date.now`, `performance.now`, `Math.random`, a timer, `process.env`; `parts` replace any of them. */
export function realWorld(parts: Partial<World> = {}): World {
  return {
    now: parts.now ?? Date.now,
    monotonic: parts.monotonic ?? (() => performance.now()),
    random: parts.random ?? Math.random,
    sleep: parts.sleep ?? realSleep,
    env: parts.env ?? process.env,
  };
}
