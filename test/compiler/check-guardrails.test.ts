import { describe, expect, it } from "vitest";
import { BASE, compileText, errorCodes, found } from "./helpers.js";

describe("guardrail statements", () => {
  it("accepts detectors, patterns, deny lists and conditions", () => {
    const r = compileText(`${BASE}guardrail g {
  on input redact email, phone, credit_card, iban, api_key, ip_address
  on output flag matches /secret/i, deny ["foo", "bar"]
  on both block when input_tokens > 100k
}
route r { to m guard g }`);
    expect(errorCodes(r)).toEqual([]);
  });

  it("E101: an unknown detector; E201: a bad side, redact with a condition, a non-string word", () => {
    const r = compileText(`guardrail g {
  redact emial
  on inputs
  redact when text matches /x/
  block deny ["a", 3]
}`);
    expect(found(r, "E101")).toEqual([{ line: 2, column: 10, message: "unknown detector `emial`" }]);
    expect(r.diagnostics.find((d) => d.code === "E101")!.help).toBe("did you mean the detector `email`?");
    expect(found(r, "E201")).toEqual([
      { line: 3, column: 6, message: "expected one of `input`, `output`, `both` after `on`, found the word `inputs`" },
      { line: 4, column: 3, message: "`redact` needs detectors that find what to redact, not a condition" },
      { line: 5, column: 20, message: 'expected a string like "…" after `deny`, found the number `3`' },
    ]);
  });

  it("E204: an empty deny list", () => {
    const r = compileText(`guardrail g { block deny [] }`);
    expect(found(r, "E204")).toEqual([{ line: 1, column: 26, message: "a `deny` list needs at least one word" }]);
  });
});
