/**
 * Request shaping (lang/SPEC.md §4.8.2) end to end: a real `aigw serve`, the
 * official OpenAI and Anthropic SDKs as clients, fake OpenAI and Anthropic
 * upstreams on 127.0.0.1 recording every body and header they receive. A
 * capped route lowers `max_tokens` whatever the inbound API (chat,
 * Anthropic Messages, Responses) and whichever upstream wire; defaults apply only when the caller sent nothing,
 * overrides always; the route's extra headers arrive upstream; and the
 * budget reserves the shaped request: an ask for a million tokens a budget
 * refuses on an uncapped route is admitted on a capped one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { policyDir } from "../support/cli.js";
import { closeAllUpstreams, startUpstream, type FakeUpstream, type RecordedRequest } from "../support/upstreams.js";
import { startServe, stopServes, type ServeProcess } from "../budget/child/serve-process.js";

const KEY = "sk-shaping-research-0001";

function policy(oa: FakeUpstream, an: FakeUpstream): string {
  return `gateway { state memory }
keys {
  "${hashKey(KEY)}" team "research"
}
provider oa { api openai  base_url "${oa.baseUrl}" }
provider an { api anthropic  base_url "${an.baseUrl}" }
model gpt = oa/"gpt-up" { input $1/Mtok  output $10/Mtok }
model claude = an/"claude-up" { input $1/Mtok  output $10/Mtok }
budget daily { per team  limit $1 per day  exceeded reject }
defaults shaped {
  cap max_tokens 8k
  default temperature 0.7
  upstream_header "x-team" "research"
}
route to-claude { when model == "claude"  use shaped  to claude }
route capped { when model == "gpt"  use shaped  budget daily  set top_p 0.5  to gpt }
route open { when model == "open"  budget daily  to gpt }
route short { when model == "short"  default max_tokens 100  set temperature 0.2  to gpt }
`;
}

/** The requests `up` received for upstream model `model`, the last one first. */
const sentTo = (up: FakeUpstream, model: string): RecordedRequest[] => up.requests.filter((r) => r.body?.model === model).reverse();

interface LogLine {
  route?: string;
  status?: number;
  shaped?: string;
  decision?: { shaped?: string };
}

describe("request shaping, through aigw serve", () => {
  let oa: FakeUpstream;
  let an: FakeUpstream;
  let served: ServeProcess;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    oa = await startUpstream("openai");
    an = await startUpstream("anthropic");
    served = await startServe(policyDir({ "main.route": policy(oa, an) }), {}, { accessLog: true, args: ["--log-decisions"] });
    openai = new OpenAI({ baseURL: `${served.base}/v1`, apiKey: KEY, maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: served.base, apiKey: KEY, maxRetries: 0 });
  }, 30_000);
  afterAll(async () => {
    await stopServes();
    await closeAllUpstreams();
  });


  it("lowers an OpenAI caller's max_tokens to the cap, keeps its spelling, and says so", async () => {
    const { response } = await openai.chat.completions
      .create({ model: "gpt", max_tokens: 20_000, temperature: 0.1, messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get("x-aigw-shaped")).toBe("max_tokens,top_p");
    const body = sentTo(oa, "gpt-up")[0]!.body;
    expect(body.max_tokens).toBe(8000);
    expect(body.max_completion_tokens).toBeUndefined();
    // the caller's temperature stays (a default), top_p is the route's (an override)
    expect(body.temperature).toBe(0.1);
    expect(body.top_p).toBe(0.5);
  });

  // (the SDK refuses a non-streamed `max_tokens` above about 21k on its own, so the asks stay below that)
  it("lowers an Anthropic SDK caller's max_tokens on the way to an OpenAI upstream", async () => {
    const reply = await anthropic.messages.create({ model: "gpt", max_tokens: 20_000, messages: [{ role: "user", content: "hi" }] });
    expect(reply.type).toBe("message");
    const body = sentTo(oa, "gpt-up")[0]!.body;
    expect(body.max_completion_tokens ?? body.max_tokens).toBe(8000);
    expect(body.temperature).toBe(0.7);
  });

  it("lowers an Anthropic SDK caller's max_tokens on the way to an Anthropic upstream, and applies defaults only when absent", async () => {
    await anthropic.messages.create({ model: "claude", max_tokens: 16_000, messages: [{ role: "user", content: "hi" }] });
    let body = sentTo(an, "claude-up")[0]!.body;
    expect(body.max_tokens).toBe(8000);
    expect(body.temperature).toBe(0.7);
    // The SDK's types here leave `temperature` out; the Messages API takes it, and the gateway decodes it.
    const withTemperature = { model: "claude", max_tokens: 500, temperature: 0.3, messages: [{ role: "user" as const, content: "hi" }] };
    await anthropic.messages.create(withTemperature as Anthropic.MessageCreateParamsNonStreaming);
    body = sentTo(an, "claude-up")[0]!.body;
    expect(body.max_tokens).toBe(500);
    expect(body.temperature).toBe(0.3);
  });

  it("lowers a Responses caller's max_output_tokens on the way to an OpenAI chat upstream", async () => {
    const { response } = await openai.responses.create({ model: "gpt", max_output_tokens: 30_000, input: "hi" }).withResponse();
    expect(response.status).toBe(200);
    const body = sentTo(oa, "gpt-up")[0]!.body;
    expect(body.max_completion_tokens ?? body.max_tokens).toBe(8000);
    expect(body.top_p).toBe(0.5);
  });

  it("sends the route's extra headers upstream, on both wires", async () => {
    expect(sentTo(an, "claude-up")[0]!.headers["x-team"]).toBe("research");
    expect(sentTo(oa, "gpt-up")[0]!.headers["x-team"]).toBe("research");
  });

  it("applies a default max_tokens only when the caller sent none, and an override always", async () => {
    const first = await openai.chat.completions.create({ model: "short", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(first.response.headers.get("x-aigw-shaped")).toBe("max_tokens,temperature");
    let body = sentTo(oa, "gpt-up")[0]!.body;
    expect(body.max_completion_tokens ?? body.max_tokens).toBe(100);
    expect(body.temperature).toBe(0.2);
    expect(body["x-team"]).toBeUndefined();
    expect(sentTo(oa, "gpt-up")[0]!.headers["x-team"]).toBeUndefined();
    await openai.chat.completions.create({ model: "short", max_completion_tokens: 2000, temperature: 1.5, messages: [{ role: "user", content: "hi" }] });
    body = sentTo(oa, "gpt-up")[0]!.body;
    expect(body.max_completion_tokens).toBe(2000);
    expect(body.temperature).toBe(0.2);
  });

  it("reserves the shaped request: a million tokens is refused uncapped and admitted capped", async () => {
    // $10/Mtok out: 1M tokens reserve $10 against a $1 budget; capped at 8k they reserve $0.08.
    const before = oa.requests.length;
    const refused = await openai.chat.completions.create({ model: "open", max_tokens: 1_000_000, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    expect(oa.requests.length).toBe(before);
    const { response } = await openai.chat.completions.create({ model: "gpt", max_tokens: 1_000_000, messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(response.status).toBe(200);
    expect(sentTo(oa, "gpt-up")[0]!.body.max_tokens).toBe(8000);
  });

  it("writes what was shaped in the access log and the decision record", async () => {
    await expect.poll(() => served.logLines<LogLine>().find((l) => l.route === "short" && l.status === 200)?.shaped, { timeout: 5000 }).toBe("max_tokens defaulted 100, temperature set 0.2");
    const capped = served.logLines<LogLine>().find((l) => l.route === "capped" && l.status === 200);
    expect(capped?.shaped).toBe("max_tokens 20000 → 8000 (cap), top_p set 0.5");
    expect(capped?.decision?.shaped).toBe("max_tokens 20000 → 8000 (cap), top_p set 0.5");
  });
});
