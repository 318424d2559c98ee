/**
 * Literal decoding: every unit of lang/literals.ts with its normalised
 * value, unknown units (P004), string escapes and bad strings (P003).
 */
import { describe, expect, it } from "vitest";
import type { Quantity, StringLit } from "../../lang/index.js";
import { parse } from "../../lang/index.js";
import { at, FILE, problems, routeBody } from "./helpers.js";

/** The quantity written as the value of a `timeout` (any unit is syntax-valid there). */
function quantity(raw: string): Omit<Quantity, "span"> {
  const [stmt] = routeBody(`timeout ${raw}`);
  if (stmt?.kind !== "timeout" || stmt.duration.kind !== "quantity") throw new Error("not a quantity");
  return stmt.duration;
}

/** The decoded value of a string literal written as a `listen` setting. */
function stringValue(literal: string): { value: string; problems: string[] } {
  const { file, diagnostics } = parse(`gateway { listen ${literal} }`, FILE);
  const d = file.declarations[0];
  const v = d?.kind === "gateway" ? (d.settings[0]?.value as StringLit) : undefined;
  return { value: v?.value ?? "", problems: diagnostics.map((x) => `${x.code} ${x.message}`) };
}

describe("quantities", () => {
  it.each([
    ["3", "number", 3],
    ["429", "number", 429],
    ["0.5", "number", 0.5],
    ["250ms", "duration", 250],
    ["30s", "duration", 30_000],
    ["1.5s", "duration", 1500],
    ["5m", "duration", 300_000],
    ["2h", "duration", 7_200_000],
    ["1d", "duration", 86_400_000],
    ["100k", "tokens", 100_000],
    ["1M", "tokens", 1_000_000],
    ["1.5M", "tokens", 1_500_000],
    ["$200", "money", 200],
    ["$2.50", "money", 2.5],
    ["$2.50/Mtok", "price", 2.5],
    ["$0.002/ktok", "price", 2],
    ["$0.000001/tok", "price", 1],
    ["80%", "percent", 80],
    ["12.5%", "percent", 12.5],
    ["5xx", "status", 5],
    ["4xx", "status", 4],
    ["1B", "bytes", 1],
    ["512KB", "bytes", 512 * 1024],
    ["4MB", "bytes", 4 * 1024 * 1024],
    ["1GB", "bytes", 1024 * 1024 * 1024],
    ["2$", "money", 2],
  ] as const)("%s is %s %d", (raw, unit, value) => {
    expect(quantity(raw)).toEqual({ kind: "quantity", raw, unit, value });
  });

  it("m is minutes and M is millions", () => {
    expect(quantity("5m").unit).toBe("duration");
    expect(quantity("5M").unit).toBe("tokens");
  });

  it("scaled decimals have no floating-point noise", () => {
    expect(quantity("0.1k").value).toBe(100);
    expect(quantity("$0.3/ktok").value).toBe(300);
  });

  it.each([
    ["30zz", "P004 1:19 unknown unit `zz` in `30zz`"],
    ["10xx", "P004 1:19 unknown unit `xx` in `10xx`"],
    ["$5ms", "P004 1:19 unknown unit in `$5ms`"],
    ["$2/Gtok", "P004 1:19 unknown unit in `$2/Gtok`"],
    ["4o", "P004 1:19 unknown unit `o` in `4o`"],
  ])("%s is an unknown unit (P004)", (raw, problem) => {
    expect(problems(`route r { timeout ${raw} }`)).toEqual([problem]);
  });

  it.each([
    ["5kb", "5KB", "bytes", 5 * 1024],
    ["150K", "150k", "tokens", 150_000],
    ["5XX", "5xx", "status", 5],
    ["30S", "30s", "duration", 30_000],
    ["30sec", "30s", "duration", 30_000],
    ["2hours", "2h", "duration", 7_200_000],
    ["$2/mtok", "$2/Mtok", "price", 2],
    ["2/Mtok", "$2/Mtok", "price", 2],
  ])("%s is read as %s, with P004 and a fix that writes it so", (raw, meant, unit, value) => {
    const { file, diagnostics } = parse(`route r { timeout ${raw} }`, FILE);
    expect(diagnostics.map((d) => [d.code, d.message, d.fix?.message, d.fix?.edits[0]?.text])).toEqual([["P004", `unknown unit in \`${raw}\``, `write \`${meant}\``, meant]]);
    const route = file.declarations[0]!;
    const stmt = route.kind === "route" ? route.body[0] : undefined;
    const q = stmt?.kind === "timeout" && stmt.duration.kind === "quantity" ? stmt.duration : undefined;
    expect([q?.unit, q?.value]).toEqual([unit, value]);
  });

  it("P004 says which units exist", () => {
    const d = parse("route r { timeout 3y }", FILE).diagnostics[0];
    expect(d?.help).toContain("ms s m h d");
  });

  it("every unknown unit in a file is reported", () => {
    expect(problems("route r { timeout 3y retry 2q backoff 1w }").map(at)).toEqual(["P004 1:19", "P004 1:28", "P004 1:39"]);
  });
});

describe("strings", () => {
  it.each([
    ['"plain"', "plain"],
    ['"a\\"b"', 'a"b'],
    ['"back\\\\slash"', "back\\slash"],
    ['"l1\\nl2"', "l1\nl2"],
    ['"a\\tb"', "a\tb"],
    ['"a\\rb"', "a\rb"],
    ['"a\\/b"', "a/b"],
    ['"\\u{1F600}"', "😀"],
    ['"\\u{41}\\u{00e9}"', "Aé"],
    ['"raw 😀 é"', "raw 😀 é"],
    ['""', ""],
  ])("%s decodes", (literal, value) => {
    expect(stringValue(literal)).toEqual({ value, problems: [] });
  });

  it("an unknown escape is P003 and keeps the character", () => {
    expect(stringValue('"a\\qb"')).toEqual({ value: "aqb", problems: ["P003 unknown escape `\\q` in string"] });
  });

  it.each(['"\\u{}"', '"\\u{110000}"', '"\\u41"', '"\\u{1234567}"'])("a bad unicode escape %s is P003", (literal) => {
    expect(stringValue(literal).problems).toEqual(["P003 bad unicode escape, expected `\\u{…}` with 1 to 6 hex digits"]);
  });

  it("an unterminated string is P003 at the string, and parsing goes on", () => {
    expect(problems('gateway { listen ":8787\n}\nroute r { to }')).toEqual([
      'P003 1:18 string is missing its closing `"`',
      "P002 3:14 expected a model name after `to`, found `}`",
    ]);
    // the string runs to the end of the line, `}` included
    expect(stringValue('"abc').value).toBe("abc }");
  });

  it("a string ending in a backslash is unterminated", () => {
    expect(problems('import "abc\\').map(at)).toEqual(["P003 1:8"]);
  });
});
