/**
 * Worst-case bounds as `aigw check` (a summary line, every route in JSON)
 * and `aigw explain` (the chosen route's) show them, and E308 failing the
 * check.
 */
import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { aigw, policyDir } from "../support/cli.js";

const POLICY = `gateway { auth none deadline 2m }
provider p { api mock timeout 30s }
model big = p/"big" { input $2.50/Mtok output $10/Mtok context 128k max_output 16k }
model son = p/"son" { input $3/Mtok output $15/Mtok context 200k max_output 8k }

route premium {
  when model == "chat" and header("x-tier") == "premium"
  to big
  fallback son on 429, 5xx, timeout
  retry 2
  max_latency 2m
}

route chat {
  when model == "chat"
  to son
  max_cost $1
}
`;

const dirs: string[] = [];
const dir = (text: string): string => {
  const d = policyDir({ "main.route": text });
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("worst-case bounds in the CLI", () => {
  it("aigw check: a summary line, and every route's bound in JSON", async () => {
    const d = dir(POLICY);
    const human = await aigw(["check", d]);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("worst case per request: 6 tries (route `premium`), 2m (route `premium`, the deadline), $3.60 (route `premium`)\n");
    const json = JSON.parse((await aigw(["check", d, "--format", "json"])).stdout);
    expect(json.bounds).toEqual([
      { route: "premium", tries: 6, latencyMs: 120_000, deadline: true, cost: expect.closeTo(3 * 0.48 + 3 * 0.72, 9) },
      { route: "chat", tries: 1, latencyMs: 30_000, deadline: false, cost: expect.closeTo(0.72, 9) },
    ]);
  });

  it("aigw check fails with E308 when a route is over its declared bound", async () => {
    const r = await aigw(["check", dir(POLICY.replace("max_cost $1", "max_cost $0.50"))]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("error[E308]: one request on route `chat` can cost $0.72, over its `max_cost $0.50`: son 1 try up to $0.72");
  });

  it("aigw explain: the chosen route's worst case", async () => {
    const d = dir(POLICY);
    const req = dir("");
    const file = `${req}/req.json`;
    (await import("node:fs")).writeFileSync(file, JSON.stringify({ headers: { "x-tier": "premium" }, body: { model: "chat", messages: [{ role: "user", content: "hi" }] } }));
    const r = await aigw(["explain", d, "--request", file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("worst case on route premium: 6 tries, 2m (the deadline), up to $3.60");
  });
});
