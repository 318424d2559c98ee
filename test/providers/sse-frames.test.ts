import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SseLineTooLongError, SseParser, type SseEvent } from "../../runtime/providers/sse.js";
import { deltaBytes, eventOf, SseFramer, simpleData, valueAt } from "../../runtime/providers/sse-frames.js";

/** Frames `bytes` cut at `cuts`; returns the blocks and what was left unfinished. */
function frame(bytes: Buffer, cuts: readonly number[]): { blocks: Buffer[]; rest: Buffer | undefined } {
  const framer = new SseFramer();
  const blocks: Buffer[] = [];
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    blocks.push(...framer.push(bytes.subarray(from, at)));
    from = at;
  }
  return { blocks, rest: framer.end().rest };
}

function parseWhole(bytes: Buffer): { events: SseEvent[]; truncated: boolean } {
  const p = new SseParser();
  const events = p.push(bytes);
  const end = p.end();
  return { events: [...events, ...end.events], truncated: end.truncated };
}

/** What the framed blocks say, read one by one as the relay reads them. */
function eventsOf(blocks: readonly Buffer[]): SseEvent[] {
  return blocks.map((b) => eventOf(b).event).filter((e): e is SseEvent => e !== undefined);
}

// A stream with every shape at once: LF, CRLF and CR endings, a comment, a multi-byte character, multi-line data, a named event.
const MIXED = Buffer.from(
  'data: {"choices":[{"delta":{"content":"h\u00e9llo \u{1F642}"}}]}\n\n' +
    ": keep-alive\r\n\r\n" +
    'data: {"a":1}\r\n\r\n' +
    "event: ping\ndata: one\ndata: two\n\n" +
    "data: cr\r\r" +
    "data: [DONE]\n\n",
);

describe("SseFramer", () => {
  it("cuts a stream split at every byte boundary into the same events as parsing it whole", () => {
    const whole = parseWhole(MIXED).events;
    expect(whole).toHaveLength(5);
    for (let a = 0; a <= MIXED.length; a++) {
      const { blocks, rest } = frame(MIXED, [a]);
      expect(eventsOf(blocks), `split at ${a}`).toEqual(whole);
      expect(rest).toBeUndefined();
    }
  });

  it("keeps a multi-byte character split between chunks whole, byte for byte", () => {
    const text = 'data: {"c":"\u{1F642}\u00e9"}\n\n';
    const bytes = Buffer.from(text);
    const emoji = bytes.indexOf(0xf0);
    for (let a = emoji + 1; a < emoji + 6; a++) {
      const { blocks } = frame(bytes, [a]);
      expect(Buffer.concat(blocks).toString("utf8")).toBe(text);
    }
  });

  it("is the same as the parser for any events cut anywhere, and loses no byte but a CR's LF", () => {
    const line = fc.stringMatching(/^[^\r\n]{0,12}$/);
    const ending = fc.constantFrom("\n", "\r\n", "\r");
    const block = fc.record({
      kind: fc.constantFrom("data", "comment", "event", "multi"),
      text: line,
      more: line,
      end: ending,
    });
    const stream = fc.array(block, { maxLength: 6 }).map((bs) =>
      Buffer.from(
        bs
          .map((b) => {
            const e = b.end;
            if (b.kind === "comment") return `:${b.text}${e}${e}`;
            if (b.kind === "event") return `event: ${b.text}${e}data: ${b.more}${e}${e}`;
            if (b.kind === "multi") return `data: ${b.text}${e}data: ${b.more}${e}${e}`;
            return `data: ${b.text}${e}${e}`;
          })
          .join(""),
      ),
    );
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 8 }), (bytes, rawCuts) => {
        const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const { blocks, rest } = frame(bytes, cuts);
        expect(eventsOf(blocks)).toEqual(parseWhole(bytes).events);
        expect(rest).toBeUndefined();
        // Relaying the blocks in order gives the client what the upstream sent (an LF after a blank line's CR may go).
        const relayed = Buffer.concat(blocks);
        expect(parseWhole(relayed).events).toEqual(parseWhole(bytes).events);
        expect(bytes.length - relayed.length).toBeLessThanOrEqual(bytes.filter((c) => c === 13).length);
      }),
      { numRuns: 300 },
    );
  });

  it("hands back the bytes of an event the upstream stopped in the middle of", () => {
    const { blocks, rest } = frame(Buffer.from('data: {"a":1}\n\ndata: {"b":'), []);
    expect(blocks.map(String)).toEqual(['data: {"a":1}\n\n']);
    expect(String(rest)).toBe('data: {"b":');
    expect(eventOf(rest!).truncated).toBe(true);
  });

  it("frames a huge single event as one block, and refuses one past its limit", () => {
    const big = Buffer.from(`data: {"c":"${"x".repeat(1_000_000)}"}\n\n`);
    const cuts = Array.from({ length: 15 }, (_, i) => (i + 1) * 65_536);
    const { blocks } = frame(big, cuts);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.equals(big)).toBe(true);
    const small = new SseFramer(1_000);
    expect(() => {
      for (let i = 0; i < 10; i++) small.push(Buffer.from("data: " + "y".repeat(200)));
    }).toThrow(SseLineTooLongError);
  });
});

describe("simpleData", () => {
  it("finds the data of a one-line event with LF or CRLF endings", () => {
    expect(String(simpleData(Buffer.from('data: {"a":1}\n\n')))).toBe('{"a":1}');
    expect(String(simpleData(Buffer.from('data:{"a":1}\r\n\r\n')))).toBe('{"a":1}');
  });

  it("leaves every other shape to the parser", () => {
    for (const text of [": ping\n\n", "event: x\ndata: y\n\n", "data: a\ndata: b\n\n", "data: a\r\r", "data: a\rb\n\n", "id: 1\n\n", "\ndata: a\n\n"]) {
      expect(simpleData(Buffer.from(text)), text).toBeUndefined();
    }
  });
});

describe("valueAt and deltaBytes", () => {
  it("finds a key, never a string value that spells it", () => {
    const p = Buffer.from('{"choices":[{"delta":{"content":"usage"}}],"usage" : {"prompt_tokens":1}}');
    expect(p[valueAt(p, Buffer.from('"usage"'))]).toBe(123);
    const q = Buffer.from('{"choices":[{"delta":{"content":"\\"usage\\": {"}}],"usage":null}');
    expect(q[valueAt(q, Buffer.from('"usage"'))]).toBe(110);
    expect(valueAt(Buffer.from('{"content":"error"}'), Buffer.from('"error"'))).toBe(-1);
  });

  it("measures the deltas as JSON.stringify writes them, for compact JSON", () => {
    const delta = fc.record({ content: fc.string({ unit: "grapheme" }), role: fc.constantFrom("assistant", undefined) }, { requiredKeys: ["content"] });
    fc.assert(
      fc.property(fc.array(delta, { minLength: 1, maxLength: 3 }), (deltas) => {
        const chunk = { id: "c", choices: deltas.map((d, index) => ({ index, delta: d, finish_reason: null })), usage: null };
        const payload = Buffer.from(JSON.stringify(chunk));
        const want = deltas.reduce((n, d) => n + Buffer.byteLength(JSON.stringify(d)), 0);
        expect(deltaBytes(payload)).toBe(want);
      }),
      { numRuns: 200 },
    );
  });
});
