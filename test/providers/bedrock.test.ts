/**
 * `api bedrock`: SigV4 against AWS's published test vectors, the Converse
 * mapping of every request field (mapped or refused), model ids in the
 * path, stop reasons, usage with cache tokens, every error class (JSON
 * errors and stream exceptions), broken event streams, and credentials and
 * signatures never echoed. The fake upstream (test/support/bedrock-upstream.ts)
 * validates bodies as Bedrock does and checks every signature with aws4.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  Providers,
  ProviderRequestError,
  UpstreamProtocolError,
  UpstreamStatusError,
  type ChatCompletionChunk,
  type ChatStream,
} from "../../runtime/providers/index.js";
import { signRequest } from "../../runtime/providers/bedrock-sign.js";
import { decodeMessages } from "../../runtime/request/anthropic-messages.js";
import { decodeEmbeddings, vectorFromBase64 } from "../../runtime/request/embeddings.js";
import { bedrockBehave, startBedrockUpstream, type BedrockUpstream } from "../support/bedrock-upstream.js";
import { closeStrictServers } from "../support/strict-upstream.js";
import { AWS_CREDS, attempt, bedrockProviders, span, BEDROCK_PROFILE } from "./harness.js";

const PROFILE = BEDROCK_PROFILE;
const ARN = "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/a1b2c3d4e5f6";
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

async function drain(stream: ChatStream): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

let up: BedrockUpstream;
async function start(models = [PROFILE]): Promise<Providers> {
  up = await startBedrockUpstream(AWS_CREDS, models);
  return bedrockProviders(up.baseUrl, Object.fromEntries(models.map((m, i) => [`m${i}`, m])));
}

afterEach(async () => {
  await closeStrictServers();
});

describe("SigV4 (AWS's published signature test suite)", () => {
  const creds = { region: "us-east-1", accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
  const at = Date.UTC(2015, 7, 30, 12, 36, 0);
  const scope = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=";

  it.each([
    ["get-vanilla", "GET", "https://example.amazonaws.com/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"],
    ["get-vanilla-query-order-key-case", "GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"],
    ["post-vanilla", "POST", "https://example.amazonaws.com/", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"],
  ])("%s", async (_name, method, url, signature) => {
    const signed = await signRequest(creds, new URL(url), {}, "", at, { method, service: "service" });
    expect(signed.headers["authorization"]).toBe(scope + signature);
    expect(signed.headers["x-amz-date"]).toBe("20150830T123600Z");
    expect(signed.secrets).toContain(signature);
    expect(signed.secrets).toContain(creds.secretAccessKey);
  });
});

describe("api bedrock requests", () => {
  it("signs, names the inference profile in the path (encoded), and maps a full conversation", async () => {
    const providers = await start();
    const body = {
      messages: [
        { role: "system" as const, content: "be brief" },
        { role: "user" as const, content: [{ type: "text" as const, text: "what is in this picture, and the weather?" }, { type: "image_url" as const, image_url: { url: `data:image/png;base64,${PNG}` } }] },
        { role: "assistant" as const, content: null, tool_calls: [{ id: "call_1", type: "function" as const, function: { name: "weather", arguments: '{"city":"Paris"}' } }] },
        { role: "tool" as const, tool_call_id: "call_1", content: "sunny" },
      ],
      tools: [{ type: "function" as const, function: { name: "weather", description: "the weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }],
      tool_choice: "required" as const,
      max_tokens: 200,
      temperature: 0.3,
      top_p: 0.9,
      stop: ["END"],
    };
    const { completion, usage } = await providers.complete(attempt("m0", body));
    expect(up.violations).toEqual([]);
    const req = up.requests[0]!;
    expect(req.url).toBe("/model/us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse");
    expect(up.modelIds).toEqual([PROFILE]);
    expect(req.headers["x-amz-security-token"]).toBe(AWS_CREDS.sessionToken);
    expect(req.json).toEqual({
      messages: [
        { role: "user", content: [{ text: "what is in this picture, and the weather?" }, { image: { format: "png", source: { bytes: PNG } } }] },
        { role: "assistant", content: [{ toolUse: { toolUseId: "call_1", name: "weather", input: { city: "Paris" } } }] },
        { role: "user", content: [{ toolResult: { toolUseId: "call_1", content: [{ text: "sunny" }] } }] },
      ],
      system: [{ text: "be brief" }],
      inferenceConfig: { maxTokens: 200, temperature: 0.3, topP: 0.9, stopSequences: ["END"] },
      toolConfig: {
        tools: [{ toolSpec: { name: "weather", description: "the weather", inputSchema: { json: { type: "object", properties: { city: { type: "string" } } } } } }],
        toolChoice: { any: {} },
      },
    });
    expect(completion).toMatchObject({ object: "chat.completion", model: PROFILE, id: "chatcmpl-req-1" });
    expect(usage).toEqual({ promptTokens: 13, completionTokens: 5 });
    await providers.close();
  });

  it("takes an ARN as the model id", async () => {
    const providers = await start([ARN]);
    await providers.complete(attempt("m0"));
    expect(up.requests[0]!.url).toBe(`/model/${encodeURIComponent(ARN)}/converse`);
    expect(up.modelIds).toEqual([ARN]);
    expect(up.violations).toEqual([]);
    await providers.close();
  });

  it.each([
    [{ tool_choice: "auto" as const }, { auto: {} }],
    [{ tool_choice: { type: "function" as const, function: { name: "weather" } } }, { tool: { name: "weather" } }],
  ])("maps tool_choice %j", async (choice, expected) => {
    const providers = await start();
    const tools = [{ type: "function" as const, function: { name: "weather", parameters: { type: "object" } } }];
    await providers.complete(attempt("m0", { tools, ...choice }));
    expect((up.requests[0]!.json as { toolConfig: { toolChoice: unknown } }).toolConfig.toolChoice).toEqual(expected);
    await providers.close();
  });

  const weather = [{ type: "function" as const, function: { name: "weather" } }];
  it.each([
    ["n", { n: 2 }, "`n`"],
    ["response_format", { response_format: { type: "json_object" as const } }, "`response_format`"],
    ["tool_choice none", { tools: weather, tool_choice: "none" as const }, "`tool_choice: none`"],
    ["parallel_tool_calls", { tools: weather, parallel_tool_calls: false }, "`parallel_tool_calls: false`"],
    ["user", { user: "u-1" }, "`user`"],
    ["seed", { seed: 7 } as object, "`seed`"],
    ["logprobs", { logprobs: true } as object, "`logprobs`"],
    ["presence_penalty", { presence_penalty: 0.5 } as object, "`presence_penalty`"],
    ["an image URL", { messages: [{ role: "user" as const, content: [{ type: "image_url" as const, image_url: { url: "https://example.com/cat.png" } }] }] }, "base64 `data:` URLs"],
    ["a tiff image", { messages: [{ role: "user" as const, content: [{ type: "image_url" as const, image_url: { url: "data:image/tiff;base64,AAAA" } }] }] }, "`image/tiff`"],
    ["audio", { messages: [{ role: "user" as const, content: [{ type: "input_audio" as const, input_audio: { data: "AAAA", format: "wav" } }] }] } as object, "`input_audio`"],
    ["strict tools", { tools: [{ type: "function" as const, function: { name: "w", strict: true } }] }, "`strict`"],
  ])("refuses %s with a 400 naming it, sending nothing", async (_name, body, named) => {
    const providers = await start();
    const err = await providers.complete(attempt("m0", body)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderRequestError);
    expect((err as ProviderRequestError).reason).toBe("400");
    expect((err as Error).message).toContain("provider `p`");
    expect((err as Error).message).toContain(named);
    expect(up.requests).toHaveLength(0);
    await providers.close();
  });

  it("refuses a Messages request's top_k and thinking, naming them", async () => {
    const providers = await start();
    const request = decodeMessages({ model: "x", max_tokens: 10, top_k: 5, messages: [{ role: "user", content: "hi" }] });
    await expect(providers.complete({ request, model: "m0", requestId: "r" })).rejects.toMatchObject({ message: expect.stringContaining("`top_k`") });
    expect(up.requests).toHaveLength(0);
    await providers.close();
  });

  it("sends no session token for long-term credentials", async () => {
    const creds = { ...AWS_CREDS, sessionToken: undefined };
    up = await startBedrockUpstream(creds, [PROFILE]);
    const providers = bedrockProviders(up.baseUrl, { m0: PROFILE }, creds);
    await providers.complete(attempt("m0"));
    expect(up.requests[0]!.headers["x-amz-security-token"]).toBeUndefined();
    expect(up.violations).toEqual([]);
    await providers.close();
  });
});

describe("api bedrock replies", () => {
  it.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["model_context_window_exceeded", "length"],
    ["guardrail_intervened", "content_filter"],
    ["content_filtered", "content_filter"],
  ])("stopReason %s is finish_reason %s (JSON and stream)", async (stopReason, finish) => {
    const providers = await start();
    up.next(bedrockBehave.reply({ stopReason }), bedrockBehave.reply({ stopReason }));
    const { completion } = await providers.complete(attempt("m0"));
    expect(completion.choices[0]!.finish_reason).toBe(finish);
    const chunks = await drain(await providers.stream(attempt("m0", { stream: true })));
    expect(chunks.filter((c) => c.choices[0]?.finish_reason).map((c) => c.choices[0]!.finish_reason)).toEqual([finish]);
    await providers.close();
  });

  it("counts cache reads and writes as prompt tokens, and each apart for pricing", async () => {
    const providers = await start();
    const usage = { input: 10, output: 4, cacheRead: 100, cacheWrite: 20 };
    up.next(bedrockBehave.reply({ usage }), bedrockBehave.reply({ usage }));
    const done = await providers.complete(attempt("m0"));
    expect(done.usage).toEqual({ promptTokens: 130, completionTokens: 4, cacheReadTokens: 100, cacheWriteTokens: 20 });
    expect(done.completion.usage).toMatchObject({ prompt_tokens: 130, total_tokens: 134, prompt_tokens_details: { cached_tokens: 100 }, cache_creation_input_tokens: 20 });
    const stream = await providers.stream(attempt("m0", { stream: true }));
    const chunks = await drain(stream);
    expect(stream.usage).toEqual({ promptTokens: 130, completionTokens: 4, cacheReadTokens: 100, cacheWriteTokens: 20 });
    expect(chunks[chunks.length - 1]).toMatchObject({ choices: [], usage: { prompt_tokens: 130 } });
    await providers.close();
  });

  it("a stream without usage still ends cleanly, with no usage", async () => {
    const providers = await start();
    up.next(bedrockBehave.reply({ omitUsage: true }));
    const stream = await providers.stream(attempt("m0", { stream: true }));
    const chunks = await drain(stream);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("hello from bedrock");
    expect(stream.usage).toBeUndefined();
    await providers.close();
  });
});

describe("api bedrock errors", () => {
  it.each([
    [429, "ThrottlingException", "Too many requests, please wait before trying again.", 429, "ThrottlingException"],
    [503, "ServiceUnavailableException", "Bedrock is unable to process your request.", 503, "ServiceUnavailableException"],
    [429, "ModelNotReadyException", "The model is not ready.", 503, "ModelNotReadyException"],
    [424, "ModelErrorException", "The model failed to process the request.", 502, "ModelErrorException"],
    [408, "ModelTimeoutException", "The model took too long.", 504, "ModelTimeoutException"],
    [500, "InternalServerException", "An internal server error occurred.", 500, "InternalServerException"],
    [403, "AccessDeniedException", "You don't have access to the model with the specified model ID.", 403, "AccessDeniedException"],
    [400, "ValidationException", "Input is too long for requested model.", 400, "context_length_exceeded"],
    [400, "ValidationException", "prompt is too long: 210000 tokens > 200000 maximum", 400, "context_length_exceeded"],
    [400, "ValidationException", "temperature: must be at most 1", 400, "ValidationException"],
  ])("a %i %s becomes a %i typed %s (JSON and stream)", async (status, type, message, mapped, upstreamType) => {
    const providers = await start();
    up.next(bedrockBehave.fail(status, type, { message }), bedrockBehave.fail(status, type, { message }));
    const err = await providers.complete(attempt("m0")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamStatusError);
    // A too-long input is a refusal: its reason is `context_length`, what `fallback … on context_length` matches.
    const reason = upstreamType === "context_length_exceeded" ? "context_length" : String(mapped);
    expect(err).toMatchObject({ status: mapped, reason, upstreamType, provider: "p" });
    expect((err as Error).message).toContain(message);
    await expect(providers.stream(attempt("m0", { stream: true }))).rejects.toMatchObject({ status: mapped, upstreamType });
    await providers.close();
  });

  it("an exception event before the first chunk rejects the stream, so a fallback can still run", async () => {
    const providers = await start();
    up.next(bedrockBehave.streamException("throttlingException", "slow down", 0));
    await expect(providers.stream(attempt("m0", { stream: true }))).rejects.toMatchObject({ status: 429, upstreamType: "throttlingException", message: expect.stringContaining("slow down") });
    await providers.close();
  });

  it.each([
    ["modelStreamErrorException", 502],
    ["serviceUnavailableException", 503],
    ["validationException", 400],
  ])("a %s mid-stream throws a %i while iterating", async (type, status) => {
    const providers = await start();
    up.next(bedrockBehave.streamException(type, "it broke", 2));
    const stream = await providers.stream(attempt("m0", { stream: true }));
    await expect(drain(stream)).rejects.toMatchObject({ status, upstreamType: type });
    await providers.close();
  });

  it.each(["crc", "cut"] as const)("a broken event stream (%s) is a protocol error", async (how) => {
    const providers = await start();
    up.next(bedrockBehave.brokenStream(how));
    const err = await providers
      .stream(attempt("m0", { stream: true }))
      .then(drain)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamProtocolError);
    expect((err as UpstreamProtocolError).reason).toBe("502");
    await providers.close();
  });

  it("a wrong secret key fails AWS's (aws4's) signature check: 403", async () => {
    up = await startBedrockUpstream(AWS_CREDS, [PROFILE]);
    const providers = bedrockProviders(up.baseUrl, { m0: PROFILE }, { ...AWS_CREDS, secretAccessKey: "not-the-secret-key-0000000000000000000" });
    await expect(providers.complete(attempt("m0"))).rejects.toMatchObject({ status: 403, upstreamType: "InvalidSignatureException" });
    expect(up.violations).toEqual(["signature mismatch"]);
    await providers.close();
  });

  it("without credentials nothing is sent: the load reports the variables, a request is a 400", async () => {
    up = await startBedrockUpstream(AWS_CREDS, [PROFILE]);
    const providers = new Providers(
      {
        providers: { p: { api: "bedrock", baseUrl: up.baseUrl, timeoutMs: 5_000, bedrock: { region: { env: "R" }, accessKey: { env: "AK" }, secretKey: { env: "SK" }, sessionToken: { env: "ST" } }, span } },
        models: { m0: { provider: "p", upstream: PROFILE, span } },
      },
      { resolveSecret: () => undefined },
    );
    expect(providers.problems).toEqual(["provider `p`: environment variables `R`, `AK`, `SK` not set"]);
    await expect(providers.complete(attempt("m0"))).rejects.toBeInstanceOf(ProviderRequestError);
    expect(up.requests).toHaveLength(0);
    await providers.close();
  });

  it("never echoes the secret key, the session token or the signature", async () => {
    const providers = await start();
    up.next(bedrockBehave.fail(500, "InternalServerException", { echoAuth: true }));
    const err = (await providers.complete(attempt("m0")).catch((e: unknown) => e)) as UpstreamStatusError;
    const signature = /Signature=([0-9a-f]{64})/.exec(String(up.requests[0]!.headers["authorization"]))![1]!;
    const text = `${err.message} ${JSON.stringify(err)} ${String(err.stack)}`;
    expect(err.message).toContain("AWS4-HMAC-SHA256");
    for (const secret of [AWS_CREDS.secretAccessKey, AWS_CREDS.sessionToken, signature]) expect(text).not.toContain(secret);
    await providers.close();
  });
});

describe("api bedrock embeddings (InvokeModel)", () => {
  const TITAN = "amazon.titan-embed-text-v2:0";
  const COHERE = "cohere.embed-english-v3";
  const embedReq = (body: Record<string, unknown>) => ({ request: decodeEmbeddings({ model: "e", ...body }), model: "m0", requestId: "r" });

  it("Titan: one signed call per input, in order, dimensions passed, token counts summed", async () => {
    const providers = await start([TITAN]);
    const { body, usage } = await providers.embed(embedReq({ input: ["one two", "three"], dimensions: 256 }));
    expect(up.violations).toEqual([]);
    expect(up.requests.map((r) => r.url)).toEqual([`/model/${encodeURIComponent(TITAN)}/invoke`, `/model/${encodeURIComponent(TITAN)}/invoke`]);
    expect(up.requests.map((r) => r.json).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
      { inputText: "one two", dimensions: 256 },
      { inputText: "three", dimensions: 256 },
    ]);
    const data = body["data"] as { index: number; embedding: number[] }[];
    expect(data.map((d) => [d.index, d.embedding.length])).toEqual([
      [0, 256],
      [1, 256],
    ]);
    expect(data[0]!.embedding[0]).toBeCloseTo(("one two".length % 7) / 7);
    expect(body).toMatchObject({ object: "list", model: TITAN, usage: { prompt_tokens: 3, total_tokens: 3 } });
    expect(usage).toEqual({ promptTokens: 3, completionTokens: 0 });
    await providers.close();
  });

  it("Cohere: texts in one call with input_type (default or the caller's), base64 on request, no usage", async () => {
    const providers = await start([COHERE]);
    const first = await providers.embed(embedReq({ input: ["a", "bb"], encoding_format: "base64" }));
    const second = await providers.embed(embedReq({ input: "q", input_type: "search_query" }));
    expect(up.violations).toEqual([]);
    expect(up.requests.map((r) => r.json)).toEqual([
      { texts: ["a", "bb"], input_type: "search_document" },
      { texts: ["q"], input_type: "search_query" },
    ]);
    const data = first.body["data"] as { embedding: string }[];
    expect(vectorFromBase64(data[1]!.embedding)).toHaveLength(1024);
    expect(first.usage).toBeUndefined();
    expect(second.body["data"]).toHaveLength(1);
    await providers.close();
  });

  it.each([
    [TITAN, { input: [1, 2, 3] }, "token-array"],
    [TITAN, { input: "x", dimensions: 300 }, "`dimensions` 300"],
    [TITAN, { input: "x", user: "u" }, "`user`"],
    [COHERE, { input: "x", dimensions: 256 }, "`dimensions`"],
    [COHERE, { input: "x", input_type: "poetry" }, "`input_type`"],
    [COHERE, { input: "x", truncate: "END" }, "`truncate`"],
    [PROFILE, { input: "x" }, "not a Titan or Cohere embedding model"],
  ])("%s refuses %j by name, sending nothing", async (model, body, named) => {
    const providers = await start([model]);
    await expect(providers.embed(embedReq(body))).rejects.toMatchObject({ code: "AIGW_PROVIDER_REQUEST", message: expect.stringContaining(named) });
    expect(up.requests).toHaveLength(0);
    await providers.close();
  });

  it("a throttled call fails the whole request as a 429", async () => {
    const providers = await start([TITAN]);
    up.next(bedrockBehave.fail(429, "ThrottlingException"));
    await expect(providers.embed(embedReq({ input: ["a", "b"] }))).rejects.toMatchObject({ status: 429, upstreamType: "ThrottlingException" });
    await providers.close();
  });
});
