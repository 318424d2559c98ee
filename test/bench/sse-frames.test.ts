/**
 * bench/sse-frames: reading the mock's chat stream frame by frame, as the
 * stream cells of issue 20 do: events are split the same whatever the
 * chunking a relay chose, each of the mock's real events is named by its
 * frame, a stream that lost, repeated, reordered or cut a frame is caught,
 * and the gap statistics are taken between paced frames only.
 */
import { describe, expect, it } from "vitest";
import { sseEvents } from "../../bench/mock-upstream.js";
import { checkFrames, DONE_FRAME, frameGaps, frameOf, FRAMES, gapStats, SseSplitter, USAGE_FRAME } from "../../bench/sse-frames.js";

const WIRE = sseEvents().join("");
const ALL = Array.from({ length: FRAMES }, (_, i) => i);

/** Splits `text` into chunks of `size` bytes and returns every event the splitter completed. */
function eventsIn(text: string, size: number): string[] {
  const s = new SseSplitter();
  const bytes = Buffer.from(text);
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(...s.push(bytes.subarray(i, i + size)));
  expect(s.pending()).toBe(0);
  return out;
}

describe("SseSplitter", () => {
  it("returns the same events whatever the chunking, one byte at a time included", () => {
    const whole = eventsIn(WIRE, WIRE.length);
    expect(whole).toHaveLength(FRAMES);
    for (const size of [1, 2, 7, 64, 333]) expect(eventsIn(WIRE, size)).toEqual(whole);
  });

  it("accepts CRLF separators and skips blank events", () => {
    const s = new SseSplitter();
    expect(s.push("data: a\r\n\r\n\n\ndata: b\n")).toEqual(["data: a"]);
    expect(s.pending()).toBeGreaterThan(0);
    expect(s.push("\ndata: c\n\n")).toEqual(["data: b", "data: c"]);
    expect(s.pending()).toBe(0);
  });

  it("keeps a multi-byte character cut between two chunks whole", () => {
    const s = new SseSplitter();
    const bytes = Buffer.from('data: {"content":"é"}\n\n');
    const cut = bytes.indexOf(0xa9);
    // utf8 decoding of a lone lead byte would corrupt it: the splitter must not decode per chunk naively.
    const events = [...s.push(bytes.subarray(0, cut)), ...s.push(bytes.subarray(cut))];
    expect(events.join("")).toContain("é");
  });
});

describe("frameOf", () => {
  it("names each of the mock's real events by its frame", () => {
    expect(sseEvents().map((e) => frameOf(e.trimEnd()))).toEqual(ALL);
  });

  it("names frames a relay re-encoded (other key order, spaces) and ignores what is not a frame", () => {
    expect(frameOf('data: {"choices": [{"delta": {"content": " token7"}, "index": 0}]}')).toBe(7);
    expect(frameOf('data: {"choices": [], "usage": {"prompt_tokens": 1}}')).toBe(USAGE_FRAME);
    expect(frameOf("data:[DONE]")).toBe(DONE_FRAME);
    expect(frameOf('data: {"choices":[{"delta":{"role":"assistant","content":""}}]}')).toBe(0);
    expect(frameOf(": keep-alive")).toBeUndefined();
    expect(frameOf('data: {"choices":[{"delta":{"content":" token99"}}]}')).toBeUndefined();
    expect(frameOf("event: ping")).toBeUndefined();
  });
});

describe("checkFrames", () => {
  it("accepts every frame once, in order, ending with [DONE]", () => {
    expect(checkFrames(ALL)).toEqual({ ok: true, received: FRAMES, missing: 0, duplicated: 0, outOfOrder: 0 });
  });

  it("accepts a stream without the usage frame (a gateway may keep it), unless usage is required", () => {
    const noUsage = ALL.filter((f) => f !== USAGE_FRAME);
    expect(checkFrames(noUsage).ok).toBe(true);
    expect(checkFrames(noUsage, false)).toMatchObject({ ok: false, missing: 1 });
  });

  it("catches a dropped token frame", () => {
    expect(checkFrames(ALL.filter((f) => f !== 17))).toMatchObject({ ok: false, missing: 1 });
  });

  it("catches a repeated frame and a reordered pair", () => {
    expect(checkFrames([...ALL.slice(0, 10), 9, ...ALL.slice(10)])).toMatchObject({ ok: false, duplicated: 1 });
    const swapped = [...ALL];
    [swapped[5], swapped[6]] = [swapped[6]!, swapped[5]!];
    expect(checkFrames(swapped)).toMatchObject({ ok: false, missing: 0, duplicated: 0, outOfOrder: 1 });
  });

  it("catches a stream cut before [DONE], and one where [DONE] is not last", () => {
    expect(checkFrames(ALL.slice(0, 30))).toMatchObject({ ok: false, missing: FRAMES - 30 - 1 });
    expect(checkFrames([...ALL.slice(0, DONE_FRAME), DONE_FRAME, 3]).ok).toBe(false);
    expect(checkFrames([]).ok).toBe(false);
  });
});

describe("frame gaps", () => {
  it("measures between paced frames only, skipping frames never received", () => {
    const times = new Float64Array(FRAMES).fill(NaN);
    // Role and first token one turn apart, then a frame every 2 ms; frame 10 never arrived.
    times[0] = 1;
    times[1] = 1.05;
    for (let f = 2; f < USAGE_FRAME; f++) times[f] = 1.05 + 2 * (f - 1);
    times[10] = NaN;
    const gaps = frameGaps(times);
    expect(gaps).toHaveLength(48 - 2);
    expect(gaps.every((g) => Math.abs(g - 2) < 1e-9)).toBe(true);
  });

  it("counts frames delivered together as bunched", () => {
    const s = gapStats([2, 2, 0.01, 0.02, 2], 2);
    expect(s.bunched).toBeCloseTo(0.4);
    expect(s.gapMs.p50).toBe(2);
    expect(Number.isNaN(gapStats([], 2).bunched)).toBe(true);
  });
});
