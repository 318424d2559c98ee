/**
 * E308: a route's worst case (worst-case.ts) over the bound it declares —
 * `max_latency` or `max_cost`, its own or the gateway's default. Runs on the
 * lowered graph (the bound needs every default applied) and reports at the
 * declared bound, related to the route, with the plan that breaks it.
 */
import type { GatewayDecl, RouteDecl, Setting } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Graph } from "../graph.js";
import { dollarText, durationText } from "../units-text.js";
import type { SymbolTable } from "../symbols.js";
import { routeBound, type PlanStep } from "./worst-case.js";

function settingIn(body: readonly { kind: string }[] | undefined, name: string): Setting | undefined {
  return (body ?? []).find((s): s is Setting => s.kind === "setting" && (s as Setting).name.name === name);
}

/** The plan in words: `gpt-4o 3 tries of 30s with waits 30s, 30s, then sonnet 3 tries of 1m …`. */
export function latencyPath(plan: readonly PlanStep[]): string {
  return plan.map((s) => `${s.model} ${s.tries} ${s.tries === 1 ? "try" : "tries"} of ${durationText(s.timeoutMs)}${s.waitsMs.length ? ` with waits of ${s.waitsMs.map(durationText).join(", ")}` : ""}`).join(", then ");
}

export function costPath(plan: readonly PlanStep[]): string {
  return plan.map((s) => `${s.model} ${s.tries} ${s.tries === 1 ? "try" : "tries"} up to ${dollarText(s.cost)}`).join(", then ");
}

function declared(route: RouteDecl | undefined, gateway: GatewayDecl | undefined, name: string): { setting: Setting; own: boolean } | undefined {
  const own = settingIn(route?.body, name);
  if (own) return { setting: own, own: true };
  const dflt = gateway?.settings.find((s) => s.name.name === name);
  return dflt ? { setting: dflt, own: false } : undefined;
}

export function checkBounds(graph: Graph, symbols: SymbolTable): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const route of graph.routes) {
    const maxLatency = route.maxLatencyMs ?? graph.gateway.maxLatencyMs;
    const maxCost = route.maxCost ?? graph.gateway.maxCost;
    if (maxLatency === undefined && maxCost === undefined) continue;
    const decl = symbols.routesByName.get(route.name);
    const b = routeBound(graph, route);
    const related = decl ? { related: { message: `route \`${route.name}\` is declared here`, span: decl.name.span } } : {};
    const whose = (own: boolean): string => (own ? "its" : "the gateway's default");
    const latency = declared(decl, symbols.gateway, "max_latency");
    if (maxLatency !== undefined && latency && b.latencyMs > maxLatency) {
      const capped = b.uncappedMs > b.latencyMs ? ` (the deadline; ${durationText(b.uncappedMs)} without it)` : "";
      out.push(
        diagnostic("E308", `route \`${route.name}\` can take ${durationText(b.latencyMs)}${capped}, over ${whose(latency.own)} \`max_latency ${durationText(maxLatency)}\`: ${latencyPath(b.latencyPlan)}`, latency.setting.span, {
          ...related,
          help: "lower the route's `timeout` or `retry`, shorten its fallback list, or raise `max_latency`",
        }),
      );
    }
    const cost = declared(decl, symbols.gateway, "max_cost");
    if (maxCost !== undefined && cost && b.cost > maxCost) {
      const why = b.cost === Infinity ? `has no bound (${b.unbounded.map((m) => `\`${m}\``).join(", ")} declare${b.unbounded.length === 1 ? "s" : ""} neither \`context\` nor \`max_output\`)` : `can cost ${dollarText(b.cost)}`;
      out.push(
        diagnostic("E308", `one request on route \`${route.name}\` ${why}, over ${whose(cost.own)} \`max_cost ${dollarText(maxCost)}\`: ${costPath(b.costPlan)}`, cost.setting.span, {
          ...related,
          help: b.cost === Infinity ? "declare the models' `context` and `max_output`" : "route to cheaper models, lower `retry`, shorten the fallback list, declare a smaller `max_output`, or raise `max_cost`",
        }),
      );
    }
  }
  return out;
}
