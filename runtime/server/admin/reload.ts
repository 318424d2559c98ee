/**
 * The reload admin endpoints, behind the admin token (admin.ts):
 *
 *   GET  /admin/policy   the version serving (hash, source, git commit,
 *                        loaded at), the last refused attempts with their
 *                        diagnostics and failed tests, and the counters
 *   POST /admin/reload   reload now; answers when done: 200 with the
 *                        active policy (`applied` or `unchanged`), or 422
 *                        with the refusal (the last good policy serves on)
 */
import { requireAdmin, type RouteTable } from "./guard.js";
import type { HeaderList } from "../http.js";
import type { Reloader } from "../reload/reloader.js";

const JSON_HEADERS: HeaderList = [
  ["content-type", "application/json"],
  ["cache-control", "no-store"],
];

/** The routes to pass as `GatewayOptions.routes`; the token is read from the serving policy's `admin_token`. */
export function reloadRoutes(reloader: Reloader, env: Readonly<Record<string, string | undefined>>): RouteTable {
  return {
    "/admin/policy": {
      GET: (req, res) => {
        requireAdmin(req, reloader.graph, env);
        res.send(200, JSON_HEADERS, JSON.stringify(reloader.status()));
      },
    },
    "/admin/reload": {
      POST: async (req, res) => {
        requireAdmin(req, reloader.graph, env);
        const outcome = await reloader.reload("admin");
        res.send(outcome.status === "rejected" ? 422 : 200, JSON_HEADERS, JSON.stringify(outcome));
      },
    },
  };
}
