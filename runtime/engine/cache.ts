/**
 * Whether a route's response cache takes part in a request, decided purely
 * from the prepared route and the request's facts, so the server's cache
 * step and the policy tests (`given cache hit`, `expect cache …`) can never
 * disagree (lang/SPEC.md §4.9):
 *
 * - no cache on the route: `none`;
 * - the cache's `when` is false: `ineligible` (neither read nor written);
 * - the caller sent `cache-control: no-cache` (or `no-store`) or
 *   `x-aigw-cache: bypass` and the cache says `bypass allowed`: `bypass`
 *   (not read; the fresh reply refreshes the entry, except with `no-store`);
 *   with `bypass denied` the headers are ignored;
 * - otherwise `lookup`, in the partition of the cache's scope.
 *
 * The scope value partitions entries by caller. A caller without the label
 * a `team` or `user` scope names falls back to its own key, never to a
 * partition shared by every caller who lacks the label.
 */
import type { CacheScope } from "../../compiler/graph.js";
import type { Facts } from "./facts.js";
import type { PreparedCache, PreparedRoute } from "./prepare.js";

export type CacheVerdict =
  | { readonly kind: "none" }
  | { readonly kind: "ineligible"; readonly cache: PreparedCache }
  | { readonly kind: "bypass"; readonly cache: PreparedCache; readonly scope: string; readonly store: boolean }
  | { readonly kind: "lookup"; readonly cache: PreparedCache; readonly scope: string };

const NONE: CacheVerdict = Object.freeze({ kind: "none" });

/** The verdict for a request that matched `route`. */
export function cacheVerdict(route: PreparedRoute, facts: Facts): CacheVerdict {
  const cache = route.cache;
  if (cache === undefined) return NONE;
  if (cache.when !== undefined && !cache.when(facts, facts.text)) return { kind: "ineligible", cache };
  const scope = scopeValue(cache.node.scope, facts);
  const asked = bypassAsked(facts.headers);
  if (asked !== undefined && cache.node.bypass === "allowed") return { kind: "bypass", cache, scope, store: asked === "refresh" };
  return { kind: "lookup", cache, scope };
}

/** What the caller's headers ask of caches: skip and refresh, skip and store nothing, or nothing. */
export function bypassAsked(headers: Readonly<Record<string, string>>): "refresh" | "no-store" | undefined {
  const directives = (headers["cache-control"] ?? "").toLowerCase().split(",").map((d) => d.trim());
  if (directives.includes("no-store")) return "no-store";
  if (directives.includes("no-cache") || (headers["x-aigw-cache"] ?? "").trim().toLowerCase() === "bypass") return "refresh";
  return undefined;
}

/** The partition of a cache's entries the request reads and writes. */
export function scopeValue(scope: CacheScope, facts: Facts): string {
  const key = `key:${facts.key ?? "anonymous"}`;
  switch (scope) {
    case "global":
      return "global";
    case "key":
      return key;
    case "team":
      return facts.team !== undefined ? `team:${facts.team}` : key;
    case "user":
      return facts.user !== undefined ? `user:${facts.user}` : key;
  }
}
