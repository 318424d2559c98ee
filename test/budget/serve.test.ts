/**
 * `aigw serve` wiring of the state store: the default SQLite file lands in
 * the policy directory, budgets are charged through it, `GET /admin/budgets`
 * lists them, and the counters survive a restart (the store is closed at
 * shutdown and reopened).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Io } from "../../cli/io.js";
import { serveCommand } from "../../cli/commands/serve.js";
import type { Gateway } from "../../runtime/server/app.js";
import { policyDir } from "../support/cli.js";
import { KEY, KEY_HASH } from "../server/helpers.js";

const POLICY = `
gateway { admin_token env("ADMIN") }
keys { "${KEY_HASH}" team "search" }
provider p { api mock }
model big = p/"big" { input $1000/Mtok output $2000/Mtok context 8k }
budget b { per team limit $10 per day exceeded reject }
route r { when model == "chat" budget b to big }
`;

async function run(dir: string, body: (base: string) => Promise<void>): Promise<void> {
  const io: Io = { out: () => {}, err: () => {}, isTty: false, env: { ADMIN: "secret" }, cwd: process.cwd() };
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  let gateway!: Gateway;
  let served!: Promise<number>;
  await new Promise<void>((resolve) => {
    served = serveCommand([dir, "--port", "0"], io, { stop: stopped, onListening: (g) => ((gateway = g), resolve()) });
  });
  try {
    await body(`http://127.0.0.1:${gateway.port}`);
  } finally {
    stop();
    expect(await served).toBe(0); // the store is closed before serveCommand returns
  }
}

async function spent(base: string): Promise<number> {
  const res = await fetch(`${base}/admin/budgets`, { headers: { authorization: "Bearer secret" } });
  const body = (await res.json()) as { budgets: { spent: number; reserved: number }[] };
  return body.budgets[0]?.spent ?? 0;
}

describe("aigw serve with a state store", () => {
  it("opens the default sqlite file in the policy directory and keeps spend across a restart", async () => {
    const dir = policyDir({ "main.route": POLICY });
    let first = 0;
    await run(dir, async (base) => {
      const res = await fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }], max_tokens: 5 }),
      });
      expect(res.status).toBe(200);
      first = await spent(base);
      expect(first).toBeGreaterThan(0);
    });
    expect(existsSync(join(dir, ".aigw", "state.db"))).toBe(true);
    await run(dir, async (base) => expect(await spent(base)).toBe(first));
  });
});
