/**
 * A reservation is a true upper bound (issue 13, parts 2 and 8), against a
 * real `aigw serve` process (`state memory`) and an upstream that bills like
 * a provider (test/support/billing-upstream.ts): every scenario that overspent
 * a hard budget or a token limit on main is refused up front or charged
 * within the budget; lying and impossible usage is an upstream fault (clamped,
 * logged, counted), never a store outage; absurd amounts are a 400.
 *
 * Prices are $10 per million tokens in and out: one token is 10 µ$.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { honestBill, startBillingUpstream, type BillingUpstream } from "../support/billing-upstream.js";
import { startServeChild, stopServeChildren, type ServeChild } from "./edge-helpers.js";

const ADMIN = "budget-bound-admin";
const dir = mkdtempSync(join(tmpdir(), "aigw-budget-bound-"));
let up: BillingUpstream;
let gw: ServeChild;

beforeAll(async () => {
  up = await startBillingUpstream();
  process.env["AIGW_BOUND_ADMIN"] = ADMIN;
  writeFileSync(
    join(dir, "main.route"),
    `
gateway { auth none state memory admin_token env("AIGW_BOUND_ADMIN") }
provider up { api openai base_url "${up.baseUrl}" timeout 20s }
model m = up/"m" { input $10/Mtok output $10/Mtok context 1000k }
budget tiny { per global limit $0.01 per day exceeded reject }
budget wide { per global limit $10 per day exceeded reject }
budget big  { per global limit $100 per day exceeded reject }
limit tpm { per global tokens 1000 per minute }
route tiny { when model == "tiny" budget tiny to m }
route wide { when model == "wide" budget wide to m }
route big  { when model == "big"  budget big  to m }
route lim  { when model == "lim"  limit tpm   to m }
`,
  );
  gw = await startServeChild(join(dir, "main.route"), [], 60_000);
}, 90_000);

afterAll(async () => {
  await stopServeChildren();
  await up?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  up.bill = honestBill;
  up.streamUsage = true;
  up.toolCallBytes = 0;
});

async function post(body: Record<string, unknown>): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${gw.base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** The budget's spend and holds in µ$, from `GET /admin/budgets`. */
async function ledger(name: string): Promise<{ spent: number; reserved: number }> {
  const res = await fetch(`${gw.base}/admin/budgets`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const body = (await res.json()) as { budgets: { budget: string; spent: number; reserved: number }[] };
  const row = body.budgets.find((b) => b.budget === name);
  return { spent: Math.round((row?.spent ?? 0) * 1e6), reserved: Math.round((row?.reserved ?? 0) * 1e6) };
}

async function metric(line: string): Promise<number> {
  const text = await (await fetch(`${gw.base}/metrics`)).text();
  const hit = text.split("\n").find((l) => l.startsWith(line + " "));
  return hit === undefined ? 0 : Number(hit.slice(line.length + 1));
}

const user = (content: string) => [{ role: "user", content }];
/** An assistant turn whose tool call carries `bytes` of arguments, and the tool's answer. */
const toolTurn = (bytes: number) => [
  { role: "user", content: "go" },
  { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: JSON.stringify({ a: "y".repeat(bytes) }) } }] },
  { role: "tool", tool_call_id: "c1", content: "done" },
];

describe("a hard budget against an upstream billing honestly", () => {
  it("refuses n=128 × max_tokens=20 up front on a $0.01 budget (the output bound is max_tokens × n)", async () => {
    const r = await post({ model: "tiny", messages: user("hi"), n: 128, max_tokens: 20 });
    expect(r.status).toBe(429);
    expect(r.json.error.code).toBe("budget_exceeded");
    expect((await ledger("tiny")).spent).toBeLessThanOrEqual(10_000);
    expect(up.billed.requests).toBe(0);
  });

  it("refuses 200 KB of assistant tool-call arguments on a $0.01 budget (every byte counts as input)", async () => {
    const r = await post({ model: "tiny", messages: toolTurn(200_000), max_tokens: 5 });
    expect(r.status).toBe(429);
    expect((await ledger("tiny")).spent).toBeLessThanOrEqual(10_000);
  });

  it("admits 20 parallel 100 KB tool-call requests only while the bound fits: spend ≤ $10", async () => {
    const before = { ...up.billed };
    const replies = await Promise.all(Array.from({ length: 20 }, () => post({ model: "wide", messages: toolTurn(100_000), max_tokens: 50 })));
    const ok = replies.filter((r) => r.status === 200).length;
    expect(ok).toBeGreaterThan(0);
    expect(replies.filter((r) => r.status === 429)).toHaveLength(20 - ok);
    const l = await ledger("wide");
    expect(l.reserved).toBe(0);
    expect(l.spent).toBeLessThanOrEqual(10_000_000);
    // What the upstream billed, at $10/Mtok, is what the budget holds: nothing was charged above the bill or dropped.
    expect(l.spent).toBe((up.billed.prompt - before.prompt + up.billed.completion - before.completion) * 10);
  });

  it("refuses a request whose input bound passes a `tokens 1000 per minute` limit", async () => {
    const r = await post({ model: "lim", messages: toolTurn(50_000), max_tokens: 5 });
    expect(r.status).toBe(429);
    expect(r.json.error.code).toBe("rate_limited");
  });

  it("charges a streamed tool call without a usage chunk from its bytes, input included", async () => {
    up.streamUsage = false;
    up.toolCallBytes = 400;
    const before = await ledger("big");
    const body = { model: "big", messages: user("call the tool"), max_tokens: 1000, stream: true };
    const r = await post(body);
    expect(r.status).toBe(200);
    expect(r.text).toContain("tool_calls");
    const after = await ledger("big");
    const input = Buffer.byteLength(JSON.stringify(body.messages));
    // At least the request's bytes and the 400 bytes of arguments, at 10 µ$ a token; main charged $0.
    expect(after.spent - before.spent).toBeGreaterThanOrEqual((input + 400) * 10);
    expect(after.reserved).toBe(0);
  });
});

describe("impossible amounts", () => {
  it.each([
    ["max_tokens", 1e15],
    ["max_completion_tokens", 2 ** 60],
    ["n", 1e9],
  ])("%s = %d is a 400 naming the field, not a store outage", async (field, value) => {
    const r = await post({ model: "big", messages: user("hi"), [field]: value });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ param: field, type: "invalid_request_error" });
    expect(gw.stdout() + gw.stderr()).not.toContain("state store unavailable");
  });
});

describe("a lying upstream", () => {
  it("usage above the reservation is clamped to it, logged as an upstream fault and counted", async () => {
    up.bill = () => ({ prompt: 1_000_000_000, completion: 5 });
    const counted = await metric('aigw_usage_clamped_total{target="m",reason="clamped"}');
    const before = await ledger("big");
    const body = { model: "big", messages: user("hello"), max_tokens: 5 };
    const r = await post(body);
    expect(r.status).toBe(200);
    const after = await ledger("big");
    const bound = Buffer.byteLength(JSON.stringify(body.messages)) + 4 + 3 + 5;
    expect(after.spent - before.spent).toBe(bound * 10);
    expect(after.reserved).toBe(0);
    expect(await metric('aigw_usage_clamped_total{target="m",reason="clamped"}')).toBe(counted + 1);
    expect(gw.stdout() + gw.stderr()).toContain("upstream fault");
  });

  it.each([
    ["negative", { prompt: -5, completion: 3 }],
    ["fractional", { prompt: 1.5, completion: 3 }],
    ["absurd", { prompt: 1e300, completion: 3 }],
  ])("%s usage is an upstream fault: the reservation is charged and released at once, no store outage", async (_name, bill) => {
    up.bill = () => bill;
    const counted = await metric('aigw_usage_clamped_total{target="m",reason="invalid"}');
    const before = await ledger("big");
    const body = { model: "big", messages: user("hello"), max_tokens: 5 };
    const r = await post(body);
    expect(r.status).toBe(200);
    const after = await ledger("big");
    expect(after.reserved).toBe(0);
    expect(after.spent - before.spent).toBe((Buffer.byteLength(JSON.stringify(body.messages)) + 4 + 3 + 5) * 10);
    expect(await metric('aigw_usage_clamped_total{target="m",reason="invalid"}')).toBe(counted + 1);
    expect(gw.stdout() + gw.stderr()).not.toContain("state store unavailable");
  });
});
