/**
 * Request ids: the client's `x-request-id` when it is a sane token (so ids
 * correlate across systems), else a fresh one. Fresh ids are a per-process
 * random prefix and a counter: unique, cheap, and deterministic under a
 * seeded random source.
 */

const SANE = /^[A-Za-z0-9._:\-]{1,128}$/;

/** Makes request ids; `random` is drawn once, for the prefix. */
export function requestIds(random: () => number): (given: string | undefined) => string {
  const prefix = "req_" + Math.floor(random() * 36 ** 8).toString(36).padStart(8, "0") + "_";
  let counter = 0;
  return (given) => (given !== undefined && SANE.test(given) ? given : prefix + (++counter).toString(36));
}
