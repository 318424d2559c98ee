import { PROVIDER_APIS } from "../../compiler/settings.js";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import type { ProviderNode } from "../../compiler/graph.js";
import { ADAPTERS, Pools, Providers, UpstreamTimeoutError } from "../../runtime/providers/index.js";
import { behave, closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { attempt, graphOf, span } from "./harness.js";

describe("Providers", () => {
  it("has an adapter for every api kind", () => {
    expect(Object.keys(ADAPTERS).sort()).toEqual([...PROVIDER_APIS].sort());
    expect(PROVIDER_APIS).toEqual(expect.arrayContaining(["anthropic", "gemini", "mock", "openai", "vertex"]));
  });

  it("reports key variables that are not set, and keeps keys out of inspect", () => {
    const providers = new Providers(
      graphOf({
        a: { api: "openai", key: { env: "A_KEY" }, timeoutMs: 1_000, span },
        b: { api: "anthropic", key: { env: "B_KEY" }, timeoutMs: 1_000, span },
        c: { api: "mock", timeoutMs: 1_000, span },
      }),
      { resolveSecret: (ref) => (ref.env === "A_KEY" ? "sk-a-secret-value" : undefined) },
    );
    expect(providers.problems).toEqual(["provider `b`: environment variable `B_KEY` is not set"]);
    expect(inspect(providers, { depth: 10, showHidden: true })).not.toContain("sk-a-secret-value");
    expect(JSON.stringify(providers)).not.toContain("sk-a-secret-value");
  });

  it("rejects a model the graph does not have", async () => {
    const providers = new Providers(graphOf({ c: { api: "mock", timeoutMs: 1_000, span } }), { resolveSecret: () => undefined });
    await expect(providers.complete(attempt("nope"))).rejects.toThrow("unknown model `nope`");
  });

  it("uses the provider's timeout unless the attempt sets one", async () => {
    const up = await startUpstream("openai");
    up.setDefault(behave.stallHeaders());
    const provider: ProviderNode = { api: "openai", baseUrl: up.baseUrl, timeoutMs: 120, span };
    const providers = new Providers(graphOf({ p: provider }), { resolveSecret: () => undefined });
    await expect(providers.complete(attempt("p-model"))).rejects.toMatchObject({ timeoutMs: 120 });
    await expect(providers.complete(attempt("p-model", {}, { timeoutMs: 90 }))).rejects.toBeInstanceOf(UpstreamTimeoutError);
    await providers.close();
    await closeAllUpstreams();
  });

  it("leaves shared pools open on close, so they can outlive a reload", async () => {
    const up = await startUpstream("openai");
    const pools = new Pools();
    const provider: ProviderNode = { api: "openai", baseUrl: up.baseUrl, timeoutMs: 5_000, span };
    const first = new Providers(graphOf({ p: provider }), { resolveSecret: () => undefined, pools });
    await first.complete(attempt("p-model"));
    await first.close();
    const second = new Providers(graphOf({ p: provider }), { resolveSecret: () => undefined, pools });
    await new Promise((r) => setImmediate(r));
    await second.complete(attempt("p-model"));
    expect(up.connections).toBe(1);
    await pools.close();
    expect(() => pools.get(up.origin)).toThrow(/closed/);
    await closeAllUpstreams();
  });
});
