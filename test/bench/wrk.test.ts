/**
 * The wrk glue of `npm run bench` (bench/load/wrk.ts): the Lua script it
 * writes carries any body and headers verbatim, and the totals line its
 * `done` hook prints is read back into successes, errors and a rate.
 */
import { describe, expect, it } from "vitest";
import { parseWrk, WRK_MARKER, wrkScript } from "../../bench/load/wrk.js";

/** The literal a Lua long bracket `[==[…]==]` at the start of `text` holds, or undefined. */
function longBracket(text: string): string | undefined {
  const m = /^\[(=*)\[/.exec(text);
  if (!m) return undefined;
  const close = `]${m[1]}]`;
  const end = text.indexOf(close, m[0].length);
  return end < 0 ? undefined : text.slice(m[0].length, end);
}

describe("wrkScript", () => {
  it("sets the method, the body and each header as Lua long strings", () => {
    const script = wrkScript({ method: "POST", headers: { "content-type": "application/json", authorization: "Bearer sk-1" }, body: '{"a":1}' });
    const lines = script.split("\n");
    expect(longBracket(lines[0]!.replace("wrk.method = ", ""))).toBe("POST");
    expect(longBracket(lines[1]!.replace("wrk.body = ", ""))).toBe('{"a":1}');
    // `wrk.headers[[[…]]]` would open a long string at `[[`: the key is spaced off
    expect(lines[2]).toBe("wrk.headers[ [[content-type]] ] = [[application/json]]");
    expect(lines[3]).toBe("wrk.headers[ [[authorization]] ] = [[Bearer sk-1]]");
    expect(script).toContain(`io.write(string.format("${WRK_MARKER} `);
  });

  it("picks a bracket level the body does not contain", () => {
    const body = 'a]]b]=]c"\\n';
    const line = wrkScript({ method: "POST", headers: {}, body }).split("\n")[1]!;
    const literal = line.replace("wrk.body = ", "");
    expect(literal.startsWith("[==[")).toBe(true);
    expect(longBracket(literal)).toBe(body);
  });
});

describe("parseWrk", () => {
  const out = [
    "Running 10s test @ http://127.0.0.1:1234/v1/chat/completions",
    "  1 threads and 50 connections",
    "Requests/sec:  20000.00",
    `${WRK_MARKER} {"requests":200000,"durationUs":10000000,"bytes":1,"connect":0,"read":2,"write":0,"status":1000,"timeout":3,"p50Us":100,"p90Us":200,"p99Us":900}`,
    "",
  ].join("\n");

  it("counts non-2xx responses and socket errors as errors, and only successes in the rate", () => {
    const r = parseWrk(out);
    expect(r.requests).toBe(200_000);
    expect(r.ok).toBe(199_000);
    expect(r.errors).toBe(1_000 + 2 + 3);
    expect(r.seconds).toBe(10);
    expect(r.rps).toBe(19_900);
    expect(r.latencyUs).toEqual({ p50: 100, p90: 200, p99: 900 });
  });

  it("throws when the script's line is missing (the script failed)", () => {
    expect(() => parseWrk("Running 1s test @ http://x\n/tmp/post.lua: unexpected symbol near ']'\n")).toThrow(WRK_MARKER);
  });
});
