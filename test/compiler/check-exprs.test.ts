import { describe, expect, it } from "vitest";
import { BASE, compileText, errorCodes, found } from "./helpers.js";

const route = (when: string): string => `${BASE}route r {\n  when ${when}\n  to m\n}\n`;

describe("when conditions", () => {
  it("accepts every fact with its kind of value", () => {
    const r = compileText(
      route(`model == "a" and endpoint != "/v1/x" and stream and not tools and images == false
    and header("x-tier") in ["a", "b"] and metadata("app") matches /^s/ and key == "k"
    and (team == "t" or user != "u" or label("env") == "prod")
    and input_tokens > 100k and input_tokens <= 500k and input_bytes < 1MB and text matches /x/i
    and temperature == 0 and top_p in [0.5, 1] and temperature <= 0.2`),
    );
    expect(errorCodes(r)).toEqual([]);
  });

  it("E205: an unknown fact, with did-you-mean", () => {
    const r = compileText(route(`modle == "a" or tokens > 5`));
    expect(found(r, "E205")).toEqual([
      { line: 4, column: 8, message: "unknown fact `modle`" },
      { line: 4, column: 24, message: "unknown fact `tokens`" },
    ]);
    expect(r.diagnostics.find((d) => d.code === "E205")!.help).toBe("did you mean the fact `model`?");
  });

  it("E205: a missing or extra argument", () => {
    const r = compileText(route(`header == "a" or model("x") == "b"`));
    expect(found(r, "E205")).toEqual([
      { line: 4, column: 8, message: 'the fact `header` needs a header name, e.g. `header("x")`' },
      { line: 4, column: 31, message: "the fact `model` takes no argument" },
    ]);
  });

  it("E206: a fact compared with the wrong kind of value", () => {
    const r = compileText(route(`input_tokens == "x" or model == chat or stream == 1 or input_bytes > 5s or team in ["a", 3]`));
    expect(found(r, "E206")).toEqual([
      { line: 4, column: 24, message: '`input_tokens` is a token count and cannot be compared with the string `"x"`' },
      { line: 4, column: 40, message: "`model` is text and cannot be compared with the word `chat`" },
      { line: 4, column: 58, message: "`stream` is true or false and cannot be compared with the number `1`" },
      { line: 4, column: 77, message: "`input_bytes` is a size in bytes and cannot be compared with the duration `5s`" },
      { line: 4, column: 97, message: "`team` is text and cannot be compared with the number `3`" },
    ]);
    expect(r.diagnostics.find((d) => d.message.includes("word `chat`"))!.help).toBe('put it in quotes: `"chat"`');
  });

  it("E206: a sampling fact is a plain number, never text, a unit or alone", () => {
    const r = compileText(route(`temperature == "0" or top_p > 5s or temperature`));
    expect(found(r, "E206")).toEqual([
      { line: 4, column: 23, message: '`temperature` is a number and cannot be compared with the string `"0"`' },
      { line: 4, column: 38, message: "`top_p` is a number and cannot be compared with the duration `5s`" },
      { line: 4, column: 44, message: "`temperature` is a number, not true or false, so it cannot stand alone" },
    ]);
    expect(r.diagnostics.find((d) => d.message.includes('string `"0"`'))!.help).toBe("compare with a plain number such as `0` or `0.7`");
  });

  it("E206: ordering on text, matches on numbers, a non-flag standing alone", () => {
    const r = compileText(route(`model < "b" or header("x") >= "c" or input_tokens matches /1/ or team or stream > true`));
    expect(found(r, "E206")).toEqual([
      { line: 4, column: 8, message: "`<` compares numbers, but `model` is text" },
      { line: 4, column: 23, message: '`>=` compares numbers, but `header("x")` is text' },
      { line: 4, column: 45, message: "`matches` tests text, but `input_tokens` is a token count" },
      { line: 4, column: 73, message: "`team` is text, not true or false, so it cannot stand alone" },
      { line: 4, column: 81, message: "`>` compares numbers, but `stream` is true or false" },
    ]);
  });

  it("checks guardrail conditions and split-by facts too", () => {
    const r = compileText(`${BASE}guardrail g { block when input_tokns > 5 }
route r { split by input_tokens { 100% m } guard g }`);
    expect(found(r, "E205")).toEqual([{ line: 3, column: 26, message: "unknown fact `input_tokns`" }]);
    expect(found(r, "E206")).toEqual([
      {
        line: 4,
        column: 20,
        message: "a split is made sticky by a text fact such as `key` or `header(\"x\")`; `input_tokens` is a token count",
      },
    ]);
  });
});
