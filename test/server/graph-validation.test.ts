/** The runtime refuses any graph that fails the schema, at start and on a swap. */
import { afterEach, describe, expect, it } from "vitest";
import type { Graph } from "../../compiler/graph.js";
import { InvalidGraphError, startGateway } from "../../runtime/server/index.js";
import { closeGateways, hello, policy, serve } from "./helpers.js";

const good = policy(`
gateway { auth none }
provider demo { api mock }
model m = demo/"m"
route chat { when model == "chat" to m }
`);

function broken(): Graph {
  const g = structuredClone(good) as unknown as { routes: { target: unknown }[] };
  g.routes[0]!.target = { kind: "nowhere" };
  return g as unknown as Graph;
}

afterEach(closeGateways);

describe("graph validation at load", () => {
  it("refuses to start on a graph that fails the schema", async () => {
    await expect(startGateway({ graph: broken(), host: "127.0.0.1", port: 0, world: { env: {} } })).rejects.toBeInstanceOf(InvalidGraphError);
  });

  it("refuses a swap to an invalid graph and keeps serving the last good one", async () => {
    const { gw, client } = await serve(good);
    expect(() => gw.setGraph(broken())).toThrow(InvalidGraphError);
    expect(gw.graph.policy).toBe(good.policy);
    const res = await client.chat.completions.create(hello("chat"));
    expect(res.choices[0]?.message.content).toMatch(/^mock:/);
  });
});
