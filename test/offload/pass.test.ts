/**
 * The guard pass's pure side (runtime/offload/pass.ts): what it computes
 * ahead about a text is what the facts would compute themselves, so
 * `decide` reads the same verdicts whether they came from a worker or not;
 * and the body log keeps a bounded amount of text.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileSources } from "../../compiler/index.js";
import { decide, emptyState, makeFacts, prepare } from "../../runtime/engine/index.js";
import { primeFacts } from "../../runtime/engine/facts.js";
import { analyseText } from "../../runtime/offload/index.js";
import { LOGGED_BODY_CHARS, loggedBodies } from "../../runtime/observe/bodies.js";

const src = `
provider p { api openai base_url "http://127.0.0.1:1" }
keys { "sha256:0e38fc3129daee4aea7fc75011ac430bdf00843d65ae1f84348226a5751d4faa" team "t" }
model a = p/"a"
model b = p/"b"
model c = p/"c"
guardrail pii { on input  redact email }
route secret { when text matches /secret (plan|code)/i  to a }
route long { when text matches /^x+$/ or input_bytes > 100  to b }
route rest { to c  guard pii }
`;
const prepared = prepare(compileSources([{ path: "main.route", text: src }]).graph!);

describe("analyseText and primeFacts", () => {
  it("give decide the verdicts it would reach on its own, invisible characters and look-alikes included", () => {
    const piece = fc.constantFrom("secret", " ", "\u200b", "ＳＥＣＲＥＴ", "plan", "code", "x", "xx", "\u00a0", "a", "é", "\n");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }), (parts) => {
        const text = parts.join("");
        const own = decide(prepared, makeFacts({ text }), emptyState());
        const primed = makeFacts({ text });
        primeFacts(primed, analyseText(prepared, text, undefined));
        const ahead = decide(prepared, primed, emptyState());
        expect(ahead.kind === "route" ? ahead.route.name : ahead.kind).toBe(own.kind === "route" ? own.route.name : own.kind);
      }),
      { numRuns: 2000 },
    );
  });

  it("are read, not recomputed: a primed verdict is what decide uses", () => {
    const f = makeFacts({ text: "nothing to see" });
    const analysis = analyseText(prepared, "nothing to see", undefined);
    // A verdict that contradicts the text proves decide read it instead of scanning.
    primeFacts(f, { ...analysis, matches: { ...analysis.matches, "i/secret (plan|code)": true } });
    const d = decide(prepared, f, emptyState());
    expect(d.kind === "route" && d.route.name).toBe("secret");
  });
});

describe("the body log", () => {
  it("keeps at most LOGGED_BODY_CHARS characters of each body, cut after redaction and marked", () => {
    const big = "mail ana@example.com " + "y".repeat(LOGGED_BODY_CHARS * 2);
    const out = loggedBodies(prepared, { request: [{ role: "user", content: big }, { role: "user", content: "after" }], guardrails: ["pii"], facts: makeFacts({ text: big }) }, big);
    const [first, second] = out.request as { content: string }[];
    // The request is logged as sent (the input guard already redacted it); the completion is redacted for the log.
    expect(first!.content.startsWith("mail ana@example.com yyy")).toBe(true);
    expect(first!.content).toMatch(/…\[cut: \d+ more characters\]$/);
    expect(first!.content.length).toBeLessThan(LOGGED_BODY_CHARS + 50);
    expect(second!.content).toBe("…[cut: 5 more characters]");
    expect(out.response!.startsWith("mail [EMAIL] yyy")).toBe(true);
    expect(out.response!.length).toBeLessThan(LOGGED_BODY_CHARS + 50);
    const small = loggedBodies(prepared, { request: [{ role: "user", content: "hi" }], guardrails: [], facts: makeFacts({ text: "hi" }) }, "hello");
    expect(small).toEqual({ request: [{ role: "user", content: "hi" }], response: "hello" });
  });
});
