/**
 * Output guardrails on a stream (runtime/engine/stream-guard.ts): for any
 * split of a reply into deltas — at any UTF-8 byte (decoded with a
 * streaming TextDecoder, as an SSE reader does), at any UTF-16 unit
 * (between the halves of a surrogate pair), inside an email, a card, a key
 * — what the stream releases, concatenated, is the whole reply's redaction,
 * and a block ends it exactly where the whole reply would be blocked.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { GuardrailNode } from "../../compiler/graph.js";
import { prepare } from "../../runtime/engine/prepare.js";
import { makeFacts } from "../../runtime/engine/facts.js";
import { applyGuardrails } from "../../runtime/engine/guardrails.js";
import { StreamHits, streamGuardPlan, TextGuard } from "../../runtime/engine/stream-guard.js";
import { graph, route, span } from "./fixtures.js";

const builtins = ["email", "phone", "credit_card", "iban", "api_key", "ip_address"] as const;
const guardrails: Record<string, GuardrailNode> = {
  pii: { rules: [{ on: "output", action: "redact", detectors: builtins.map((name) => ({ kind: "builtin", name })) }], span: span() },
  // Without api_key (the longest window), so a few hundred characters are enough to see text released mid-stream.
  short: { rules: [{ on: "output", action: "redact", detectors: builtins.filter((n) => n !== "api_key").map((name) => ({ kind: "builtin", name })) }], span: span() },
  words: { rules: [{ on: "output", action: "redact", detectors: [{ kind: "deny", words: ["secret plan", "[EMAIL] list"] }] }], span: span() },
  codes: { rules: [{ on: "output", action: "block", detectors: [{ kind: "pattern", source: "launch codes?", flags: "i" }] }], span: span() },
  watch: { rules: [{ on: "output", action: "flag", detectors: [{ kind: "builtin", name: "ip_address" }] }], span: span() },
};
const prepared = prepare(graph({ routes: [route("r", { to: "m" })], guardrails }));
const facts = makeFacts({});

/** Pieces of what a model says: prose, PII in many shapes, and characters that are not plain ASCII. */
const piece = fc.constantFrom(
  "Hello ",
  "mail ana.lopez+ci@mail.example.com today",
  "ana@example.com",
  "ａｎａ＠ｅｘａｍｐｌｅ．ｃｏｍ",
  "b\u200bob@exa\u200bmple.org",
  "card 4111 1111 1111 1111.",
  "4111111111111111",
  "call +44 20 7946 0958 or (415) 555-2671",
  "IBAN DE89 3704 0044 0532 0130 00 ok",
  "key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789 end",
  "ghp_abcdefghijklmnopqrstuvwxyz0123456789ABCD",
  "host 10.0.0.1 and 2001:db8::8a2e:370:7334.",
  "the secret plan is ",
  "Launch Codes",
  "émigré café 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀 中文 ",
  "\n",
  " ",
  "x",
  "0",
  "@",
  ".",
);
const reply = fc.array(piece, { maxLength: 40 }).map((p) => p.join(""));

/** The reply cut at UTF-8 byte offsets, each piece decoded by one streaming TextDecoder (so a split code point waits for its rest). */
function byteSplit(text: string, cuts: number[]): string[] {
  const bytes = new TextEncoder().encode(text);
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const decoder = new TextDecoder();
  const out: string[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    out.push(decoder.decode(bytes.subarray(prev, c), { stream: true }));
    prev = c;
  }
  out.push(decoder.decode());
  return out;
}

/** The reply cut at UTF-16 offsets (a surrogate pair may be split). */
function unitSplit(text: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const c of [...at, text.length]) {
    out.push(text.slice(prev, c));
    prev = c;
  }
  return out;
}

function streamed(names: readonly string[], deltas: string[]): { text: string; blocked: string | undefined; hits: ReturnType<StreamHits["report"]> } {
  const plan = streamGuardPlan(prepared, names, facts)!;
  const hits = new StreamHits();
  const guard = new TextGuard(plan, hits);
  let text = "";
  for (const d of [...deltas, undefined]) {
    const r = d === undefined ? guard.end() : guard.push(d);
    text += r.text;
    if (r.blocked) return { text, blocked: r.blocked.guardrail, hits: hits.report(plan) };
  }
  return { text, blocked: undefined, hits: hits.report(plan) };
}

const whole = (names: readonly string[], text: string) => applyGuardrails(prepared, names, "output", facts, [text]);

describe("output guardrails on a stream", () => {
  it("release, concatenated, the whole reply's redaction, for any split at UTF-8 bytes or UTF-16 units", () => {
    fc.assert(
      fc.property(reply, fc.array(fc.nat(), { maxLength: 60 }), fc.boolean(), fc.constantFrom(["pii", "words", "watch"], ["short", "words", "watch"], ["words", "short"]), (text, cuts, bytes, names) => {
        const deltas = bytes ? byteSplit(text, cuts) : unitSplit(text, cuts);
        const expected = whole(names, text);
        const got = streamed(names, deltas);
        expect(got.blocked).toBeUndefined();
        expect(got.text).toBe(expected.texts[0]);
        expect(got.hits.redacted).toEqual(expected.redacted);
        expect(got.hits.flagged).toEqual(expected.flagged);
      }),
      { numRuns: 300 },
    );
  });

  it("block exactly when the whole reply is blocked, releasing only the redacted text before the match", () => {
    fc.assert(
      fc.property(reply, fc.array(fc.nat(), { maxLength: 60 }), fc.constantFrom("pii", "short"), (text, cuts, pii) => {
        const names = [pii, "codes"];
        const expected = whole(names, text);
        const got = streamed(names, byteSplit(text, cuts));
        expect(got.blocked).toBe(expected.blocked?.guardrail);
        const redacted = whole([pii], text).texts[0]!;
        if (expected.blocked) {
          expect(got.text).toBe(redacted.slice(0, redacted.search(/launch codes?/i)));
        } else expect(got.text).toBe(redacted);
      }),
      { numRuns: 300 },
    );
  });

  it("splits inside an email, a card and a key never let a piece of one through", () => {
    const text = "write to ana.lopez@example.com, card 4111-1111-1111-1111, key sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345 done";
    for (let size = 1; size <= 7; size++) {
      const deltas = unitSplit(text, Array.from({ length: Math.ceil(text.length / size) }, (_, i) => i * size));
      let released = "";
      const plan = streamGuardPlan(prepared, ["pii"], facts)!;
      const guard = new TextGuard(plan, new StreamHits());
      for (const d of deltas) {
        released += guard.push(d).text;
        // Whatever is out already is a prefix of the redaction: no character of a value before its placeholder.
        expect("write to [EMAIL], card [CREDIT_CARD], key [API_KEY] done".startsWith(released)).toBe(true);
      }
      expect(released + guard.end().text).toBe("write to [EMAIL], card [CREDIT_CARD], key [API_KEY] done");
    }
  });

  it("holds back a bounded window however long the stream", () => {
    const plan = streamGuardPlan(prepared, ["short", "words", "codes"], facts)!;
    const guard = new TextGuard(plan, new StreamHits());
    let most = 0;
    let out = 0;
    const sentence = "The quick brown fox writes to ana@example.com about 10.0.0.1 and more. ";
    for (let i = 0; i < 20_000; i++) {
      out += guard.push(sentence).text.length;
      most = Math.max(most, guard.held);
    }
    // The windows (and one step of each) bound what is held; 1.4 MB went through.
    expect(most).toBeLessThan(2 * plan.hold + 3 * sentence.length);
    expect(out + guard.end().text.length).toBeGreaterThan(1_000_000);
  });

  it("has nothing to do for a route without output rules, or a guardrail with `streams off`", () => {
    const quiet: Record<string, GuardrailNode> = {
      ...guardrails,
      off: { rules: [{ on: "output", action: "redact", detectors: [{ kind: "builtin", name: "email" }] }], streams: false, span: span() },
      inbound: { rules: [{ on: "input", action: "redact", detectors: [{ kind: "builtin", name: "email" }] }], span: span() },
    };
    const p = prepare(graph({ routes: [route("r", { to: "m" })], guardrails: quiet }));
    expect(streamGuardPlan(p, ["off", "inbound"], facts)).toBeUndefined();
    expect(streamGuardPlan(p, ["pii"], facts)?.hold).toBe(2313);
  });
});
