import { describe, expect, test } from "vitest";
import { unboundedReservation } from "../../../compiler/rules/unbounded-reservation.js";
import { relatedAt, run, src, where } from "./helpers.js";

const DECLS = [
  `provider p { api mock }`,
  `model open = p/"a" { input $1/Mtok output $2/Mtok }`,
  `model capped = p/"b" { input $1/Mtok output $2/Mtok max_output 4k }`,
  `model windowed = p/"c" { input $1/Mtok output $2/Mtok context 8k }`,
  `model down = p/"d" { input $1/Mtok output $2/Mtok }`,
  `budget b { per team limit $10 per day exceeded downgrade down }`,
  `limit tpm { per key tokens 10k per minute }`,
  `limit rpm { per key requests 10 per minute }`,
]; // lines 1-8

describe("unbounded-reservation (W505)", () => {
  test("targets, fallbacks and downgrades of a budgeted route without max_output or context", () => {
    const ds = run(unboundedReservation, src(...DECLS, `route r {`, `  to capped`, `  fallback windowed, open`, `  budget b`, `}`));
    expect(where(ds)).toEqual(["W505 2:7", "W505 5:7"]);
    expect(ds[0]!.message).toBe("model `open` declares neither `max_output` nor `context`: a request without `max_tokens` reserves 10,000,000 output tokens against budget `b`");
    expect(relatedAt(ds[0])).toBe("12:3");
  });

  test("a token limit reserves too; a request limit does not", () => {
    expect(where(run(unboundedReservation, src(...DECLS, `route r { to open  limit tpm }`)))).toEqual(["W505 2:7"]);
    expect(run(unboundedReservation, src(...DECLS, `route r { to open  limit rpm }`))).toEqual([]);
  });

  test("reported once per model across routes", () => {
    const ds = run(unboundedReservation, src(...DECLS, `route r { to open  limit tpm }`, `route s { to open  budget b }`));
    expect(where(ds)).toEqual(["W505 2:7", "W505 5:7"]);
  });

  test("near miss: bounded models, and unbudgeted routes", () => {
    expect(run(unboundedReservation, src(...DECLS, `route r { to capped  fallback windowed  limit tpm }`))).toEqual([]);
    expect(run(unboundedReservation, src(...DECLS, `route r { to open }`))).toEqual([]);
  });
});
