import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SseLineTooLongError, SseParser, SseTruncatedError, parseSse, type SseEvent } from "../../runtime/providers/sse.js";

const enc = new TextEncoder();

function parseAll(chunks: (Uint8Array | string)[]): { events: SseEvent[]; truncated: boolean } {
  const parser = new SseParser();
  const events = chunks.flatMap((c) => parser.push(c));
  const end = parser.end();
  return { events: [...events, ...end.events], truncated: end.truncated };
}

async function collect(chunks: Uint8Array[]): Promise<SseEvent[]> {
  async function* source() {
    yield* chunks;
  }
  const out: SseEvent[] = [];
  for await (const e of parseSse(source())) out.push(e);
  return out;
}

describe("SseParser", () => {
  it("parses data lines, event names, ids and multi-line data", () => {
    const { events, truncated } = parseAll([
      "data: {\"a\":1}\n\nevent: message_start\ndata: x\n\nid: 7\ndata: one\ndata: two\n\n",
    ]);
    expect(events).toEqual([
      { event: "message", data: "{\"a\":1}" },
      { event: "message_start", data: "x" },
      { event: "message", data: "one\ntwo", id: "7" },
    ]);
    expect(truncated).toBe(false);
  });

  it("ignores comments, retry and unknown fields, and events without data", () => {
    const { events } = parseAll([": keep-alive\n\nretry: 10\nfoo: bar\n\nevent: ping\n\ndata: [DONE]\n\n"]);
    expect(events).toEqual([{ event: "message", data: "[DONE]" }]);
  });

  it("accepts CRLF, CR and LF line endings, and a field without a colon", () => {
    const { events } = parseAll(["data: a\r\n\r\ndata: b\r\rdata\n\n"]);
    expect(events).toEqual([
      { event: "message", data: "a" },
      { event: "message", data: "b" },
      { event: "message", data: "" },
    ]);
  });

  it("keeps a CR split from its LF as one line ending", () => {
    const { events } = parseAll(["data: a\r", "\n\r", "\ndata: b\n\n"]);
    expect(events).toEqual([
      { event: "message", data: "a" },
      { event: "message", data: "b" },
    ]);
  });

  it("strips one leading space and a byte-order mark", () => {
    const { events } = parseAll(["\uFEFFdata:  two spaces\n\n"]);
    expect(events).toEqual([{ event: "message", data: " two spaces" }]);
  });

  it("decodes UTF-8 split inside a multi-byte character", () => {
    const bytes = enc.encode("data: héllo 😀\n\n");
    const { events } = parseAll([bytes.slice(0, 8), bytes.slice(8, 15), bytes.slice(15)]);
    expect(events).toEqual([{ event: "message", data: "héllo 😀" }]);
  });

  it("reports a stream that ends mid-event", () => {
    expect(parseAll(["data: a\n\ndata: b"]).truncated).toBe(true);
    expect(parseAll(["data: a\n\ndata: b\n"]).truncated).toBe(true);
    expect(parseAll(["data: a\n\n: comment\n"]).truncated).toBe(false);
  });

  it("parseSse throws SseTruncatedError after the whole events of a cut stream", async () => {
    const events: SseEvent[] = [];
    async function* source() {
      yield enc.encode("data: 1\n\ndata: 2");
    }
    await expect(
      (async () => {
        for await (const e of parseSse(source())) events.push(e);
      })(),
    ).rejects.toBeInstanceOf(SseTruncatedError);
    expect(events).toEqual([{ event: "message", data: "1" }]);
  });

  // The property the adapters rely on: where the network splits the bytes does not matter.
  it("yields the same events however the byte stream is split", async () => {
    const line = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 12 }).map((s) => `data: ${s.replace(/[\r\n]/g, "")}`),
      fc.constantFrom("event: message_start", "event: ping", ": comment", "id: 3", "data", "retry: 5"),
    );
    const eol = fc.constantFrom("\n", "\r\n", "\r");
    const stream = fc.array(fc.tuple(line, eol), { maxLength: 20 }).map((lines) => lines.map(([l, e]) => l + e).join("") + "\n\n");
    await fc.assert(
      fc.asyncProperty(stream, fc.array(fc.nat(), { maxLength: 8 }), async (text, cuts) => {
        const bytes = enc.encode(text);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let at = 0;
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.slice(at, p));
          at = p;
        }
        expect(await collect(chunks)).toEqual(await collect([bytes]));
      }),
      { numRuns: 300 },
    );
  });
});

describe("SseParser limits", () => {
  it("refuses a line longer than its limit instead of buffering it", () => {
    const parser = new SseParser(10);
    expect(parser.push("data: 1234")).toEqual([]);
    expect(() => parser.push("567890")).toThrow(SseLineTooLongError);
  });
});
