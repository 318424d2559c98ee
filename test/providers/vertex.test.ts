/**
 * The Vertex adapter's authentication against the fake token endpoint
 * (which verifies the JWT assertion's signature and claims) and the strict
 * fake Vertex upstream: one exchange per token lifetime on a fixed clock,
 * refresh five minutes before expiry, one exchange in flight for
 * concurrent requests, typed auth errors without secrets, key files, and
 * the endpoint's URL.
 */

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProviderNode } from "../../compiler/graph.js";
import { Providers, UpstreamAbortedError, UpstreamAuthError, UpstreamStatusError, UpstreamTimeoutError } from "../../runtime/providers/index.js";
import { vertexUrl } from "../../runtime/providers/vertex.js";
import { startGoogleUpstream, type GoogleUpstream } from "../support/google-upstream.js";
import { serviceAccount, startTokenEndpoint, type ServiceAccountKey, type TokenEndpoint } from "../support/google-token.js";
import { attempt, graphOf, span } from "./harness.js";

let clock = Date.UTC(2026, 0, 1);
const now = () => clock;
let tokens: TokenEndpoint;
let account: ServiceAccountKey;
let trusted: ServiceAccountKey;
let up: GoogleUpstream;

beforeEach(async () => {
  clock = Date.UTC(2026, 0, 1);
  tokens = await startTokenEndpoint(() => trusted, now);
  account = await serviceAccount(tokens.tokenUri);
  trusted = account;
  up = await startGoogleUpstream("vertex", { tokenValid: (t) => tokens.isValid(t), project: "proj-1", location: "europe-west4" });
});
afterEach(async () => {
  await up.close();
  await tokens.close();
});

function vertexProviders(extra: Partial<ProviderNode> = {}, key: string | undefined = account.json): Providers {
  const provider: ProviderNode = { api: "vertex", baseUrl: up.baseUrl, key: { env: "GOOGLE_APPLICATION_CREDENTIALS_JSON" }, timeoutMs: 5_000, span, vertex: { project: "proj-1", location: "europe-west4" }, ...extra };
  return new Providers(graphOf({ v: provider }, "gemini-2.5-pro"), { resolveSecret: () => key, now });
}

describe("vertex auth", () => {
  it("posts to the publisher model path with a bearer token from the JWT-bearer exchange", async () => {
    const providers = vertexProviders();
    const { completion } = await providers.complete(attempt("v-model"));
    expect(completion.choices[0]!.message.content).toBe("fine, thanks");
    expect(up.requests[0]!.path).toBe("/v1/projects/proj-1/locations/europe-west4/publishers/google/models/gemini-2.5-pro:generateContent");
    expect(up.requests[0]!.headers["authorization"]).toBe(`Bearer ${tokens.issued[0]}`);
    await providers.close();
  });

  it("reuses the token until five minutes before it expires, then exchanges a new one (fixed clock)", async () => {
    tokens.setLifetime(3600);
    const providers = vertexProviders();
    await providers.complete(attempt("v-model"));
    clock += 54 * 60_000; // 6 minutes left: still good
    await providers.complete(attempt("v-model"));
    expect(tokens.issued).toHaveLength(1);
    clock += 60_000 + 1; // under 5 minutes left: refreshed before use
    await providers.complete(attempt("v-model"));
    expect(tokens.issued).toHaveLength(2);
    expect(up.requests[2]!.headers["authorization"]).toBe(`Bearer ${tokens.issued[1]}`);
    await providers.close();
  });

  it("shares one exchange in flight among concurrent requests", async () => {
    const providers = vertexProviders();
    const gate = tokens.hold();
    const pending = Array.from({ length: 5 }, () => providers.complete(attempt("v-model")));
    await new Promise((r) => setTimeout(r, 50));
    gate.release();
    await Promise.all(pending);
    expect(tokens.attempts).toBe(1);
    expect(new Set(up.requests.map((r) => r.headers["authorization"]))).toEqual(new Set([`Bearer ${tokens.issued[0]}`]));
    await providers.close();
  });

  it("lets a caller give up (or time out) while the exchange it waits on goes on for the others", async () => {
    const providers = vertexProviders();
    const gate = tokens.hold();
    const controller = new AbortController();
    const patient = providers.complete(attempt("v-model"));
    const leaving = providers.complete(attempt("v-model", {}, { signal: controller.signal })).catch((e: unknown) => e);
    const hurried = providers.complete(attempt("v-model", {}, { timeoutMs: 100 })).catch((e: unknown) => e);
    controller.abort();
    expect(await leaving).toBeInstanceOf(UpstreamAbortedError);
    expect(await hurried).toBeInstanceOf(UpstreamTimeoutError);
    gate.release();
    expect((await patient).completion.choices[0]!.message.content).toBe("fine, thanks");
    expect(tokens.attempts).toBe(1);
    expect(up.requests).toHaveLength(1);
    await providers.close();
  });

  it("fails a refused exchange as a typed auth error (502) naming no secret, and tries again next time", async () => {
    const providers = vertexProviders();
    tokens.failNext(400, "Invalid JWT Signature.");
    const err = (await providers.complete(attempt("v-model")).catch((e: unknown) => e)) as UpstreamAuthError;
    expect(err).toBeInstanceOf(UpstreamAuthError);
    expect(err).toMatchObject({ code: "AIGW_UPSTREAM_AUTH", reason: "502", provider: "v" });
    expect(err.message).toContain("token exchange failed");
    expect(up.requests).toHaveLength(0);
    const text = `${err.message} ${JSON.stringify(err)}`;
    for (const secret of [account.privateKeyPem.split("\n")[1]!, account.json]) expect(text).not.toContain(secret);
    await providers.complete(attempt("v-model"));
    expect(tokens.issued).toHaveLength(1);
    await providers.close();
  });

  it("is refused by the token endpoint when the key was not the account's (the fake checks the signature)", async () => {
    trusted = await serviceAccount(tokens.tokenUri); // the endpoint now trusts another key for the same account
    const providers = vertexProviders();
    const err = (await providers.complete(attempt("v-model")).catch((e: unknown) => e)) as UpstreamAuthError;
    expect(err).toBeInstanceOf(UpstreamAuthError);
    expect(err.message).toMatch(/Invalid JWT Signature/);
    await providers.close();
  });

  it("refuses a key that is not a service-account key, without quoting it", async () => {
    const providers = vertexProviders({}, '{"type":"authorized_user","refresh_token":"1//secret-refresh"}');
    const err = (await providers.complete(attempt("v-model")).catch((e: unknown) => e)) as UpstreamAuthError;
    expect(err).toBeInstanceOf(UpstreamAuthError);
    expect(err.message).toMatch(/not a service-account key/);
    expect(err.message).not.toContain("secret-refresh");
    await providers.close();
  });

  it("reads the key from key_file when the provider has no key", async () => {
    const dir = await mkdtemp(join(tmpdir(), "aigw-vertex-"));
    try {
      const file = join(dir, "sa.json");
      await writeFile(file, account.json);
      const provider: ProviderNode = { api: "vertex", baseUrl: up.baseUrl, timeoutMs: 5_000, span, vertex: { project: "proj-1", location: "europe-west4", keyFile: file } };
      const providers = new Providers(graphOf({ v: provider }, "gemini-2.5-pro"), { resolveSecret: () => undefined, now });
      await providers.complete(attempt("v-model"));
      expect(tokens.issued).toHaveLength(1);
      // Read once per loaded provider, not per request.
      await rm(file);
      clock += 2 * 3600_000;
      await providers.complete(attempt("v-model"));
      expect(tokens.issued).toHaveLength(2);
      const missing: ProviderNode = { ...provider, vertex: { project: "proj-1", location: "europe-west4", keyFile: join(dir, "absent.json") } };
      const p2 = new Providers(graphOf({ v: missing }, "gemini-2.5-pro"), { resolveSecret: () => undefined, now });
      await expect(p2.complete(attempt("v-model"))).rejects.toThrow(/cannot be read \(ENOENT\)/);
      await providers.close();
      await p2.close();
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it("never echoes the bearer token when Vertex's error quotes it", async () => {
    const providers = vertexProviders();
    up.next({ kind: "fail", status: 403, echoAuth: true });
    const err = (await providers.complete(attempt("v-model")).catch((e: unknown) => e)) as UpstreamStatusError;
    expect(err).toMatchObject({ status: 403, upstreamType: "PERMISSION_DENIED" });
    expect(err.message).toContain("(saw ");
    expect(err.message).not.toContain(tokens.issued[0]!);
    await providers.close();
  });

  it("streams from Vertex with alt=sse", async () => {
    const providers = vertexProviders();
    let text = "";
    for await (const c of await providers.stream(attempt("v-model", { stream: true }))) text += c.choices[0]?.delta.content ?? "";
    expect(text).toBe("fine, thanks");
    expect(up.requests[0]!.path).toMatch(/:streamGenerateContent\?alt=sse$/);
    await providers.close();
  });

  it("sends Claude models to Anthropic's publisher in the Messages wire (rawPredict, streamRawPredict)", async () => {
    const provider: ProviderNode = { api: "vertex", baseUrl: up.baseUrl, key: { env: "SA" }, timeoutMs: 5_000, span, vertex: { project: "proj-1", location: "europe-west4" } };
    const providers = new Providers(graphOf({ v: provider }, "claude-sonnet-4-5"), { resolveSecret: () => account.json, now });
    const { completion } = await providers.complete(attempt("v-model", { messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hi" }] }));
    expect(completion.choices[0]!.message.content).toBe("fine, thanks");
    const sent = up.requests[0]!;
    expect(sent.path).toBe("/v1/projects/proj-1/locations/europe-west4/publishers/anthropic/models/claude-sonnet-4-5:rawPredict");
    expect(sent.headers["authorization"]).toBe(`Bearer ${tokens.issued[0]}`);
    expect(sent.body).toMatchObject({ anthropic_version: "vertex-2023-10-16", system: [{ type: "text", text: "be brief" }], messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }] });
    expect(sent.body.model).toBeUndefined();
    let text = "";
    for await (const c of await providers.stream(attempt("v-model", { stream: true }))) text += c.choices[0]?.delta.content ?? "";
    expect(text).toBe("fine, thanks");
    expect(up.requests[1]!.path).toMatch(/:streamRawPredict$/);
    expect(tokens.issued).toHaveLength(1);
    await providers.close();
  });

  it("has no embeddings (Vertex serves them through :predict)", async () => {
    const providers = vertexProviders();
    await expect(providers.embed(attempt("v-model"))).rejects.toThrow(/has no embeddings/);
    await providers.close();
  });
});

describe("vertexUrl", () => {
  const provider = (location: string): ProviderNode => ({ api: "vertex", timeoutMs: 1, span, vertex: { project: "my-proj", location } });
  it("uses the regional host, and the global one for `global`", () => {
    expect(vertexUrl(provider("us-central1"), "gemini-2.5-flash", "generateContent").href).toBe(
      "https://us-central1-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent",
    );
    expect(vertexUrl(provider("global"), "gemini-2.5-flash", "generateContent").host).toBe("aiplatform.googleapis.com");
  });
});
