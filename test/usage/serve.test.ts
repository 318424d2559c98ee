/**
 * The ledger end to end: a real `aigw serve` (SQLite state) after traffic
 * through the OpenAI SDK answers `GET /admin/usage` with the numbers the
 * traffic implies (per team, per model, per outcome; cost from the declared
 * prices), refuses it without the admin token, finds a request's decision
 * record by id; `aigw usage --url` prints the same report; a second gateway
 * on the same SQLite file adds to the same ledger; and after both have
 * stopped (the last cells flushed at shutdown), `aigw usage` offline reads
 * the file and prints the totals of both as a table, CSV and JSON. No
 * response or output holds a key, the admin token or a full key hash.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { hashKey } from "../../runtime/pipeline/auth.js";
import type { UsageReport } from "../../runtime/usage/index.js";
import { aigw } from "../support/cli.js";
import { closeAllUpstreams } from "../support/upstreams.js";
import { serve, stopServed } from "../observe/serve.js";
import { ADMIN_TOKEN, adminUsage, ENV, KEY_SEARCH, SECRETS, sendTraffic, startScene, usagePolicy, type UsageScene } from "./traffic.js";

let scene: UsageScene;
const seen: string[] = [];
const keep = async (r: Response): Promise<string> => {
  const text = await r.text();
  seen.push(JSON.stringify([...r.headers]) + text);
  return text;
};

beforeAll(async () => {
  const s = await startScene();
  scene = { ...s, fallbackId: await sendTraffic(s) };
});
afterAll(async () => {
  await stopServed();
  await closeAllUpstreams();
});

const µ = (micros: number) => micros / 1_000_000;

describe("the usage ledger behind a running gateway", () => {
  it("answers /admin/usage by team, by model and by outcome with the traffic's numbers", async () => {
    const byTeam = JSON.parse(await keep(await adminUsage(scene.gw.base, "since=1h&by=team"))) as UsageReport;
    expect(byTeam.by).toBe("team");
    const team = Object.fromEntries(byTeam.groups.map((g) => [g.key, g]));
    expect(team["search"]).toMatchObject({ requests: 4, errors: 0, inputTokens: 44, outputTokens: 28, cost: µ(3 * 25 + 320), fallbacks: 1 });
    expect(team["support"]).toMatchObject({ requests: 2, errors: 1, inputTokens: 11, outputTokens: 7, cost: µ(25), guardrails: { redacted: 1, flagged: 0, blocked: 1 } });
    expect(team[""]).toMatchObject({ requests: 1, errors: 1, errorKinds: { invalid_api_key: 1 } });
    expect(byTeam.totals).toMatchObject({ requests: 7, errors: 2, cost: µ(3 * 25 + 320 + 25) });
    expect(byTeam.totals.latencyMs.p50).toBeGreaterThan(0);
    expect(byTeam.totals.overheadMs.p95).toBeGreaterThan(0);

    const byModel = JSON.parse(await keep(await adminUsage(scene.gw.base, "since=1h&by=model&step=1h"))) as UsageReport;
    expect(Object.fromEntries(byModel.groups.map((g) => [g.key, g.requests]))).toEqual({ mini: 4, big: 1, "": 2 });
    const points = byModel.series!.points;
    expect(points.reduce((n, p) => n + (p.groups["big"]?.cost ?? 0), 0)).toBeCloseTo(µ(320), 9);

    const byOutcome = JSON.parse(await keep(await adminUsage(scene.gw.base, "since=1h&by=outcome"))) as UsageReport;
    expect(Object.fromEntries(byOutcome.groups.map((g) => [g.key, g.requests]))).toEqual({ ok: 5, blocked: 1, client_error: 1 });
    const byKey = JSON.parse(await keep(await adminUsage(scene.gw.base, "since=1h&by=key"))) as UsageReport;
    expect(byKey.groups.map((g) => g.key)).toContain(hashKey(KEY_SEARCH).slice(0, 19));
  });

  it("requires the admin token and refuses a bad query naming the parameter", async () => {
    const none = await fetch(`${scene.gw.base}/admin/usage`);
    expect(none.status).toBe(401);
    await keep(none);
    const wrong = await fetch(`${scene.gw.base}/admin/usage`, { headers: { authorization: "Bearer wrong-token" } });
    expect(wrong.status).toBe(401);
    await keep(wrong);
    const bad = await adminUsage(scene.gw.base, "by=prompt");
    expect(bad.status).toBe(400);
    expect(JSON.parse(await keep(bad)).error).toMatchObject({ param: "by" });
    expect((await fetch(`${scene.gw.base}/admin/requests?id=x`)).status).toBe(401);
  });

  it("finds a recent request's decision record by id: route, file:line and every try", async () => {
    const r = await fetch(`${scene.gw.base}/admin/requests?id=${encodeURIComponent(scene.fallbackId)}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(r.status).toBe(200);
    const entry = JSON.parse(await keep(r));
    const line = usagePolicy(scene.up.baseUrl).split("\n").indexOf("route chat {") + 1;
    expect(entry).toMatchObject({ requestId: scene.fallbackId, route: "chat", source: `${scene.dir}/main.route:${line}`, target: "big", team: "search", status: 200 });
    expect(entry.attempts.map((a: { target: string; status: number }) => [a.target, a.status])).toEqual([
      ["mini", 503],
      ["big", 200],
    ]);
    const latest = JSON.parse(await keep(await fetch(`${scene.gw.base}/admin/requests`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })));
    expect(latest.latest).toContain(scene.fallbackId);
    const missing = await fetch(`${scene.gw.base}/admin/requests?id=nope`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(missing.status).toBe(404);
    await keep(missing);
  });

  it("prints the same report with aigw usage --url", async () => {
    const cli = await aigw(["usage", "--url", scene.gw.base, "--since", "1h", "--by", "team", "--format", "json"], { AIGW_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(cli.stderr).toBe("");
    const viaCli = JSON.parse(cli.stdout) as UsageReport;
    const direct = JSON.parse(await keep(await adminUsage(scene.gw.base, "since=1h&by=team"))) as UsageReport;
    expect(viaCli.groups).toEqual(direct.groups);
    expect(viaCli.totals).toEqual(direct.totals);
    seen.push(cli.stdout);
    const refused = await aigw(["usage", "--url", scene.gw.base, "--admin-token", "not-it"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/answered 401/);
    expect(refused.stderr).not.toContain("not-it");
  });

  it("adds a second gateway on the same SQLite file, and aigw usage reads both offline after shutdown", async () => {
    const second = await serve(scene.dir, ENV, ["--no-access-log"]);
    const c = new OpenAI({ apiKey: KEY_SEARCH, baseURL: `${second.base}/v1`, maxRetries: 0 });
    await c.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "from the second gateway" }] });
    await c.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "and again" }] });
    // Neither has flushed on its timer yet: shutdown flushes.
    expect(await second.stop()).toBe(0);
    expect(await scene.gw.stop()).toBe(0);

    const json = await aigw(["usage", scene.dir, "--since", "1h", "--by", "team", "--format", "json"], ENV);
    expect(json.code).toBe(0);
    const offline = JSON.parse(json.stdout) as UsageReport;
    expect(offline.totals).toMatchObject({ requests: 9, cost: µ(5 * 25 + 320 + 25) });
    expect(offline.groups.find((g) => g.key === "search")).toMatchObject({ requests: 6 });

    const table = await aigw(["usage", scene.dir, "--since", "1h", "--by", "model"], ENV);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^model\s+requests/m);
    expect(table.stdout).toMatch(/^TOTAL\s+9\s+2\s+/m);
    expect(table.stdout).toMatch(/^mini\s+6\s/m);
    const csv = await aigw(["usage", scene.dir, "--since", "1h", "--by", "outcome", "--format", "csv"], ENV);
    expect(csv.stdout.split("\n")[0]).toBe("outcome,requests,errors,input tokens,output tokens,cached tokens,cost $,fallbacks,p50 ms,p95 ms,overhead p95 ms");
    expect(csv.stdout).toMatch(/^TOTAL,9,2,/m);
    const usage = await aigw(["usage", scene.dir, "--by", "prompt"], ENV);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--by: by must be one of team, key/);
    seen.push(json.stdout, table.stdout, csv.stdout);
  });

  it("shows no secret in any response or output", () => {
    expect(seen.length).toBeGreaterThan(8);
    for (const text of seen) for (const secret of SECRETS) expect(text, `leaks ${secret.slice(0, 16)}`).not.toContain(secret);
  });
});
