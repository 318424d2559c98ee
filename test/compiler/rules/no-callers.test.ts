import { describe, expect, test } from "vitest";
import { noCallers } from "../../../compiler/rules/no-callers.js";
import { compileText, found } from "../helpers.js";
import { PRELUDE, run, src, where } from "./helpers.js";

const KEY = `"sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"`;
const ROUTE = `route r { to mini }`;

describe("no-callers (W504)", () => {
  test("no gateway block: the default `auth keys` with no keys is reported at the start of the entry file", () => {
    const ds = run(noCallers, src(...PRELUDE, ROUTE));
    expect(where(ds)).toEqual(["W504 1:1"]);
    expect(ds[0]!.severity).toBe("warning");
    expect(ds[0]!.message).toBe("no caller can authenticate: `auth keys` is the default and the policy lists no `keys`, so every request gets 401");
    expect(ds[0]!.help).toContain("aigw key");
    expect(ds[0]!.help).toContain("auth none");
  });

  test("a gateway block without `auth` is reported at its keyword", () => {
    const ds = run(noCallers, src(...PRELUDE, `  gateway { state memory }`, ROUTE));
    expect(where(ds)).toEqual(["W504 5:3"]);
    expect(ds[0]!.span.endColumn).toBe(10);
  });

  test("an explicit `auth keys` is reported at the setting", () => {
    const ds = run(noCallers, src(...PRELUDE, `gateway {`, `  auth keys`, `}`, ROUTE));
    expect(where(ds)).toEqual(["W504 6:3"]);
    expect(ds[0]!.message).toContain("the gateway has `auth keys`");
  });

  test("near miss: one key anywhere in the policy, or `auth none`, is fine", () => {
    expect(run(noCallers, src(...PRELUDE, `keys {`, `  ${KEY} team "a"`, `}`, ROUTE))).toEqual([]);
    expect(run(noCallers, src(...PRELUDE, `gateway { auth keys }`, `keys { ${KEY} }`, ROUTE))).toEqual([]);
    expect(run(noCallers, src(...PRELUDE, `gateway { auth none }`, ROUTE))).toEqual([]);
  });

  test("an empty keys block authenticates nobody either", () => {
    expect(where(run(noCallers, src(...PRELUDE, `keys {}`, ROUTE)))).toEqual(["W504 1:1"]);
  });

  test("the compiler runs it: a compiled policy carries the warning and still yields a graph", () => {
    const result = compileText(src(...PRELUDE, ROUTE));
    expect(found(result, "W504")).toEqual([expect.objectContaining({ line: 1, column: 1 })]);
    expect(result.graph?.gateway.auth).toBe("keys");
  });
});
