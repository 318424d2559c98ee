/** Extra routes and the admin guard shared by every admin endpoint. */
import { afterEach, describe, expect, it } from "vitest";
import { requireAdmin, type RouteTable } from "../../runtime/server/admin/index.js";
import { closeGateways, policy, serve } from "./helpers.js";

const TOKEN = "admin-secret-0123456789";
const withToken = policy(`
gateway { auth none admin_token env("AIGW_ADMIN_TOKEN") }
provider demo { api mock }
model m = demo/"m"
route chat { when model == "chat" to m }
`);
const withoutToken = policy(`
gateway { auth none }
provider demo { api mock }
model m = demo/"m"
route chat { when model == "chat" to m }
`);

function routesFor(graph: typeof withToken, env: Record<string, string>): RouteTable {
  return {
    "/admin/ping": {
      GET: (req, res) => {
        requireAdmin(req, graph, env);
        res.send(200, [["content-type", "application/json"]], '{"pong":true}');
      },
    },
  };
}

afterEach(closeGateways);

describe("admin endpoints", () => {
  it("answer only with the admin token, and never echo it", async () => {
    const env = { AIGW_ADMIN_TOKEN: TOKEN };
    const { base } = await serve(withToken, { world: { env }, routes: routesFor(withToken, env) });
    const get = (auth?: string) => fetch(`${base}/admin/ping`, { headers: auth ? { authorization: auth } : {} });
    const none = await get();
    expect(none.status).toBe(401);
    const wrong = await get(`Bearer ${TOKEN}x`);
    expect(wrong.status).toBe(401);
    const wrongBody = await wrong.text();
    expect(wrongBody).toContain("admin");
    expect(wrongBody).not.toContain(TOKEN);
    const ok = await get(`Bearer ${TOKEN}`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ pong: true });
  });

  it("do not exist (404) when the policy sets no admin token", async () => {
    const env = {};
    const { base } = await serve(withoutToken, { world: { env }, routes: routesFor(withoutToken, env) });
    const res = await fetch(`${base}/admin/ping`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(404);
  });
});
