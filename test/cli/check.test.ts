import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { aigw, policyDir } from "../support/cli.js";

const design = readFileSync(new URL("../../examples/design/policy.route", import.meta.url), "utf8");

describe("aigw check", () => {
  it("passes the DESIGN.md example policy with all its tests", async () => {
    const dir = policyDir({ "main.route": design });
    const r = await aigw(["check", dir, "--format", "json"]);
    const doc = JSON.parse(r.stdout);
    expect(doc.diagnostics.filter((d: { severity: string }) => d.severity === "error")).toEqual([]);
    expect(doc.tests).toHaveLength(3);
    expect(doc.tests.every((t: { passed: boolean }) => t.passed)).toBe(true);
    expect(doc.ok).toBe(true);
    expect(r.code).toBe(0);
  });

  it("reports every error with code and position, and exits 1", async () => {
    const dir = policyDir({
      "main.route": [
        'provider p { api mock }',
        'model m = p/"m"',
        "route a {",
        "  when model ==",
        "  timeout 5$",
        "  to nope",
        "}",
        "route b { when model == \"x\" to m timeout 5$ }",
        "",
      ].join("\n"),
    });
    const r = await aigw(["check", dir, "--format", "json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.ok).toBe(false);
    const codes = doc.diagnostics.map((d: { code: string; line: number }) => `${d.code}@${d.line}`);
    expect(codes).toContain("E201@8");
    expect(doc.diagnostics.length).toBeGreaterThanOrEqual(2);
    for (const d of doc.diagnostics) {
      expect(d).toMatchObject({ file: expect.stringContaining("main.route"), line: expect.any(Number), column: expect.any(Number) });
    }
  });

  it("prints a source excerpt with a caret in human format", async () => {
    const dir = policyDir({ "main.route": 'provider p { api mock timeout 5$ }\nmodel m = p/"m"\nroute r { to m }\n' });
    const r = await aigw(["check", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("error[E201]");
    expect(r.stdout).toContain(":1:");
    expect(r.stdout).toContain("^^");
    expect(r.stdout).not.toContain("\x1b[");
  });

  it("writes GitHub annotations", async () => {
    const dir = policyDir({ "main.route": 'provider p { api mock timeout 5$ }\nmodel m = p/"m"\nroute r { to m }\n' });
    const r = await aigw(["check", dir, "--format", "github"]);
    expect(r.stdout).toMatch(/^::error file=[^,]+main\.route,line=1,col=\d+/m);
  });

  it("treats warnings as failures only with --strict", async () => {
    const dir = policyDir({ "main.route": 'provider p { api mock }\nprovider unused { api mock }\nmodel m = p/"m"\nroute r { to m }\n' });
    const plain = await aigw(["check", dir, "--format", "json"]);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout).diagnostics.some((d: { code: string }) => d.code === "W501")).toBe(true);
    const strict = await aigw(["check", dir, "--strict"]);
    expect(strict.code).toBe(1);
  });

  it("exits 2 on usage errors", async () => {
    expect((await aigw(["check", "--bogus"])).code).toBe(2);
    expect((await aigw(["check", "/definitely/not/here"])).code).toBe(2);
    expect((await aigw(["check", ".", "--format", "xml"])).code).toBe(2);
    expect((await aigw(["nonsense"])).code).toBe(2);
  });

  it("fails when a policy test fails, naming expected and actual", async () => {
    const dir = policyDir({
      "main.route": [
        'provider p { api mock }',
        'model a = p/"a"',
        'model b = p/"b"',
        'route r { when model == "chat" to a }',
        'test "goes to b" {',
        '  request { model "chat" }',
        "  expect target b",
        "}",
        "",
      ].join("\n"),
    });
    const r = await aigw(["check", dir, "--format", "json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.tests).toEqual([expect.objectContaining({ name: "goes to b", line: 5, passed: false })]);
    expect(doc.tests[0].message).toMatch(/b/);
    expect(doc.tests[0].message).toMatch(/a/);
  });

  it("counts tokens with the real tokenizer when a test needs it", async () => {
    const dir = policyDir({
      "main.route": [
        "gateway { auth none }",
        "provider p { api mock }",
        'model short = p/"s"',
        'model long = p/"l"',
        'route big { when model == "chat" and input_tokens > 5 to long }',
        'route small { when model == "chat" to short }',
        'test "ten words are more than five tokens" {',
        '  request { model "chat" input "one two three four five six seven eight nine ten" }',
        "  expect route big",
        "}",
        'test "two words are not" {',
        '  request { model "chat" input "one two" }',
        "  expect route small",
        "}",
        "",
      ].join("\n"),
    });
    const r = await aigw(["check", dir, "--format", "json"]);
    const doc = JSON.parse(r.stdout);
    expect(doc.diagnostics).toEqual([]);
    expect(doc.tests.map((t: { passed: boolean }) => t.passed)).toEqual([true, true]);
    expect(r.code).toBe(0);
  });

  it("checks a file with syntax errors but never lowers it (no internal error, no graph)", async () => {
    const dir = policyDir({ "main.route": 'provider p { api mock }\nmodel true = p/"x"\nroute r { when model == "a" to m  timeout 5 }\n' });
    const r = await aigw(["check", dir, "--format", "json"]);
    const codes = JSON.parse(r.stdout).diagnostics.map((d: { code: string }) => d.code);
    // the syntax error first; the checks still run (E201), but `m` is not "unknown":
    // the declaration the parser could not read may be what declares it (lang/SPEC.md §9.1)
    expect(codes).toEqual(["P002", "E201"]);
    expect(codes.filter((c: string) => c.startsWith("I"))).toEqual([]);
    expect(r.code).toBe(1);
    const compiled = await aigw(["compile", dir]);
    expect(compiled.code).toBe(1);
    expect(compiled.stdout).toBe("");
  });

  it("points each failed expectation at its own line, in human and GitHub formats", async () => {
    const dir = policyDir({
      "main.route": [
        "provider p { api mock }",
        'model a = p/"a"',
        'model b = p/"b"',
        'route r { when model == "chat" to a fallback b on 5xx }',
        'test "stays on a" {',
        '  request { model "chat" }',
        "  given a fails 503",
        "  expect attempts [a]",
        "  expect status 200",
        "  expect target a",
        "}",
        "",
      ].join("\n"),
    });
    const human = await aigw(["check", dir]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('FAIL test "stays on a"');
    expect(human.stdout).toMatch(/main\.route:8:3: expected attempts \[a\], got \[a, b\]/);
    expect(human.stdout).toMatch(/main\.route:10:3: expected target `a`, got `b`/);
    const github = await aigw(["check", dir, "--format", "github"]);
    expect(github.stdout).toMatch(/^::error file=[^,]+main\.route,line=8,col=3,title=test::/m);
    expect(github.stdout).toMatch(/^::error file=[^,]+main\.route,line=10,col=3,title=test::/m);
  });
});
