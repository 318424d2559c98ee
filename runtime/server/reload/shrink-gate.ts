/**
 * The reload gate's last check: a policy that passes `aigw check` may still
 * be a mistake no test catches — a half-saved file that happens to parse, a
 * bad merge — whose cost is every caller failing at once. A reload is
 * refused when, compared with the policy serving, the new one
 * - has no route left (every request would be a 404),
 * - has no key left while it authenticates with keys (every caller a 401),
 * - or removes more than `reload_max_drop` of the serving routes (by name;
 *   default 50%).
 * The new policy opts out with `gateway { reload_max_drop 100% }` (which
 * allows all three) or a higher share. Start-up has nothing to compare
 * with and is not gated. Pure: graphs in, a reason or nothing out.
 */
import type { Graph } from "../../../compiler/graph.js";

/** `reload_max_drop` when a graph leaves it out: compiler/settings.ts's default, repeated so serving never loads the compiler. */
export const DEFAULT_RELOAD_MAX_DROP = 50;

/** Why `next` may not replace `serving`, or undefined when it may. */
export function shrinkRefusal(serving: Graph, next: Graph): string | undefined {
  const maxDrop = next.gateway.reloadMaxDrop ?? DEFAULT_RELOAD_MAX_DROP;
  if (maxDrop >= 100) return undefined;
  const optOut = "(set `reload_max_drop 100%` in its `gateway` block to allow it)";
  const before = serving.routes.map((r) => r.name);
  if (before.length > 0 && next.routes.length === 0) return `the new policy has no route: every request would be refused ${optOut}`;
  if (next.gateway.auth === "keys" && Object.keys(serving.keys).length > 0 && Object.keys(next.keys).length === 0) {
    return `the new policy has no key while \`auth keys\`: every caller would be refused ${optOut}`;
  }
  const kept = new Set(next.routes.map((r) => r.name));
  const removed = before.filter((name) => !kept.has(name));
  if (before.length > 0 && (removed.length / before.length) * 100 > maxDrop) {
    const names = removed.slice(0, 5).map((n) => `\`${n}\``).join(", ") + (removed.length > 5 ? ", …" : "");
    return `the new policy removes ${removed.length} of ${before.length} routes (${names}), more than \`reload_max_drop\` allows (${maxDrop}%) ${optOut.replace("100%", "N%")}`;
  }
  return undefined;
}
