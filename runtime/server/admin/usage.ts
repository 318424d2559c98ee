/**
 * The usage endpoints behind the admin token (guard.ts), the data of the
 * `/ui` dashboard and of `aigw usage --url`:
 *
 *   GET /admin/usage?since=7d&until=now&by=team&step=1d
 *                        the ledger's report (runtime/usage/report.ts): the
 *                        same JSON `aigw usage --format json` prints offline;
 *                        cells not yet flushed are flushed first, so it is
 *                        current to the request
 *   GET /admin/requests?id=ID
 *                        a recent request's decision record (route, file:line,
 *                        every try), or the latest ids without `id`
 *   GET /admin/health    targets ejected now and ejections so far (per instance)
 */
import type { Graph } from "../../../compiler/graph.js";
import { GatewayError } from "../../pipeline/errors.js";
import type { RecentRequests } from "../../observe/recent.js";
import type { HealthReader } from "../../observe/metrics.js";
import { parseUsageQuery, usageReport, UsageQueryError, type UsageLedger } from "../../usage/index.js";
import type { HeaderList } from "../http.js";
import { requireAdmin, type RouteTable } from "./guard.js";

const JSON_HEADERS: HeaderList = [
  ["content-type", "application/json"],
  ["cache-control", "no-store"],
];

export interface UsageRouteOptions {
  ledger: UsageLedger;
  recent: RecentRequests;
  health: HealthReader;
  graph: () => Graph;
  env: Readonly<Record<string, string | undefined>>;
  /** Wall clock, epoch ms: what `now` means in a query. */
  now: () => number;
}

export function usageRoutes(o: UsageRouteOptions): RouteTable {
  return {
    "/admin/usage": {
      GET: async (req, res) => {
        requireAdmin(req, o.graph(), o.env);
        const p = new URLSearchParams(req.query);
        let q;
        try {
          q = parseUsageQuery({ since: p.get("since") ?? undefined, until: p.get("until") ?? undefined, by: p.get("by") ?? undefined, step: p.get("step") ?? undefined }, o.now());
        } catch (err) {
          if (err instanceof UsageQueryError) throw new GatewayError("invalid_request", err.message, { param: err.param });
          throw err;
        }
        await o.ledger.flush();
        const rows = await o.ledger.usageStore.rows(q.since, q.until);
        res.send(200, JSON_HEADERS, JSON.stringify(usageReport(rows, q)));
      },
    },
    "/admin/requests": {
      GET: (req, res) => {
        requireAdmin(req, o.graph(), o.env);
        const id = new URLSearchParams(req.query).get("id");
        if (id === null || id === "") {
          res.send(200, JSON_HEADERS, JSON.stringify({ latest: o.recent.latest(20), capacity: o.recent.capacity }));
          return;
        }
        const entry = o.recent.get(id);
        if (entry === undefined) throw new GatewayError("not_found", `no recent request has the id \`${id.slice(0, 100)}\` (the last ${o.recent.capacity} are kept)`, { param: "id" });
        res.send(200, JSON_HEADERS, JSON.stringify(entry));
      },
    },
    "/admin/health": {
      GET: (req, res) => {
        requireAdmin(req, o.graph(), o.env);
        const ejections: { target: string; cause: string; count: number }[] = [];
        for (const [key, count] of o.health.ejections) {
          const sep = key.indexOf("\u0000");
          ejections.push({ target: key.slice(0, sep), cause: key.slice(sep + 1), count });
        }
        const targets = [...o.health.readings()].map((t) => ({ target: t.model, healthy: t.healthy }));
        res.send(200, JSON_HEADERS, JSON.stringify({ targets, ejections }));
      },
    },
  };
}
