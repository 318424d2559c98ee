import { describe, expect, it } from "vitest";
import { BASE, compileText, errorCodes, found } from "./helpers.js";

describe("budget and limit clauses", () => {
  it("accepts the documented shapes", () => {
    const r = compileText(`${BASE}model cheap = p/"c" { input $0.1/Mtok output $0.2/Mtok }
budget a { per team limit $200 per day warn 80% exceeded downgrade cheap }
budget b { per global limit $5000 per month exceeded reject }
budget c { limit $1 per 24h }
limit l { per key tokens 200k per minute requests 600 per minute }
limit k { per user requests 10 per 90s }
route r { when model == "x" to m budget a, b, c limit l, k }
route s { to cheap }
`);
    expect(errorCodes(r)).toEqual([]);
  });

  it("E201: scope, amount unit and window", () => {
    const r = compileText(`budget a {
  per tenant
  limit 200 per fortnight
  warn 0.8
}
limit l { tokens $5 per minute requests 600 per 10k }
`);
    expect(found(r, "E201")).toEqual([
      { line: 2, column: 7, message: "expected one of `key`, `team`, `user`, `route`, `global` after `per`, found the word `tenant`" },
      { line: 3, column: 9, message: "expected money like $200 after `limit`, found the number `200`" },
      {
        line: 3,
        column: 17,
        message: "expected a window (`minute`, `hour`, `day`, `month`) or a duration like 24h after `per`, found the word `fortnight`",
      },
      { line: 4, column: 8, message: "expected a percentage like 80% after `warn`, found the number `0.8`" },
      { line: 6, column: 18, message: "expected a token count like 100k after `tokens`, found money `$5`" },
      { line: 6, column: 49, message: "expected a window like `day` or a duration like 24h after `per`, found the token count `10k`" },
    ]);
  });

  it("E201: did-you-mean for windows and scopes", () => {
    const r = compileText(`budget a { per taem limit $1 per dya }`);
    expect(r.diagnostics.filter((d) => d.code === "E201").map((d) => d.help)).toEqual(["did you mean `team`?", "did you mean `day`?"]);
  });

  it("E202: clauses of the other kind of block", () => {
    const r = compileText(`budget a { limit $1 per day tokens 5k per day }
limit l { limit $5 per day requests 1 per minute warn 50% exceeded reject }`);
    expect(found(r, "E202")).toEqual([
      { line: 1, column: 29, message: "a budget limits spend with `limit $…`, not `tokens`" },
      { line: 2, column: 11, message: "a limit counts `tokens` or `requests`; spend is capped by a `budget`" },
      { line: 2, column: 50, message: "`warn` is a clause of budgets, not limits" },
      { line: 2, column: 59, message: "`exceeded` is a clause of budgets: a limit always rejects with 429" },
    ]);
  });

  it("E203: a budget or limit without an amount", () => {
    const r = compileText(`budget a { per team warn 80% }
limit l { per key }`);
    expect(found(r, "E203")).toEqual([
      { line: 1, column: 8, message: "budget `a` needs an amount" },
      { line: 2, column: 7, message: "limit `l` needs an amount" },
    ]);
  });

  it("E204: out of range amounts and windows", () => {
    const r = compileText(`budget a { limit $1 per 0s warn 120% }
limit l { requests 1.5 per minute }`);
    expect(found(r, "E204")).toEqual([
      { line: 1, column: 25, message: "a rolling window must be longer than zero, found `0s`" },
      { line: 1, column: 33, message: "`warn` must be at most 100, found `120%`" },
      { line: 2, column: 20, message: "`requests` must be a whole number, found `1.5`" },
    ]);
  });

  it("E208: a clause given twice", () => {
    const r = compileText(`budget a { per team per key limit $1 per day limit $2 per day }`);
    expect(found(r, "E208")).toEqual([
      { line: 1, column: 21, message: "`per` in budget `a` is given twice" },
      { line: 1, column: 46, message: "`limit` in budget `a` is given twice" },
    ]);
  });
});
