/**
 * Hot reload never serves a half-written policy: a real `aigw serve --watch`
 * under live traffic sees its unchanged policy rewritten in place, not
 * atomically, 20 times (truncate, write a part, pause 60 ms, write the
 * rest — the part being nothing, or everything up to the routes, either of
 * which compiles to a policy that refuses every request). Not one request
 * may get a 401 or 404. Then the reload gate: a saved policy that removes
 * most routes is refused (counted as `refused`, shown in /admin/policy)
 * while the old one keeps serving, until the policy opts in with
 * `reload_max_drop 100%`.
 */
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync, writeSync, ftruncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KEY, KEY_HASH } from "../server/helpers.js";
import { sleep, startServeChild, stopServeChildren } from "./edge-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "aigw-reload-gate-"));
const ADMIN = "reload-gate-admin-token-0001";

afterAll(async () => {
  await stopServeChildren();
  rmSync(dir, { recursive: true, force: true });
});

const HEAD = `
gateway { state memory  admin_token env("AIGW_TEST_RELOAD_ADMIN") }
provider demo { api mock }
keys { "${KEY_HASH}" team "reload" }
model fast = demo/"mock-fast"
`;
const ROUTES = ["a", "b", "c", "d"].map((n) => `route r${n} { when model == "${n}"  to fast }\n`).join("");
const POLICY = HEAD + ROUTES;

/** Rewrites `path` in place: truncate, write `part`, pause, write the rest. */
async function rewriteInPlace(path: string, text: string, part: string): Promise<void> {
  const fd = openSync(path, "r+");
  try {
    ftruncateSync(fd, 0);
    if (part.length > 0) writeSync(fd, part, 0);
    await sleep(60);
    writeSync(fd, text.slice(part.length), part.length);
  } finally {
    closeSync(fd);
  }
}

describe("aigw serve --watch with a policy rewritten in place", () => {
  it("never serves the half-written file (zero 401/404 over 20 rewrites), and the gate refuses a shrinking save", { timeout: 240_000 }, async () => {
    const path = join(dir, "main.route");
    writeFileSync(path, POLICY);
    process.env["AIGW_TEST_RELOAD_ADMIN"] = ADMIN;
    const serve = await startServeChild(path, ["--watch"], 90_000);
    delete process.env["AIGW_TEST_RELOAD_ADMIN"];
    const chat = (model: string) =>
      fetch(`${serve.base}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
      }).then(async (r) => (await r.arrayBuffer(), r.status));
    const admin = async () => (await (await fetch(`${serve.base}/admin/policy`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { active: { policy: string; routes: number }; lastRejected: { error?: string } | null };

    // live traffic over every route for as long as the rewrites go on
    const statuses = new Map<number, number>();
    let traffic = true;
    const load = (async () => {
      for (let i = 0; traffic; i++) {
        const s = await chat("abcd"[i % 4]!);
        statuses.set(s, (statuses.get(s) ?? 0) + 1);
      }
    })();
    const before = (await admin()).active.policy;
    for (let i = 0; i < 20; i++) {
      await rewriteInPlace(path, POLICY, i % 2 === 0 ? "" : HEAD);
      await sleep(400);
    }
    traffic = false;
    await load;
    expect(Object.fromEntries(statuses)).toEqual({ 200: expect.any(Number) });
    expect((await admin()).active.policy).toBe(before);

    // a valid save that removes three of four routes is refused; the old policy keeps serving
    writeFileSync(path, HEAD + `route ra { when model == "a"  to fast }\n`);
    let status = await admin();
    for (let i = 0; i < 100 && status.lastRejected === null; i++) {
      await sleep(100);
      status = await admin();
    }
    expect(status.lastRejected?.error).toMatch(/reload gate refused the policy: the new policy removes 3 of 4 routes/);
    expect(status.active.policy).toBe(before);
    expect(await chat("d")).toBe(200);
    const metrics = await (await fetch(`${serve.base}/metrics`)).text();
    expect(metrics).toMatch(/aigw_policy_reloads_total\{result="refused"\} [1-9]/);

    // the policy opts in: applied
    writeFileSync(path, HEAD.replace("state memory", "state memory  reload_max_drop 100%") + `route ra { when model == "a"  to fast }\n`);
    for (let i = 0; i < 100 && status.active.routes !== 1; i++) {
      await sleep(100);
      status = await admin();
    }
    expect(status.active.routes).toBe(1);
    expect(await chat("d")).toBe(404);
    expect(await chat("a")).toBe(200);
  });
});
