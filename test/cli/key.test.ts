import { describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/index.js";
import { startGateway } from "../../runtime/server/index.js";
import { aigw } from "../support/cli.js";

describe("aigw key", () => {
  it("mints a key whose printed keys line lets that caller in, with its labels", async () => {
    const r = await aigw(["key", "--team", "search", "--user", "ana", "--label", "tier=premium"]);
    expect(r.code).toBe(0);
    const key = /^ {2}(aigw_[A-Za-z0-9_-]{43})$/m.exec(r.stdout)![1]!;
    const line = /^ {2}("sha256:[0-9a-f]{64}" .*)$/m.exec(r.stdout)![1]!;
    expect(line).toMatch(/ team "search" user "ana" tier "premium"$/);

    const policy = `provider p { api mock }\nmodel m = p/"m"\nkeys {\n  ${line}\n}\nroute r { when model == "chat" and team == "search" and label("tier") == "premium" to m }\n`;
    const { graph } = compileSources([{ path: "main.route", text: policy }]);
    expect(graph).toBeDefined();
    const gw = await startGateway({ graph: graph!, host: "127.0.0.1", port: 0, world: { env: {} } });
    try {
      const post = (bearer: string) =>
        fetch(`http://127.0.0.1:${gw.port}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }] }),
        });
      const ok = await post(key);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("x-aigw-route")).toBe("r");
      expect((await post(`${key}x`)).status).toBe(401);
    } finally {
      await gw.close(500);
    }
  });

  it("mints a different key every time, and rejects malformed labels", async () => {
    const a = await aigw(["key"]);
    const b = await aigw(["key"]);
    expect(a.stdout).not.toBe(b.stdout);
    expect((await aigw(["key", "--label", "no-equals"])).code).toBe(2);
    expect((await aigw(["key", "extra"])).code).toBe(2);
  });
});
