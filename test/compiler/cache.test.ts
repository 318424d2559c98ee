import { describe, expect, it } from "vitest";
import { formatText } from "../../lang/format.js";
import { BASE, compileText, errorCodes, found } from "./helpers.js";

const POLICY = `${BASE}guardrail pii { on output  redact email }
guardrail gold-only { block when team != "gold" }

cache answers {
  ttl 10m
  scope global
  when not tools and input_bytes < 64KB
  bypass denied
  charge hits
}

route chat {
  when model == "chat"
  to m
  cache answers
}

route other {
  to m
  cache { ttl 1h  scope team  max_entry 1MB }
}

test "a hit" {
  request { model "chat" }
  given cache hit
  expect cache hit
}
`;

describe("cache declarations", () => {
  it("lowers a declared cache, an inline one and the routes that use them", () => {
    const r = compileText(`gateway { cache_memory 8MB }\n${POLICY}`);
    expect(errorCodes(r)).toEqual([]);
    const g = r.graph!;
    expect(g.gateway.cacheMemoryBytes).toBe(8 * 1024 * 1024);
    expect(g.caches["answers"]).toMatchObject({
      ttlMs: 600_000,
      scope: "global",
      maxEntryBytes: 256 * 1024,
      bypass: "denied",
      chargeHits: true,
      when: { op: "and", args: [{ op: "not", arg: { op: "truthy", fact: { name: "tools" } } }, { op: "lt", fact: { name: "input_bytes" }, value: 65536 }] },
    });
    // An inline cache is named after its route with a `:`, which no declared name can spell.
    expect(g.caches["route:other"]).toMatchObject({ ttlMs: 3_600_000, scope: "team", maxEntryBytes: 1024 * 1024, bypass: "allowed", chargeHits: false });
    expect(g.caches["route:other"]!.when).toBeUndefined();
    expect(g.routes.map((x) => x.cache)).toEqual(["answers", "route:other"]);
    expect(r.tests[0]!.given).toEqual([{ kind: "cache-hit" }]);
    expect(r.tests[0]!.expect[0]).toMatchObject({ kind: "cache", result: "hit" });
  });

  it("defaults: scope key, 256KB entries, bypass allowed, hits free", () => {
    const r = compileText(`${BASE}cache c { ttl 30s }\nroute r { to m  cache c }`);
    expect(errorCodes(r)).toEqual([]);
    expect(r.graph!.caches["c"]).toMatchObject({ ttlMs: 30_000, scope: "key", maxEntryBytes: 262_144, bypass: "allowed", chargeHits: false });
    expect(r.graph!.gateway.cacheMemoryBytes).toBeUndefined();
  });

  it("a semantic cache names its embedding model; its similarity and bound have defaults", () => {
    const r = compileText(`${BASE}model embed = p/"e" { input $0.02/Mtok }
cache near { ttl 1h  semantic embed  similarity 0.9  max_vectors 3k }
cache plain { ttl 1h  semantic embed }
route s { when model == "s"  to m  cache plain }
route t { when model == "t"  to m  cache { ttl 1m  semantic embed } }
route r { to m  cache near }`);
    expect(errorCodes(r)).toEqual([]);
    expect(r.graph!.caches["near"]!.semantic).toEqual({ model: "embed", similarity: 0.9, maxVectors: 3000 });
    expect(r.graph!.caches["plain"]!.semantic).toEqual({ model: "embed", similarity: 0.95, maxVectors: 2_000 });
    expect(r.graph!.caches["route:t"]!.semantic).toEqual({ model: "embed", similarity: 0.95, maxVectors: 2_000 });
    expect(r.graph!.caches["route:r"]).toBeUndefined();
  });

  it("a semantic cache's mistakes: an unknown model, a quoted name, a similarity out of range, settings without `semantic`", () => {
    const r = compileText(`${BASE}cache a { ttl 1h  semantic embd }
cache b { ttl 1h  semantic "m"  similarity 1.5 }
cache c { ttl 1h  similarity 0.9  max_vectors 10 }
route s { when model == "s"  to m  cache b }
route t { when model == "t"  to m  cache c }
route r { to m  cache a }`);
    expect(found(r, "E101")).toEqual([{ line: 3, column: 28, message: "unknown model `embd`" }]);
    expect(found(r, "E201")).toEqual([{ line: 4, column: 28, message: 'expected a name like `embed-small` after `semantic`, found the string `"m"`' }]);
    expect(found(r, "E204")).toEqual([{ line: 4, column: 44, message: "`similarity` must be at most 1, found `1.5`" }]);
    expect(found(r, "E202").map((d) => d.message)).toEqual([
      "`similarity` belongs to a semantic cache, and cache `c` has no `semantic`",
      "`max_vectors` belongs to a semantic cache, and cache `c` has no `semantic`",
    ]);
  });

  it("formats in the canonical layout and parses back to the same text", () => {
    const once = formatText(POLICY, "p.route");
    expect(once.diagnostics).toEqual([]);
    expect(once.text).toContain("cache answers {\n  ttl 10m\n  scope global\n  when not tools and input_bytes < 64KB\n  bypass denied\n  charge hits\n}");
    expect(once.text).toContain("  cache { ttl 1h  scope team  max_entry 1MB }\n");
    expect(once.text).toContain("  given cache hit\n  expect cache hit\n");
    expect(formatText(once.text!, "p.route").text).toBe(once.text);
  });

  it("reports every bad value with its span", () => {
    const r = compileText(`${BASE}cache c {
  ttl 10
  scope everyone
  when temprature == 0
  bypass maybe
  colour red
  when tools
}
cache d { scope key }
route r {
  to m
  cache cc
  cache { ttl 0s }
}
test "t" {
  request { model "x" }
  expect cache hot
}`);
    expect(found(r, "E201")).toEqual([
      { line: 4, column: 7, message: "expected a duration like 30s after `ttl`, found the number `10`" },
      { line: 5, column: 9, message: "expected one of `key`, `team`, `user`, `global` after `scope`, found the word `everyone`" },
      { line: 7, column: 10, message: "expected `allowed` or `denied` after `bypass`, found the word `maybe`" },
    ]);
    expect(found(r, "E202")).toEqual([{ line: 8, column: 3, message: "unknown setting `colour` in cache `c`" }]);
    expect(found(r, "E203")).toEqual([{ line: 11, column: 7, message: "cache `d` needs the setting `ttl`" }]);
    expect(found(r, "E205")).toEqual([{ line: 6, column: 8, message: "unknown fact `temprature`" }]);
    expect(found(r, "E208").map((d) => d.message)).toEqual(["`when` is given twice", "`cache` in route `r` is given twice"]);
    expect(found(r, "E101")).toEqual([{ line: 14, column: 9, message: "unknown cache `cc`" }]);
    expect(r.diagnostics.find((d) => d.code === "E101")!.help).toBe("did you mean `c`, a cache?");
    expect(found(r, "E204")).toEqual([{ line: 15, column: 15, message: "`ttl` must be more than 0, found `0s`" }]);
    expect(found(r, "E401")).toEqual([{ line: 19, column: 16, message: "expected one of `hit`, `miss`, `bypass` after `cache`, found the word `hot`" }]);
    expect(r.graph).toBeUndefined();
  });

  it("W507: a cache shared across callers on a route whose guardrails redact or read the caller", () => {
    const r = compileText(`${BASE}guardrail pii { on output  redact email }
guardrail gold { block when team != "gold" }
guardrail words { flag deny ["x"] }
cache everyone { ttl 1m  scope global }
cache mine { ttl 1m }
route a { when model == "a"  to m  guard pii  cache everyone }
route b { when model == "b"  to m  guard gold  cache { ttl 1m  scope team } }
route c { when model == "c"  to m  guard pii  cache mine }
route d { when model == "d"  to m  guard words  cache everyone }
route e { when model == "e"  to m  guard pii  cache { ttl 1m  scope user } }`);
    expect(errorCodes(r)).toEqual([]);
    const w = r.diagnostics.filter((d) => d.code === "W507");
    expect(w.map((d) => [d.span.line, d.message])).toEqual([
      [8, "cache `everyone` of route `a` is shared by every caller (`scope global`), and guardrail `pii` redacts: a hit serves one caller's reply to another"],
      [9, "the cache of route `b` is shared by a whole team (`scope team`), and guardrail `gold` decides by who is calling: a hit serves one caller's reply to another"],
    ]);
    expect(w[0]!.related?.span.line).toBe(3);
    expect(w[0]!.help).toContain("scope key");
  });
});
