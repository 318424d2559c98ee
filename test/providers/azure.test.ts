/**
 * `api azure` against the strict fake Azure resource: the deployment URL
 * and `api-version`, both ways to authenticate, a body without `model`,
 * content filtering (a filtered prompt's 400, a filtered reply's finish
 * reason, the prompt-filter results of a stream), embeddings per
 * deployment, and credentials never echoed into errors.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ChatCompletionChunk } from "../../runtime/providers/index.js";
import { Providers, UpstreamStatusError } from "../../runtime/providers/index.js";
import type { ProviderNode } from "../../compiler/graph.js";
import { decodeEmbeddings } from "../../runtime/request/embeddings.js";
import { decodeMessages } from "../../runtime/request/anthropic-messages.js";
import { azureBehave, startAzureUpstream, type AzureUpstream } from "../support/azure-upstream.js";
import { closeStrictServers } from "../support/strict-upstream.js";
import { attempt, span } from "./harness.js";

const KEY = "azure-key-0123456789abcdef";
const TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.entra-token-payload.signature";

function providersFor(up: AzureUpstream, auth: "api-key" | "bearer", deployment = "gpt-4o-prod", apiVersion = "2024-10-21"): Providers {
  const provider: ProviderNode = { api: "azure", baseUrl: up.baseUrl, key: { env: "AZ" }, timeoutMs: 5_000, azure: { apiVersion, auth }, span };
  const graph = { providers: { az: provider }, models: { m: { provider: "az", upstream: deployment, span } } };
  return new Providers(graph, { resolveSecret: () => (auth === "api-key" ? KEY : TOKEN) });
}

async function drain(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const out: ChatCompletionChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

afterEach(closeStrictServers);

describe("api azure", () => {
  it("posts to the deployment with api-version and api-key, and no model in the body", async () => {
    const up = await startAzureUpstream({ apiKey: KEY, deployments: ["gpt-4o-prod"] });
    const providers = providersFor(up, "api-key");
    const { completion } = await providers.complete(attempt("m", { temperature: 0.2 }));
    expect(completion.choices[0]!.message.content).toBe("hello from openai");
    const req = up.requests[0]!;
    expect(req.url).toBe("/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21");
    expect(req.headers["api-key"]).toBe(KEY);
    expect(req.headers["authorization"]).toBeUndefined();
    expect(req.json).toEqual({ messages: [{ role: "user", content: "hello there" }], temperature: 0.2 });
    expect(completion["prompt_filter_results"]).toBeDefined();
    expect(up.violations).toEqual([]);
    await providers.close();
  });

  it("sends an Entra ID token as a bearer token, never as api-key", async () => {
    const up = await startAzureUpstream({ token: TOKEN, deployments: ["gpt-4o-prod"] });
    const providers = providersFor(up, "bearer", "gpt-4o-prod", "2025-01-01-preview");
    await providers.complete(attempt("m"));
    expect(up.requests[0]!.headers["authorization"]).toBe(`Bearer ${TOKEN}`);
    expect(up.requests[0]!.headers["api-key"]).toBeUndefined();
    expect(up.requests[0]!.url).toContain("api-version=2025-01-01-preview");
    await providers.close();
  });

  it("URL-encodes the deployment name", async () => {
    const up = await startAzureUpstream({ apiKey: KEY, deployments: ["my deployment/1"] });
    const providers = providersFor(up, "api-key", "my deployment/1");
    await providers.complete(attempt("m"));
    expect(up.requests[0]!.url).toBe("/openai/deployments/my%20deployment%2F1/chat/completions?api-version=2024-10-21");
    await providers.close();
  });

  it("a filtered prompt is a 400 typed content_filter", async () => {
    const up = await startAzureUpstream({ apiKey: KEY, deployments: ["gpt-4o-prod"] });
    up.next(azureBehave.contentFilter(), azureBehave.contentFilter());
    const providers = providersFor(up, "api-key");
    const err = await providers.complete(attempt("m")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamStatusError);
    expect(err).toMatchObject({ status: 400, reason: "content_filter", refusal: "content_filter", upstreamType: "content_filter" });
    await expect(providers.stream(attempt("m", { stream: true }))).rejects.toMatchObject({ status: 400, upstreamType: "content_filter" });
    await providers.close();
  });

  it("a filtered reply finishes with content_filter (JSON and stream)", async () => {
    const up = await startAzureUpstream({ apiKey: KEY, deployments: ["gpt-4o-prod"] });
    up.next(azureBehave.filteredReply(), azureBehave.filteredReply());
    const providers = providersFor(up, "api-key");
    const { completion } = await providers.complete(attempt("m"));
    expect(completion.choices[0]!.finish_reason).toBe("content_filter");
    const chunks = await drain(await providers.stream(attempt("m", { stream: true })));
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "content_filter")).toBe(true);
    await providers.close();
  });

  it("a stream's prompt-filter chunk rides on the first chunk, which keeps the OpenAI shape", async () => {
    const up = await startAzureUpstream({ apiKey: KEY, deployments: ["gpt-4o-prod"] });
    const providers = providersFor(up, "api-key");
    const chunks = await drain(await providers.stream(attempt("m", { stream: true })));
    expect(chunks[0]).toMatchObject({ object: "chat.completion.chunk", choices: [{ delta: { role: "assistant" } }] });
    expect(chunks[0]!["prompt_filter_results"]).toEqual([expect.objectContaining({ prompt_index: 0 })]);
    expect(chunks.filter((c) => c["prompt_filter_results"] !== undefined)).toHaveLength(1);
    expect(up.requests[0]!.json).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    await providers.close();
  });

  it("embeds through the deployment's /embeddings", async () => {
    const up = await startAzureUpstream({ apiKey: KEY, deployments: ["embed-small"] });
    const providers = providersFor(up, "api-key", "embed-small");
    const request = decodeEmbeddings({ model: "m", input: ["a", "b"] });
    const { body, usage } = await providers.embed({ request, model: "m", requestId: "r" });
    expect(up.requests[0]!.url).toBe("/openai/deployments/embed-small/embeddings?api-version=2024-10-21");
    expect(up.requests[0]!.json).toEqual({ input: ["a", "b"] });
    expect((body["data"] as unknown[]).length).toBe(2);
    expect(usage).toEqual({ promptTokens: 8, completionTokens: 0 });
    await providers.close();
  });

  it("refuses what the chat wire cannot say, naming the field, before sending", async () => {
    const up = await startAzureUpstream({ apiKey: KEY, deployments: ["gpt-4o-prod"] });
    const providers = providersFor(up, "api-key");
    const request = decodeMessages({ model: "m", max_tokens: 10, top_k: 5, messages: [{ role: "user", content: "hi" }] });
    await expect(providers.complete({ request, model: "m", requestId: "r" })).rejects.toMatchObject({ code: "AIGW_PROVIDER_REQUEST", message: expect.stringContaining("`top_k`") });
    expect(up.requests).toHaveLength(0);
    await providers.close();
  });

  it.each(["api-key", "bearer"] as const)("never echoes the credential (%s) from an error body", async (auth) => {
    const up = await startAzureUpstream({ apiKey: KEY, token: TOKEN, deployments: ["gpt-4o-prod"] });
    up.next(azureBehave.fail(500, { echoAuth: true }));
    const providers = providersFor(up, auth);
    const err = (await providers.complete(attempt("m")).catch((e: unknown) => e)) as UpstreamStatusError;
    expect(err.status).toBe(500);
    expect(err.message).toContain("credential");
    expect(err.message).not.toContain(KEY);
    expect(err.message).not.toContain(TOKEN);
    expect(JSON.stringify(err)).not.toContain(auth === "api-key" ? KEY : TOKEN);
    await providers.close();
  });
});
