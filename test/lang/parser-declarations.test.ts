/**
 * Every declaration kind parses to the AST shape the compiler reads.
 */
import { describe, expect, it } from "vitest";
import { decl, decls, id, qty, str } from "./helpers.js";

const setting = (name: string, value: unknown) => ({ kind: "setting", name: id(name), value });

describe("declarations", () => {
  it("import", () => {
    expect(decl('import "routes/chat.route"')).toEqual({ kind: "import", path: str("routes/chat.route") });
  });

  it("gateway with settings of every value form", () => {
    expect(decl('gateway { listen ":8787" state sqlite(".aigw/state.db") auth none debug true verbose false hosts ["a", 2] pool 10 }')).toEqual({
      kind: "gateway",
      settings: [
        setting("listen", str(":8787")),
        setting("state", { kind: "call", callee: id("sqlite"), args: [str(".aigw/state.db")] }),
        setting("auth", id("none")),
        setting("debug", { kind: "bool", value: true }),
        setting("verbose", { kind: "bool", value: false }),
        setting("hosts", { kind: "list", items: [str("a"), qty("2", "number", 2)] }),
        setting("pool", qty("10", "number", 10)),
      ],
    });
  });

  it("nested calls and calls with several or no arguments", () => {
    expect(decl('gateway { state redis(env("REDIS_URL"), 3) now clock() }')).toEqual({
      kind: "gateway",
      settings: [
        setting("state", { kind: "call", callee: id("redis"), args: [{ kind: "call", callee: id("env"), args: [str("REDIS_URL")] }, qty("3", "number", 3)] }),
        setting("now", { kind: "call", callee: id("clock"), args: [] }),
      ],
    });
  });

  it("empty gateway", () => {
    expect(decl("gateway {}")).toEqual({ kind: "gateway", settings: [] });
  });

  it("provider", () => {
    expect(decl('provider openai { api openai key env("OPENAI_API_KEY") timeout 30s }')).toEqual({
      kind: "provider",
      name: id("openai"),
      settings: [
        setting("api", id("openai")),
        setting("key", { kind: "call", callee: id("env"), args: [str("OPENAI_API_KEY")] }),
        setting("timeout", qty("30s", "duration", 30_000)),
      ],
    });
  });

  it("model with prices and context", () => {
    expect(decl('model gpt-4o = openai/"gpt-4o" { input $2.50/Mtok output $10/Mtok context 128k }')).toEqual({
      kind: "model",
      name: id("gpt-4o"),
      provider: id("openai"),
      upstream: str("gpt-4o"),
      settings: [setting("input", qty("$2.50/Mtok", "price", 2.5)), setting("output", qty("$10/Mtok", "price", 10)), setting("context", qty("128k", "tokens", 128_000))],
    });
  });

  it("model without a block, and with an empty one, are the same", () => {
    const expected = { kind: "model", name: id("gpt-4.1-mini"), provider: id("openai"), upstream: str("gpt-4.1-mini"), settings: [] };
    expect(decl('model gpt-4.1-mini = openai / "gpt-4.1-mini"')).toEqual(expected);
    expect(decl('model gpt-4.1-mini = openai/"gpt-4.1-mini" {}')).toEqual(expected);
  });

  it("keys with labels, and a key without labels", () => {
    expect(decl('keys { "sha256:ab" team "search" user "ana" "sha256:cd" }')).toEqual({
      kind: "keys",
      entries: [
        { kind: "key", hash: str("sha256:ab"), labels: [setting("team", str("search")), setting("user", str("ana"))] },
        { kind: "key", hash: str("sha256:cd"), labels: [] },
      ],
    });
  });

  it("budget with every clause", () => {
    expect(decl("budget b { per team limit $200 per day tokens 1M per 24h requests 600 per minute warn 80% exceeded reject exceeded downgrade m }")).toEqual({
      kind: "budget",
      name: id("b"),
      clauses: [
        { kind: "scope", scope: id("team") },
        { kind: "amount", measure: id("limit"), amount: qty("$200", "money", 200), window: id("day") },
        { kind: "amount", measure: id("tokens"), amount: qty("1M", "tokens", 1_000_000), window: qty("24h", "duration", 86_400_000) },
        { kind: "amount", measure: id("requests"), amount: qty("600", "number", 600), window: id("minute") },
        { kind: "warn", at: qty("80%", "percent", 80) },
        { kind: "exceeded", action: id("reject") },
        { kind: "exceeded", action: id("downgrade"), model: id("m") },
      ],
    });
  });

  it("limit uses the same clauses", () => {
    expect(decl("limit per-key { per key  tokens 200k per minute  requests 600 per minute }")).toEqual({
      kind: "limit",
      name: id("per-key"),
      clauses: [
        { kind: "scope", scope: id("key") },
        { kind: "amount", measure: id("tokens"), amount: qty("200k", "tokens", 200_000), window: id("minute") },
        { kind: "amount", measure: id("requests"), amount: qty("600", "number", 600), window: id("minute") },
      ],
    });
  });

  it("guardrail with `on`, detectors of every kind and a `when` rule", () => {
    expect(decl('guardrail g { on output block when text matches /a\\/b/im redact email, matches /x/, deny ["a", "b"] flag pii }')).toEqual({
      kind: "guardrail",
      name: id("g"),
      body: [
        { kind: "on", target: id("output") },
        { kind: "when", action: id("block"), condition: { kind: "matches", fact: { kind: "fact", name: id("text") }, regex: { kind: "regex", pattern: "a\\/b", flags: "im" } } },
        {
          kind: "detect",
          action: id("redact"),
          detectors: [
            { kind: "builtin", name: id("email") },
            { kind: "pattern", regex: { kind: "regex", pattern: "x", flags: "" } },
            { kind: "deny", words: { kind: "list", items: [str("a"), str("b")] } },
          ],
        },
        { kind: "detect", action: id("flag"), detectors: [{ kind: "builtin", name: id("pii") }] },
      ],
    });
  });

  it("guardrail `when` with a comparison", () => {
    expect(decl("guardrail size { block when input_tokens > 100k }")).toEqual({
      kind: "guardrail",
      name: id("size"),
      body: [{ kind: "when", action: id("block"), condition: { kind: "compare", op: ">", fact: { kind: "fact", name: id("input_tokens") }, value: qty("100k", "tokens", 100_000) } }],
    });
  });

  it("route and test are declarations too, in source order", () => {
    expect(decls('route r { to a } test "t" { expect route r } import "x.route"').map((d) => d.kind)).toEqual(["route", "test", "import"]);
  });

  it("keywords are soft: a keyword can be a name", () => {
    expect(decl('model limit = route/"x"')).toMatchObject({ kind: "model", name: id("limit"), provider: id("route") });
    expect(decl("provider model { timeout 1s }")).toMatchObject({ name: id("model"), settings: [setting("timeout", qty("1s", "duration", 1000))] });
  });

  it("an empty file has no declarations", () => {
    expect(decls("")).toEqual([]);
    expect(decls("  \n// only a comment\n")).toEqual([]);
  });
});
