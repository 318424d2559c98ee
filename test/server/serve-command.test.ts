/**
 * `aigw serve` in-process: refuses a policy that does not compile, reports
 * the HTTP engine, the address and the policy version, serves, and shuts
 * down gracefully on SIGTERM with exit code 0.
 */
import { describe, expect, it } from "vitest";
import type { Io } from "../../cli/io.js";
import { serveCommand } from "../../cli/commands/serve.js";
import type { Gateway } from "../../runtime/server/app.js";
import { policyDir } from "../support/cli.js";
import { hello, KEY_HASH, postChat } from "./helpers.js";

function captureIo(): { io: Io; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), isTty: false, env: {}, cwd: process.cwd() };
  return { io, out: () => out, err: () => err };
}

const GOOD = `
provider demo { api mock }
keys { "${KEY_HASH}" team "search" }
model fast = demo/"mock-fast"
route chat { when model == "chat"  to fast }
`;

describe("aigw serve", () => {
  it("refuses to start when the policy does not compile, printing the diagnostics", async () => {
    const dir = policyDir({ "main.route": `route chat { to nowhere }\n` });
    const { io, err } = captureIo();
    const code = await serveCommand([dir, "--port", "0"], io, { stop: new Promise(() => {}) });
    expect(code).toBe(1);
    expect(err()).toContain("nowhere");
    expect(err()).toContain("refusing to start");
  });

  it("serves the policy, logs engine, address and version, and stops on SIGTERM with 0", async () => {
    const dir = policyDir({ "main.route": GOOD });
    const { io, out, err } = captureIo();
    let gateway!: Gateway;
    const listening = new Promise<void>((resolve) => {
      void serveCommand([dir, "--port", "0", "--host", "127.0.0.1"], io, { onListening: (g) => ((gateway = g), resolve()) }).then((code) => {
        exit = code;
      });
    });
    let exit: number | undefined;
    await listening;
    expect(err()).toMatch(/http engine: uWebSockets\.js (native binding|node:http fallback)/);
    expect(err()).toContain(`listening on http://127.0.0.1:${gateway.port}`);
    expect(err()).toContain(`policy ${gateway.graph.policy}`);

    const r = await postChat(`http://127.0.0.1:${gateway.port}`, hello());
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    const line = JSON.parse(out().trim().split("\n").at(-1)!);
    expect(line).toMatchObject({ msg: "request", status: 200, route: "chat", target: "fast" });
    // The engine is a metric too, so a gateway that fell back to node:http can be alerted on.
    const metrics = await (await fetch(`http://127.0.0.1:${gateway.port}/metrics`)).text();
    const label = gateway.engine.kind === "fallback" ? "node" : gateway.engine.build === "glibc-compat" ? "uws-glibc-compat" : "uws";
    expect(metrics).toContain(`aigw_http_engine_info{engine="${label}"} 1`);

    process.emit("SIGTERM");
    for (let i = 0; i < 100 && exit === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    expect(exit).toBe(0);
    expect(err()).toContain("shutting down");
  });
});
