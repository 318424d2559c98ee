import { describe, expect, it } from "vitest";
import { prepare } from "../../runtime/engine/prepare.js";
import { decide } from "../../runtime/engine/decide.js";
import { makeFacts } from "../../runtime/engine/facts.js";
import { emptyState } from "../../runtime/engine/state.js";
import { compareTokens, countAhead, loadTokenizer, SYNC_COUNT_BYTES, tokenFloor, tokensIn, type CompareOp, type Tokenizer } from "../../runtime/engine/tokens.js";
import { and, cmp, eq, fact, graph, isIn, model, route, truthy } from "./fixtures.js";

/** A tokenizer stub that counts one token per character and records how often it ran. */
function stub(): Tokenizer & { calls: number } {
  const t = { calls: 0, count: (s: string) => (t.calls++, [...s].length) };
  return t;
}

describe("compareTokens decides from the byte length when it can", () => {
  const cases: [CompareOp, number, string, boolean, boolean][] = [
    // op, n, text, expected, tokenizer runs?
    ["gt", 10, "short", false, false],
    ["gt", 3, "short", true, true],
    ["ge", 10, "short", false, false],
    ["ge", 5, "short", true, true],
    ["lt", 10, "short", true, false],
    ["lt", 5, "short", false, true],
    ["le", 5, "short", true, false],
    ["le", 4, "short", false, true],
    ["eq", 6, "short", false, false],
    ["eq", 5, "short", true, true],
    ["ne", 6, "short", true, false],
    ["ne", 5, "short", false, true],
  ];
  for (const [op, n, text, want, runs] of cases) {
    it(`input_tokens ${op} ${n} on ${JSON.stringify(text)} is ${want}${runs ? "" : " without tokenizing"}`, () => {
      const t = stub();
      expect(compareTokens(op, n, makeFacts({ text }, t))).toBe(want);
      expect(t.calls).toBe(runs ? 1 : 0);
    });
  }

  it("in: false without counting when every value is above the byte length", () => {
    const t = stub();
    expect(tokensIn([100, 200], makeFacts({ text: "abc" }, t))).toBe(false);
    expect(t.calls).toBe(0);
    expect(tokensIn([2, 3], makeFacts({ text: "abc" }, t))).toBe(true);
    expect(t.calls).toBe(1);
  });
});

describe("decide counts tokens only when a policy reads them and bytes do not decide", () => {
  const g = graph({
    routes: [
      route("big", { when: and(model("chat"), cmp("gt", fact("input_tokens"), 100_000)), to: "long" }),
      route("chat", { when: model("chat"), to: "short" }),
    ],
  });

  it("a typical request never runs the tokenizer", () => {
    const t = stub();
    const d = decide(prepare(g), makeFacts({ model: "chat", text: "hello there" }, t), emptyState());
    expect(d.kind === "route" && d.route.name).toBe("chat");
    expect(t.calls).toBe(0);
  });

  it("a request with more bytes than the threshold is counted once", () => {
    const t = stub();
    // 150,000 bytes but 50,000 characters: the stub says 50,000 tokens, under the threshold.
    const text = "日".repeat(50_000);
    const d = decide(prepare(g), makeFacts({ model: "chat", text }, t), emptyState());
    expect(d.kind === "route" && d.route.name).toBe("chat");
    expect(t.calls).toBe(1);
  });

  it("a route for another model never reads the facts' tokens", () => {
    const t = stub();
    const d = decide(prepare(g), makeFacts({ model: "other", text: "x".repeat(200_000) }, t), emptyState());
    expect(d.kind).toBe("no-route");
    expect(t.calls).toBe(0);
  });

  it("truthiness and `in` follow the same rule", () => {
    const t = stub();
    const g2 = graph({ routes: [route("a", { when: and(truthy(fact("input_tokens")), isIn(fact("input_tokens"), [1_000_000])) }), route("b", { when: eq(fact("stream"), false) })] });
    const d = decide(prepare(g2), makeFacts({ model: "x", text: "some text" }, t), emptyState());
    expect(d.kind === "route" && d.route.name).toBe("b");
    expect(t.calls).toBe(0);
  });
});

describe("the real tokenizer", () => {
  it("loads o200k_base lazily and counts", async () => {
    const tok = await loadTokenizer();
    expect(tok.count("")).toBe(0);
    expect(tok.count("hello world")).toBe(2);
    // Special-token text in user input is ordinary text, not an error.
    expect(tok.count("<|endoftext|>")).toBeGreaterThan(1);
    expect(await loadTokenizer()).toBe(tok);
  });

  it("never counts more tokens than UTF-8 bytes", async () => {
    const tok = await loadTokenizer();
    for (const s of ["a", "日本語のテキスト", "😀😀😀", "   spaces   ", "x".repeat(1000), "mixed é ü 中 🎉 text\n\t"]) {
      expect(tok.count(s)).toBeLessThanOrEqual(new TextEncoder().encode(s).length);
    }
  });
});

describe("long texts are counted ahead of decide, in steps", () => {
  /** A stub whose stepped count is recorded apart from its synchronous one. */
  function steppedStub(): Tokenizer & { calls: number; stepped: number } {
    const t = {
      calls: 0,
      stepped: 0,
      count: (s: string) => (t.calls++, [...s].length),
      countSteps: async (s: string) => (t.stepped++, [...s].length),
    };
    return t;
  }
  const g = graph({
    routes: [
      route("big", { when: and(model("chat"), cmp("gt", fact("input_tokens"), 100_000)), to: "long" }),
      route("small", { when: and(model("chat"), isIn(fact("input_tokens"), [50_000, 7])), to: "short" }),
    ],
  });

  it("the floor is the smallest number an input_tokens comparison uses", () => {
    expect(tokenFloor(g)).toBe(7);
    expect(tokenFloor(graph({ routes: [route("a", { when: model("chat") })] }))).toBe(Infinity);
  });

  it("a text over SYNC_COUNT_BYTES that reaches the floor is counted with countSteps, and decide reads that count", async () => {
    const t = steppedStub();
    const counter = countAhead(t, tokenFloor(g));
    const text = "日".repeat(60_000);
    const facts = makeFacts({ model: "chat", text }, counter);
    await counter.ahead(facts.text, facts.inputBytes);
    decide(prepare(g), facts, emptyState());
    expect(facts.inputTokens).toBe(60_000);
    expect([t.stepped, t.calls]).toEqual([1, 0]);
  });

  it("a short text, or one under the floor, is left to decide (counted synchronously only if read)", async () => {
    const t = steppedStub();
    const counter = countAhead(t, 1_000_000);
    const facts = makeFacts({ model: "chat", text: "x".repeat(SYNC_COUNT_BYTES * 4) }, counter);
    await counter.ahead(facts.text, facts.inputBytes);
    expect(t.stepped).toBe(0);
    const small = countAhead(t, 0);
    const f2 = makeFacts({ model: "chat", text: "x".repeat(SYNC_COUNT_BYTES) }, small);
    await small.ahead(f2.text, f2.inputBytes);
    expect(t.stepped).toBe(0);
  });
});
