/**
 * `GET /admin/shadow`, behind the admin token (guard.ts): the shadow
 * candidate (`aigw serve --shadow`) — its version and source, or why it is
 * not loaded — how many live requests it decided and how many it decided
 * differently, counts by route pair and kind, and the latest differences
 * with their witnesses (runtime/shadow).
 */
import type { Graph } from "../../../compiler/graph.js";
import type { Shadow } from "../../shadow/index.js";
import type { HeaderList } from "../http.js";
import { requireAdmin, type RouteTable } from "./guard.js";

const JSON_HEADERS: HeaderList = [
  ["content-type", "application/json"],
  ["cache-control", "no-store"],
];

/** The route to pass as `GatewayOptions.routes`; the token is read from the serving policy's `admin_token`. */
export function shadowRoutes(shadow: Shadow, graph: () => Graph, env: Readonly<Record<string, string | undefined>>): RouteTable {
  return {
    "/admin/shadow": {
      GET: (req, res) => {
        requireAdmin(req, graph(), env);
        res.send(200, JSON_HEADERS, JSON.stringify(shadow.status()));
      },
    },
  };
}
