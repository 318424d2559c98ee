/**
 * OpenTelemetry traces over OTLP/HTTP JSON: with an exporter configured,
 * each request becomes a server span with children for decide, the input
 * guardrails and each try; a client `traceparent` makes it part of the
 * caller's trace. Without one, the pipeline times nothing extra.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/index.js";
import { otlpExporter, tracesUrl } from "../../runtime/observe/otlp.js";
import { unixNano, type OtlpSpan } from "../../runtime/observe/spans.js";
import { behave, closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { accessCount, ask, closeObserved, observed, post } from "./helpers.js";

afterAll(async () => {
  await closeObserved();
  await closeAllUpstreams();
});

/** A collector on 127.0.0.1 that keeps every posted body. */
async function collector(): Promise<{ url: string; posts: { path: string; body: { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] } }[]; close: () => void }> {
  const posts: { path: string; body: never }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      posts.push({ path: req.url ?? "", body: JSON.parse(text) as never });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posts, close: () => server.close() };
}

describe("OTLP trace export", () => {
  it("exports a request span with decide, guardrail and attempt children, in the caller's trace", async () => {
    const up = await startUpstream("openai");
    const text = `gateway { auth none }
provider up { api openai  base_url "${up.baseUrl}" }
model a = up/"a" { input $1/Mtok  output $2/Mtok }
model b = up/"b"
guardrail pii { on input  redact email }
route chat { when model == "chat"  guard pii  to a  fallback b on 5xx }
`;
    const graph = compileSources([{ path: "main.route", text }]).graph!;
    const col = await collector();
    const spans = otlpExporter({ endpoint: col.url, flushMs: 10_000 });
    const o = await observed(graph, { observe: { spans } });
    up.next(behave.fail(503));
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const r = await post(o.base, ask("chat", "mail ana@example.com"), { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(r.status).toBe(200);
    await accessCount(o, 1);
    await spans.flush();
    col.close();

    expect(col.posts).toHaveLength(1);
    expect(col.posts[0]!.path).toBe("/v1/traces");
    const all = col.posts[0]!.body.resourceSpans[0]!.scopeSpans[0]!.spans;
    expect(all.map((s) => s.name)).toEqual(["POST /v1/chat/completions", "aigw.decide", "aigw.guardrails", "chat a", "chat b"]);
    const [root, decide, guard, first, second] = all;
    expect(all.every((s) => s.traceId === traceId)).toBe(true);
    expect(root!.parentSpanId).toBe("00f067aa0ba902b7");
    expect(root!.kind).toBe(2);
    for (const child of [decide, guard, first, second]) expect(child!.parentSpanId).toBe(root!.spanId);
    const attr = (s: OtlpSpan, key: string) => s.attributes.find((a) => a.key === key)?.value;
    expect(attr(root!, "aigw.route")).toEqual({ stringValue: "chat" });
    expect(attr(root!, "aigw.target")).toEqual({ stringValue: "b" });
    expect(attr(root!, "http.response.status_code")).toEqual({ intValue: "200" });
    expect(attr(guard!, "aigw.guardrail.actions")).toEqual({ stringValue: "pii:redact" });
    expect(attr(first!, "aigw.outcome")).toEqual({ stringValue: "503" });
    expect(first!.status.code).toBe(2);
    expect(attr(second!, "aigw.target")).toEqual({ stringValue: "b" });
    for (const s of all) expect(BigInt(s.endTimeUnixNano) >= BigInt(s.startTimeUnixNano)).toBe(true);
    expect(BigInt(decide!.startTimeUnixNano) >= BigInt(root!.startTimeUnixNano)).toBe(true);
    expect(BigInt(second!.endTimeUnixNano) <= BigInt(root!.endTimeUnixNano)).toBe(true);
    expect(JSON.stringify(all)).not.toContain("ana@example.com");
  });

  it("drops spans rather than growing without bound, and reports failed posts", async () => {
    const errors: unknown[] = [];
    const exporter = otlpExporter({
      endpoint: "http://collector.invalid",
      maxQueue: 1,
      fetch: async () => ({ ok: false, status: 503 }),
      onError: (e) => void errors.push(e),
    });
    const f = { graph: { policy: "p-1" }, method: "POST", path: "/", status: 200, totalMs: 1, view: { requestId: "r", attempts: [], redacted: [], flagged: [], tries: [], status: 200 } };
    exporter.request(f as never, 0, undefined);
    expect(exporter.dropped).toBe(0);
    exporter.request(f as never, 0, undefined); // the queue holds one span
    expect(exporter.dropped).toBe(1);
    await exporter.close(); // the post fails: its span is dropped too
    expect(exporter.dropped).toBe(2);
    expect(errors).toHaveLength(1);
    exporter.request(f as never, 0, undefined); // closed: ignored
    expect(exporter.dropped).toBe(2);
    expect(tracesUrl("http://c:4318/")).toBe("http://c:4318/v1/traces");
    expect(tracesUrl("http://c/v1/traces")).toBe("http://c/v1/traces");
  });

  it("writes nanosecond timestamps past 2^53 without rounding the milliseconds", () => {
    expect(unixNano(1_700_000_000_123.5)).toBe("1700000000123500000");
    expect(unixNano(1_700_000_000_123)).toBe("1700000000123000000");
  });
});
