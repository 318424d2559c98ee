import { describe, expect, it } from "vitest";
import { BASE, compileText, errorCodes, found } from "./helpers.js";

const MODELS = `${BASE}model n = p/"n" { input $1/Mtok output $2/Mtok }\n`;

describe("route statement units", () => {
  it("accepts statuses, classes and words as fallback reasons", () => {
    const r = compileText(`${MODELS}route r {
  to m
  fallback n on 429, 503, 5xx, 4xx, timeout, connection
  retry 3 backoff 100ms
  timeout 20s
}`);
    expect(errorCodes(r)).toEqual([]);
  });

  it("E201: retry, backoff, timeout, split weights and reasons of the wrong kind", () => {
    const r = compileText(`${MODELS}route r {
  split { 0.5 m 50% n }
  fallback n on slow, "429", 30s
  retry 2s backoff 3
  timeout 5$
}`);
    expect(found(r, "E201")).toEqual([
      { line: 5, column: 11, message: "expected a percentage like 80% after `split`, found the number `0.5`" },
      {
        line: 6,
        column: 17,
        message: "expected a failure reason (a status like 429, a class like 5xx, `timeout`, `connection`, `context_length` or `content_filter`), found the word `slow`",
      },
      {
        line: 6,
        column: 23,
        message: 'expected a failure reason (a status like 429, a class like 5xx, `timeout`, `connection`, `context_length` or `content_filter`), found the string `"429"`',
      },
      {
        line: 6,
        column: 30,
        message: "expected a failure reason (a status like 429, a class like 5xx, `timeout`, `connection`, `context_length` or `content_filter`), found the duration `30s`",
      },
      { line: 7, column: 9, message: "expected a whole number like 3 after `retry`, found the duration `2s`" },
      { line: 7, column: 20, message: "expected a duration like 30s after `backoff`, found the number `3`" },
      { line: 8, column: 11, message: "expected a duration like 30s after `timeout`, found money `5$`" },
    ]);
  });

  it("E204: statuses and classes out of range, fractional retries", () => {
    const r = compileText(`${MODELS}route r {
  to m
  fallback n on 42, 7xx
  retry 1.5
}`);
    expect(found(r, "E204")).toEqual([
      { line: 6, column: 17, message: "`on` must be at least 100, found `42`" },
      { line: 6, column: 21, message: "`7xx` is not a status class; the classes are 1xx to 5xx" },
      { line: 7, column: 9, message: "`retry` must be a whole number, found `1.5`" },
    ]);
  });

  it("E208: retry or timeout twice", () => {
    const r = compileText(`${MODELS}route r { to m retry 1 retry 2 timeout 1s timeout 2s }`);
    expect(found(r, "E208")).toEqual([
      { line: 4, column: 24, message: "`retry` in route `r` is given twice" },
      { line: 4, column: 43, message: "`timeout` in route `r` is given twice" },
    ]);
  });
});
