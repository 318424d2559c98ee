/**
 * Counter keys: stable names built from the policy's own names, so counters
 * survive a reload or a restart and a renamed budget starts afresh. Policy
 * names never contain `:` (lang/tokens.ts), so a key splits back unambiguously
 * even when the scope value (a key hash `sha256:…`, a team name) does.
 */

/** What a rate-limit counter counts. */
export type LimitMeasure = "requests" | "tokens" | "concurrent";

/** The key of budget `budget` for one scope value (`budget:team-daily:search`). */
export function budgetKey(budget: string, scopeValue: string): string {
  return interned(BUDGET_KEYS, budget, scopeValue, () => `budget:${budget}:${scopeValue}`);
}

/** The key of one measure of limit `limit` for one scope value (`limit:per-key:tokens:sha256:…`). */
export function limitKey(limit: string, measure: LimitMeasure, scopeValue: string): string {
  return interned(measure === "requests" ? REQUEST_KEYS : TOKEN_KEYS, limit, scopeValue, () => `limit:${limit}:${measure}:${scopeValue}`);
}

/**
 * The same key string for the same parts, request after request: a store
 * looks every key up in a map, and a string built anew must be flattened
 * and hashed for each lookup (the scope value is a ~70-character key hash),
 * where the one kept here carries its hash. Bounded (cleared when full),
 * since scope values such as `user` come from callers.
 */
type Interned = Map<string, Map<string, string>>;
const BUDGET_KEYS: Interned = new Map();
const REQUEST_KEYS: Interned = new Map();
const TOKEN_KEYS: Interned = new Map();
const INTERNED_LIMIT = 4096;

function interned(keys: Interned, name: string, scopeValue: string, build: () => string): string {
  let byScope = keys.get(name);
  if (byScope === undefined) {
    if (keys.size >= INTERNED_LIMIT) keys.clear();
    keys.set(name, (byScope = new Map()));
  }
  let key = byScope.get(scopeValue);
  if (key === undefined) {
    if (byScope.size >= INTERNED_LIMIT) byScope.clear();
    byScope.set(scopeValue, (key = build()));
  }
  return key;
}

/** A key split back into its parts. */
export type ParsedKey =
  | { kind: "budget"; name: string; scopeValue: string }
  | { kind: "limit"; name: string; measure: LimitMeasure; scopeValue: string };

/** Splits a key made by {@link budgetKey} or {@link limitKey}; undefined for any other string. */
export function parseKey(key: string): ParsedKey | undefined {
  const a = key.indexOf(":");
  const b = a < 0 ? -1 : key.indexOf(":", a + 1);
  if (b < 0) return undefined;
  const kind = key.slice(0, a);
  const name = key.slice(a + 1, b);
  if (name === "") return undefined;
  if (kind === "budget") return { kind, name, scopeValue: key.slice(b + 1) };
  if (kind !== "limit") return undefined;
  const c = key.indexOf(":", b + 1);
  const measure = c < 0 ? "" : key.slice(b + 1, c);
  if (measure !== "requests" && measure !== "tokens") return undefined;
  return { kind, name, measure, scopeValue: key.slice(c + 1) };
}
