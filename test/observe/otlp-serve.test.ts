/**
 * Traces from `aigw serve` (run in this process by ./serve.ts) configured
 * only by the standard OTEL_* environment, received by an OTLP/HTTP receiver on 127.0.0.1: the
 * headers a hosted collector needs arrive (and are never printed), the
 * resource names the service, each try is a GenAI CLIENT span under the
 * OpenTelemetry semantic conventions, and OTEL_SDK_DISABLED turns it off.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { AnyValue, OtlpSpan } from "../../runtime/observe/spans.js";
import { policyDir } from "../support/cli.js";
import { behave, closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { serve, stopServed } from "./serve.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Post {
  path: string;
  headers: IncomingHttpHeaders;
  body: { resourceSpans: { resource: { attributes: { key: string; value: AnyValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };
}

const receivers: (() => void)[] = [];
afterAll(async () => {
  await stopServed();
  await closeAllUpstreams();
  for (const close of receivers) close();
});

/** An OTLP/HTTP JSON receiver that keeps every post. */
async function receiver(): Promise<{ url: string; posts: Post[] }> {
  const posts: Post[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      posts.push({ path: req.url ?? "", headers: req.headers, body: JSON.parse(text) as Post["body"] });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  receivers.push(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts };
}

const SECRET = "otel-ingest-token-7f3a9c";

async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await sleep(50);
}

const attrs = (list: { key: string; value: AnyValue }[]): Record<string, unknown> =>
  Object.fromEntries(list.map((a) => [a.key, "arrayValue" in a.value ? a.value.arrayValue.values.map((v) => Object.values(v)[0]) : Object.values(a.value)[0]]));

describe("OTLP export configured by the OTEL_* environment", () => {
  it("sends headers and resource from the environment and GenAI spans for each try; OTEL_SDK_DISABLED sends nothing", async () => {
    const up = await startUpstream("openai");
    const dir = policyDir({
      "main.route": `gateway { auth none }
provider up { api openai  base_url "${up.baseUrl}" }
model a = up/"gpt-4o"
model b = up/"gpt-4o-mini"
route chat { when model == "chat"  to a  fallback b on 5xx }
`,
    });
    const main = await receiver();
    const other = await receiver();
    const off = await receiver();
    const policy = join(dir, "main.route");
    const [gw, exact, disabled] = await Promise.all([
      serve(policy, {
        OTEL_EXPORTER_OTLP_ENDPOINT: main.url,
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${SECRET},x-tenant=acme`,
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-tenant=prod",
        OTEL_SERVICE_NAME: "gateway-eu",
        OTEL_RESOURCE_ATTRIBUTES: "service.name=ignored,deployment.environment=prod%20eu",
      }),
      serve(policy, { OTEL_EXPORTER_OTLP_ENDPOINT: other.url, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${main.url}/tenant/42/traces` }),
      serve(policy, { OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: off.url }),
    ]);
    up.next(behave.fail(503));
    const body = { model: "chat", messages: [{ role: "user", content: "mail ana@example.com" }], max_tokens: 64, temperature: 0.2, stop: ["\n\n"] };
    for (const g of [gw, exact, disabled]) {
      const r = await fetch(`${g.base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      expect(r.status).toBe(200);
      await r.text();
    }
    await until(() => main.posts.length >= 2);
    await Promise.all([gw.stop(), exact.stop(), disabled.stop()]); // a graceful stop flushes what is queued

    const viaEnv = main.posts.find((p) => p.path === "/v1/traces")!;
    expect(viaEnv.headers["authorization"]).toBe(`Bearer ${SECRET}`);
    expect(viaEnv.headers["x-tenant"]).toBe("prod");
    const resource = attrs(viaEnv.body.resourceSpans[0]!.resource.attributes);
    expect(resource).toMatchObject({ "service.name": "gateway-eu", "deployment.environment": "prod eu" });
    const spans = viaEnv.body.resourceSpans[0]!.scopeSpans[0]!.spans;
    expect(spans.map((s) => [s.name, s.kind])).toEqual([
      ["POST /v1/chat/completions", 2],
      ["aigw.decide", 1],
      ["aigw.guardrails", 1],
      ["chat gpt-4o", 3],
      ["chat gpt-4o-mini", 3],
    ]);
    const [root, , , failed, answered] = spans.map((s) => attrs(s.attributes));
    expect(root).toMatchObject({ "gen_ai.operation.name": "chat", "gen_ai.request.model": "chat", "gen_ai.usage.input_tokens": "11", "gen_ai.usage.output_tokens": "7" });
    const port = String(new URL(up.baseUrl).port);
    const request = { "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.max_tokens": "64", "gen_ai.request.temperature": 0.2, "gen_ai.request.stop_sequences": ["\n\n"], "server.address": "127.0.0.1", "server.port": port };
    expect(failed).toMatchObject({ ...request, "gen_ai.request.model": "gpt-4o", "error.type": "503" });
    expect(failed).not.toHaveProperty("gen_ai.response.model");
    expect(answered).toMatchObject({ ...request, "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini", "gen_ai.response.finish_reasons": ["stop"], "gen_ai.usage.input_tokens": "11", "gen_ai.usage.output_tokens": "7" });
    expect(answered!["gen_ai.response.id"]).toMatch(/^chatcmpl-/);
    expect(answered).not.toHaveProperty("error.type");
    expect(JSON.stringify(viaEnv.body)).not.toContain("ana@example.com");

    // The signal-specific endpoint is used exactly as given, and wins over the base one.
    expect(main.posts.some((p) => p.path === "/tenant/42/traces")).toBe(true);
    expect(other.posts).toHaveLength(0);
    expect(off.posts).toHaveLength(0);
    expect(gw.output()).toContain(`traces: OTLP/HTTP JSON to ${main.url}/v1/traces as service gateway-eu`);
    for (const g of [gw, exact, disabled]) expect(g.output()).not.toContain(SECRET);
  }, 60_000);
});
