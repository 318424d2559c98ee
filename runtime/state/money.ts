/**
 * Dollars ↔ micro-dollars. Stores count money in integer micro-dollars so
 * that millions of small charges add up exactly; the policy and the
 * StateView speak dollars. Convert at the store's edge, here.
 */

/** Micro-dollars per dollar. */
export const MICROS_PER_DOLLAR = 1_000_000;

/**
 * Dollars to whole micro-dollars. `nearest` for declared amounts (a `$200`
 * limit is exactly 200,000,000); `up` for costs computed from prices, so a
 * reservation is never below the cost it covers (float noise such as
 * `150.00000000000003` is not rounded up to 151).
 */
export function dollarsToMicros(dollars: number, rounding: "nearest" | "up" = "nearest"): number {
  const micros = dollars * MICROS_PER_DOLLAR;
  return rounding === "nearest" ? Math.round(micros) : Math.ceil(micros - 1e-6);
}

/** Micro-dollars to dollars (for the StateView, logs and admin output). */
export function microsToDollars(micros: number): number {
  return micros / MICROS_PER_DOLLAR;
}
