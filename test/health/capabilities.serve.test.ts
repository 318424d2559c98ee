/**
 * Capability constraints end to end: one `aigw serve` (the CLI command, the
 * real HTTP edge, undici) in front of two fake OpenAI upstreams, called with
 * the official `openai` and `@anthropic-ai/sdk` clients. A text-only model
 * is never sent a request it cannot take: an image, a `json_schema`
 * response format or a `max_tokens` above its `max_output` skips it
 * (`x-aigw-skipped` and the access log say why, the capable fallback
 * answers); when no target of the route can take the request, the caller
 * gets a 400 in its own API's shape naming the field, and no upstream is
 * called. No provider key reaches a reply or the log.
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Io } from "../../cli/io.js";
import { serveCommand } from "../../cli/commands/serve.js";
import type { Gateway } from "../../runtime/server/app.js";
import { policyDir } from "../support/cli.js";
import { closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { KEY, KEY_HASH } from "../server/helpers.js";

const SECRET = "sk-upstream-secret-capabilities-000000";
const IMAGE = { type: "image_url" as const, image_url: { url: "https://example.com/cat.png" } };

let text: FakeUpstream;
let vision: FakeUpstream;
let base = "";
let log = "";
let stop: () => void = () => {};
let openai: OpenAI;

beforeAll(async () => {
  text = await startUpstream("openai");
  vision = await startUpstream("openai");
  const dir = policyDir({
    "main.route": `
gateway { state memory }
keys { "${KEY_HASH}" team "search" }
provider t { api openai base_url "${text.baseUrl}" key env("UP_KEY") }
provider v { api openai base_url "${vision.baseUrl}" key env("UP_KEY") }
model mini = t/"mini-model" { supports [tools, stream]  max_output 4k }
model big = v/"big-model" { supports [tools, images, json_schema, stream]  max_output 16k }
route chat {
  when model == "chat"
  to mini
  fallback big
}
route plain {
  when model == "plain"
  to mini
}
`,
  });
  const io: Io = { out: (t) => void (log += t), err: (t) => void (log += t), isTty: false, env: { UP_KEY: SECRET }, cwd: process.cwd() };
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const gateway = await new Promise<Gateway>((resolve) => {
    void serveCommand([dir, "--port", "0", "--host", "127.0.0.1"], io, { stop: stopped, onListening: resolve });
  });
  base = `http://127.0.0.1:${gateway.port}`;
  openai = new OpenAI({ apiKey: KEY, baseURL: `${base}/v1`, maxRetries: 0, timeout: 10_000 });
});

afterAll(async () => {
  stop();
  await closeAllUpstreams();
});

/** Upstream requests so far, by model name sent. */
const sent = (): string[] => [...text.requests, ...vision.requests].map((r) => (r.body as { model: string }).model);

describe("capability constraints through aigw serve", () => {
  it("sends a plain request to the first target and an image past the model without images", async () => {
    const plain = await openai.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(plain.response.headers.get("x-aigw-attempts")).toBe("mini:200");
    expect(plain.response.headers.get("x-aigw-skipped")).toBeNull();

    const before = text.requests.length;
    const picture = await openai.chat.completions
      .create({ model: "chat", messages: [{ role: "user", content: [{ type: "text", text: "what is this?" }, IMAGE] }] })
      .withResponse();
    expect(picture.response.headers.get("x-aigw-attempts")).toBe("big:200");
    expect(picture.response.headers.get("x-aigw-skipped")).toBe("mini:no-images");
    // The model without images never saw it.
    expect(text.requests.length).toBe(before);
    expect(JSON.stringify(vision.requests.at(-1)!.body)).toContain("cat.png");
  });

  it("skips a model whose max_output is below the request's max_tokens", async () => {
    const r = await openai.chat.completions.create({ model: "chat", max_tokens: 8000, messages: [{ role: "user", content: "write a lot" }] }).withResponse();
    expect(r.response.headers.get("x-aigw-attempts")).toBe("big:200");
    expect(r.response.headers.get("x-aigw-skipped")).toBe("mini:no-max-output");
  });

  it("refuses with a 400 naming the field when no target can take the request, sending nothing", async () => {
    const before = sent().length;
    const err = await openai.chat.completions
      .create({
        model: "plain",
        messages: [{ role: "user", content: "answer in JSON" }],
        response_format: { type: "json_schema", json_schema: { name: "a", schema: { type: "object" } } },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.param).toBe("response_format");
    expect(e.code).toBe("unsupported_by_targets");
    expect(e.message).toContain("no target of route `plain` can take this request (it needs a json_schema response format): `mini` has no json_schema");
    expect(e.headers?.get("x-aigw-skipped")).toBe("mini:no-json-schema");
    expect(sent().length).toBe(before);
  });

  it("answers an Anthropic Messages caller in its own error shape", async () => {
    const anthropic = new Anthropic({ apiKey: KEY, baseURL: base, maxRetries: 0, timeout: 10_000 });
    const before = sent().length;
    const err = await anthropic.messages
      .create({
        model: "plain",
        max_tokens: 100,
        messages: [{ role: "user", content: [{ type: "image", source: { type: "url", url: "https://example.com/cat.png" } }] }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(String((err as Error).message)).toContain("`mini` has no images");
    expect(sent().length).toBe(before);
  });

  it("names every skip in the access log and never logs the provider key", () => {
    expect(log).toContain('"skipped":["mini skipped: no images"]');
    expect(log).toContain('"skipped":["mini skipped: an output of 4000 tokens at most"]');
    expect(log).not.toContain(SECRET);
  });
});
