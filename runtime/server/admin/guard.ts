/**
 * Admin endpoints share one guard: a bearer token compared in constant time
 * with the value of the policy's `admin_token env("…")`. Without a token
 * configured, admin endpoints answer 404 (they do not exist), so a policy
 * cannot expose them by accident. The token never appears in a response or
 * a log line.
 */
import { timingSafeEqual } from "node:crypto";
import type { Graph } from "../../../compiler/graph.js";
import { bearerToken } from "../../pipeline/auth.js";
import { GatewayError } from "../../pipeline/errors.js";
import type { HttpRequest, HttpResponse } from "../uws.js";

export type Handler = (req: HttpRequest, res: HttpResponse) => void | Promise<void>;

/** Extra routes mounted by the caller of `startGateway`: path → method → handler. */
export type RouteTable = Record<string, Record<string, Handler>>;

/**
 * Throws the right `GatewayError` unless `req` carries the admin token of
 * `graph` (read from `env`): 404 when no token is configured, 401 otherwise.
 */
export function requireAdmin(req: HttpRequest, graph: Graph, env: Readonly<Record<string, string | undefined>>): void {
  const ref = graph.gateway.adminToken;
  const expected = ref ? env[ref.env] : undefined;
  if (!expected) throw new GatewayError("not_found", `unknown path \`${req.method} ${req.path}\` (admin endpoints need \`admin_token\` in the gateway block)`);
  const given = bearerToken(req.headers["authorization"]);
  if (given === undefined || !sameSecret(given, expected)) throw new GatewayError("invalid_api_key", "admin endpoints need `authorization: Bearer <admin token>`");
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
