/**
 * Wildcard models (`model any = openai/"*" { "gpt-4o" input … }`, lang/SPEC.md
 * §4.3) end to end: a real `aigw serve`, the official OpenAI SDK as the
 * client, fake OpenAI and Anthropic upstreams on 127.0.0.1 that record the
 * model and URL they were sent. A listed name passes through under its own
 * upstream name and is charged at its table price; on a budgeted route an
 * unlisted name is refused before anything is sent; on an unbudgeted route
 * any safe name passes; names that could reach a URL, a query or a header
 * never leave the gateway; `/metrics` labels stay within the table.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { policyDir } from "../support/cli.js";
import { closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { budgetRows, startServe, stopServes, type ServeProcess } from "../budget/child/serve-process.js";

const KEY = "sk-wildcard-team-0001";

function policy(oa: FakeUpstream, an: FakeUpstream): string {
  return `gateway { state memory  admin_token env("ADMIN") }
keys { "${hashKey(KEY)}" team "search" }
provider openai { api openai  base_url "${oa.baseUrl}" }
provider anthropic { api anthropic  base_url "${an.baseUrl}" }
model openai-any = openai/"*" {
  "gpt-4o"       input $2.50/Mtok  output $10/Mtok  max_output 16k
  "gpt-4o-mini"  input $0.15/Mtok  output $0.60/Mtok  max_output 16k
}
model claude-any = anthropic/"*" {
  "claude-sonnet-4" input $3/Mtok  output $15/Mtok  max_output 64k
}
budget team-daily { per team  limit $100 per day }
route openai-priced { when model matches /^openai\\//  to openai-any  budget team-daily }
route anthropic-any { when model matches /^anthropic\\//  to claude-any }
`;
}

interface Sent {
  status: number;
  model?: string;
  target: string | null;
  error?: { message?: string; code?: string };
}

describe("wildcard models, through aigw serve", () => {
  let oa: FakeUpstream;
  let an: FakeUpstream;
  let served: ServeProcess;
  let client: OpenAI;

  beforeAll(async () => {
    oa = await startUpstream("openai");
    an = await startUpstream("anthropic");
    served = await startServe(policyDir({ "main.route": policy(oa, an) }), { ADMIN: "admin-secret" }, { accessLog: true });
    client = new OpenAI({ baseURL: `${served.base}/v1`, apiKey: KEY, maxRetries: 0 });
  }, 30_000);
  afterAll(async () => {
    await stopServes();
    await closeAllUpstreams();
  });

  /** A chat request for `model` by raw HTTP (the name may be one no SDK would build a request for). */
  async function send(model: string): Promise<Sent> {
    const res = await fetch(`${served.base}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
    });
    const body = (await res.json()) as { model?: string; error?: Sent["error"] };
    return { status: res.status, target: res.headers.get("x-aigw-target"), ...(body.model !== undefined ? { model: body.model } : {}), ...(body.error ? { error: body.error } : {}) };
  }

  it("sends a listed name upstream without its prefix, names the row it used, and charges the budget the table price", async () => {
    const before = oa.requests.length;
    const raw = await client.chat.completions.create({ model: "openai/gpt-4o", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(raw.response.headers.get("x-aigw-target")).toBe("openai-any/gpt-4o");
    expect(raw.data.model).toBe("gpt-4o");
    const sent = oa.requests.slice(before);
    expect(sent.map((r) => [r.path, r.body?.model])).toEqual([["/v1/chat/completions", "gpt-4o"]]);
    // the fake upstream bills 11 prompt and 7 completion tokens: 11 × $2.50/M + 7 × $10/M, in whole micro-dollars rounded up
    const rows = await budgetRows(served.base, "admin-secret", "team-daily");
    expect(Math.round((rows.find((r) => r.scope === "search")?.spent ?? 0) * 1e6)).toBe(Math.ceil(11 * 2.5 + 7 * 10));
  });

  it("prices each listed name at its own row", async () => {
    const spentBefore = (await budgetRows(served.base, "admin-secret", "team-daily")).find((r) => r.scope === "search")?.spent ?? 0;
    const r = await send("openai/gpt-4o-mini");
    expect(r).toMatchObject({ status: 200, target: "openai-any/gpt-4o-mini", model: "gpt-4o-mini" });
    const spent = (await budgetRows(served.base, "admin-secret", "team-daily")).find((x) => x.scope === "search")?.spent ?? 0;
    expect(Math.round((spent - spentBefore) * 1e6)).toBe(Math.ceil(11 * 0.15 + 7 * 0.6));
  });

  it("refuses a name the table lacks on a budgeted route, in OpenAI's error shape, and sends nothing", async () => {
    const before = oa.requests.length;
    const err = await client.chat.completions.create({ model: "openai/gpt-5-unlisted", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.code).toBe("model_not_found");
    expect(e.message).toContain("`gpt-5-unlisted` is not in the price table of `openai-any`");
    expect(oa.requests.length).toBe(before);
  });

  it("refuses it in Anthropic's error shape to an Anthropic caller", async () => {
    const anthropic = new Anthropic({ baseURL: served.base, apiKey: KEY, maxRetries: 0 });
    const err = await anthropic.messages.create({ model: "openai/gpt-5-unlisted", max_tokens: 20, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    const body = (err as InstanceType<typeof Anthropic.APIError>).error as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe("error");
    expect(body.error.message).toContain("`gpt-5-unlisted` is not in the price table of `openai-any`");
  });

  it("names the row it used in the access log", async () => {
    const lines = served.logLines<{ status?: number; attempts?: { target: string }[] }>();
    expect(lines.some((l) => l.status === 200 && l.attempts?.[0]?.target === "openai-any/gpt-4o")).toBe(true);
  });

  it("passes any safe name through on a route without a budget, to an Anthropic upstream", async () => {
    const before = an.requests.length;
    const r = await send("anthropic/claude-opus-9");
    expect(r).toMatchObject({ status: 200, target: "claude-any" });
    const listed = await send("anthropic/claude-sonnet-4");
    expect(listed).toMatchObject({ status: 200, target: "claude-any/claude-sonnet-4" });
    expect(an.requests.slice(before).map((x) => [x.path, x.body?.model])).toEqual([
      ["/v1/messages", "claude-opus-9"],
      ["/v1/messages", "claude-sonnet-4"],
    ]);
  });

  it("never sends a name that could reach a path, a query or a header", async () => {
    const [oaBefore, anBefore] = [oa.requests.length, an.requests.length];
    const bad = ["openai/../../x", "anthropic/../../v1/admin", "anthropic/a?b=c", "anthropic/a#frag", "anthropic/a b", "anthropic/a\r\nx-injected: 1", "anthropic/a%2F..", "anthropic/", `anthropic/${"a".repeat(129)}`, "anthropic/-x", "anthropic/a/b"];
    for (const model of bad) {
      const r = await send(model);
      expect(r.status, model).toBe(400);
      expect(r.error?.code, model).toBe("invalid_model");
    }
    expect([oa.requests.length, an.requests.length]).toEqual([oaBefore, anBefore]);
  });

  it("keeps /metrics target labels to the table's rows and the wildcard itself, however many names callers send", async () => {
    for (let i = 0; i < 25; i++) expect((await send(`anthropic/made-up-${i}`)).status).toBe(200);
    const text = await (await fetch(`${served.base}/metrics`)).text();
    const targets = new Set([...text.matchAll(/target="([^"]*)"/g)].map((m) => m[1]));
    expect([...targets].every((t) => ["openai-any/gpt-4o", "openai-any/gpt-4o-mini", "claude-any", "claude-any/claude-sonnet-4", ""].includes(t!))).toBe(true);
    expect(text).not.toContain("made-up");
  });

  it("lists each table row under its provider's prefix in /v1/models", async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(["openai/gpt-4o", "openai/gpt-4o-mini", "anthropic/claude-sonnet-4"]));
    expect((await client.models.retrieve("openai/gpt-4o")).id).toBe("openai/gpt-4o");
  });
});
