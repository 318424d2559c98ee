/**
 * `aigw check` for reviewers and CI (issue 18): `--test NAME`, `--coverage`
 * with `--min-coverage`, SARIF 2.1.0 (validated against the official
 * schema), JUnit XML (read back with a real XML parser), GitHub annotations
 * that keep the help, and JSON diagnostics that keep the related span.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { Ajv } from "ajv";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { aigw, policyDir } from "../support/cli.js";

const POLICY = `gateway { auth none }
provider p { api mock }
model big = p/"big" { input $1/Mtok output $1/Mtok }
model son = p/"son" { input $1/Mtok output $1/Mtok }
model mini = p/"mini" { input $1/Mtok output $1/Mtok }
guardrail pii { on input redact email  block when text matches /secret/ }
budget daily { per team limit $100 per day warn 80% exceeded downgrade mini }
route chat {
  when model == "chat"
  guard pii
  budget daily
  split { 50% big  50% son }
  fallback mini
  retry 1
}
route other { when model == "other" to big }

test "big answers" {
  request { model "chat" team "a" }
  given split picks big
  expect target big
}
test "big fails over to mini" {
  request { model "chat" team "a" }
  given split picks big
  given big fails 503
  expect attempts [big, mini]
}
test "emails are redacted" {
  request { model "chat" team "a" input "mail a@b.co" }
  given split picks son
  expect redacted input "mail [EMAIL]"
}
`;

/** The same policy with one failing test and one warning with a related span and help (an unused model). */
const BROKEN = POLICY.replace("expect target big", "expect target son") + 'model spare = p/"spare"\n';

async function json(args: string[]) {
  const r = await aigw(args);
  return { ...r, doc: JSON.parse(r.stdout) as Record<string, any> };
}

describe("aigw check --test", () => {
  it("runs only the named test", async () => {
    const dir = policyDir({ "main.route": BROKEN });
    const all = await json(["check", dir, "--format", "json"]);
    expect(all.doc.tests.map((t: { name: string }) => t.name)).toHaveLength(3);
    const one = await json(["check", dir, "--format", "json", "--test", "emails are redacted"]);
    expect(one.doc.tests.map((t: { name: string }) => t.name)).toEqual(["emails are redacted"]);
    expect(one.code).toBe(0);
    expect((await aigw(["check", dir, "--test", "big answers"])).code).toBe(1);
  });

  it("is a usage error for a name no test has, with a suggestion", async () => {
    const r = await aigw(["check", policyDir({ "main.route": POLICY }), "--test", "big answer"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no test named "big answer"');
    expect(r.stderr).toContain("big answers");
  });
});

describe("aigw check --coverage", () => {
  it("names each test's route and tries in JSON", async () => {
    const { doc } = await json(["check", policyDir({ "main.route": POLICY }), "--format", "json"]);
    expect(doc.tests[1]).toMatchObject({ name: "big fails over to mini", route: "chat", attempts: ["big:503", "big:503", "mini:200"], target: "mini", status: 200 });
  });

  it("lists the parts no test exercises, in human, JSON and GitHub formats", async () => {
    const dir = policyDir({ "main.route": POLICY });
    const { doc, code } = await json(["check", dir, "--format", "json", "--coverage"]);
    expect(code).toBe(0);
    expect(doc.coverage.uncovered.map((u: { name: string }) => u.name)).toEqual([
      "a retry of `mini` on route `chat`",
      "fallback `son` → `mini` of route `chat`",
      "a retry of `son` on route `chat`",
      "route `other`",
      "the warning of budget `daily`",
      "budget `daily` exceeded (downgrade)",
      "rule 2 (input block) of guardrail `pii`",
    ]);
    // Covered: route chat, both arms, big → mini, a retry of big, the redaction rule.
    expect([doc.coverage.covered, doc.coverage.total, doc.coverage.percent]).toEqual([6, 13, 46.1]);
    expect(doc.coverage.uncovered[3]).toMatchObject({ kind: "route", file: expect.stringMatching(/main\.route$/), line: 16 });

    const human = await aigw(["check", dir, "--coverage"]);
    expect(human.stdout).toMatch(/main\.route:16:1: route `other`/);
    expect(human.stdout).toContain("coverage 46.1% (6 of 13 parts exercised by a test)");
    const github = await aigw(["check", dir, "--coverage", "--format", "github"]);
    expect(github.stdout).toMatch(/^::warning file=[^,]+main\.route,line=16,col=1,title=coverage::no test exercises route `other`$/m);
  });

  it("fails below --min-coverage and passes at or above it", async () => {
    const dir = policyDir({ "main.route": POLICY });
    const below = await aigw(["check", dir, "--min-coverage", "50"]);
    expect(below.code).toBe(1);
    expect(below.stdout).toContain("below --min-coverage 50%");
    expect((await aigw(["check", dir, "--min-coverage", "46"])).code).toBe(0);
    const github = await aigw(["check", dir, "--min-coverage", "50%", "--format", "github"]);
    expect(github.stdout).toMatch(/^::error [^:]*title=coverage::no test exercises route `other`$/m);
    expect((await aigw(["check", dir, "--min-coverage", "150"])).code).toBe(2);
  });

  it("counts a covered part once every kind of test reaches it", async () => {
    const more = `${POLICY}
test "son falls back" { request { model "chat" team "a" } given split picks son given son fails 503 given mini fails 503 expect status 502 }
test "other" { request { model "other" } expect target big }
test "warn" { request { model "chat" team "a" } given split picks big given budget daily spent $85 expect warned by daily }
test "over" { request { model "chat" team "a" } given budget daily spent $100 expect target mini }
test "secret" { request { model "chat" team "a" input "a secret" } expect blocked by pii }
`;
    const { doc, code } = await json(["check", policyDir({ "main.route": more }), "--format", "json", "--min-coverage", "100"]);
    expect(doc.coverage.uncovered).toEqual([]);
    expect(code).toBe(0);
  });
});

describe("aigw check --format sarif", () => {
  const require = createRequire(import.meta.url);
  // The official SARIF 2.1.0 schema, as Microsoft's jest-sarif ships it. It is draft-04 and uses no keyword whose
  // meaning changed by draft-07 (no boolean exclusiveMinimum/Maximum), so Ajv's draft-07 validates it once `id` is `$id`.
  const text = readFileSync(require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"), "utf8");
  const { $schema: _draft04, id, ...rest } = JSON.parse(text) as Record<string, unknown>;
  const schema = { $id: id as string, ...rest };

  it("uses the schema the way it was written", () => {
    expect(_draft04).toBe("http://json-schema.org/draft-04/schema#");
    expect(text).not.toMatch(/exclusiveM(in|ax)imum/);
  });

  it("is a SARIF 2.1.0 log valid against the official schema, with rules, locations and related locations", async () => {
    const dir = policyDir({ "main.route": BROKEN });
    const r = await aigw(["check", dir, "--format", "sarif", "--coverage"]);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.stdout) as Record<string, any>;
    // The schema's patterns are ECMAScript regexes without the `u` flag (one is invalid with it).
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
    const validate = ajv.compile(schema);
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);

    expect(log.version).toBe("2.1.0");
    const run = log.runs[0];
    const rules = run.tool.driver.rules.map((x: { id: string }) => x.id);
    expect(rules).toEqual(expect.arrayContaining(["W501", "test", "coverage"]));
    for (const res of run.results) expect(rules[res.ruleIndex]).toBe(res.ruleId);

    const unused = run.results.find((x: { ruleId: string }) => x.ruleId === "W501");
    expect(unused.level).toBe("warning");
    expect(unused.locations[0].physicalLocation.artifactLocation.uri).toMatch(/main\.route$/);
    expect(unused.locations[0].physicalLocation.region).toMatchObject({ startLine: 34 });
    const failed = run.results.find((x: { ruleId: string }) => x.ruleId === "test");
    expect(failed).toMatchObject({ level: "error", message: { text: 'test "big answers" failed: expected target `son`, got `big`' } });
    expect(failed.locations[0].physicalLocation.region).toEqual({ startLine: 21, startColumn: 3 });
    expect(failed.relatedLocations[0].physicalLocation.region.startLine).toBe(18);
  });

  it("carries a diagnostic's help and related place", async () => {
    const dup = policyDir({ "main.route": `${POLICY}route chat { when model == "x" to big }\n` });
    const log = JSON.parse((await aigw(["check", dup, "--format", "sarif"])).stdout) as Record<string, any>;
    const e102 = log.runs[0].results.find((x: { ruleId: string }) => x.ruleId === "E102");
    expect(e102.relatedLocations[0]).toMatchObject({ id: 0, physicalLocation: { region: { startLine: 8 } }, message: { text: expect.any(String) } });
    expect(e102.locations[0].physicalLocation.region.startLine).toBe(34);
  });
});

describe("aigw check --format junit", () => {
  it("is well-formed JUnit XML with one case per test and a failure per failed test", async () => {
    const dir = policyDir({ "main.route": BROKEN });
    const r = await aigw(["check", dir, "--format", "junit", "--min-coverage", "90"]);
    expect(r.code).toBe(1);
    expect(XMLValidator.validate(r.stdout)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (name) => name === "testsuite" || name === "testcase" }).parse(r.stdout) as Record<string, any>;
    const suites = doc.testsuites.testsuite as Record<string, any>[];
    expect(doc.testsuites).toMatchObject({ tests: "5", failures: "2" });
    expect(suites[0]!).toMatchObject({ name: "aigw check", tests: "2", failures: "1" });
    expect(suites[0]!.testcase.map((c: { name: string }) => c.name)).toEqual(["the policy compiles and lints", "coverage is at least 90%"]);
    expect(suites[1]!.testcase.map((c: { name: string }) => c.name)).toEqual(["big answers", "big fails over to mini", "emails are redacted"]);
    const failed = suites[1]!.testcase[0];
    expect(failed.failure.message).toBe("expected target `son`, got `big`");
    expect(failed.failure["#text"]).toMatch(/main\.route:21:3: expected target `son`, got `big`/);
    expect(suites[1]!.testcase[1].failure).toBeUndefined();
  });

  it("escapes what XML cannot hold as it is", async () => {
    const weird = POLICY.replace('test "big answers"', 'test "a <b> & \\"c\\" \'d\'"').replace("expect target big", "expect target son");
    const r = await aigw(["check", policyDir({ "main.route": weird }), "--format", "junit"]);
    expect(XMLValidator.validate(r.stdout)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (n) => n === "testsuite" || n === "testcase" }).parse(r.stdout) as Record<string, any>;
    expect(doc.testsuites.testsuite[1].testcase[0].name).toBe(`a <b> & "c" 'd'`);
  });
});

describe("diagnostics keep their help and related place", () => {
  const dup = `${POLICY}route chat { when model == "x" to big }\n`;

  it("in GitHub annotations", async () => {
    const r = await aigw(["check", policyDir({ "main.route": dup }), "--format", "github"]);
    const line = r.stdout.split("\n").find((l) => l.includes("title=E102"))!;
    expect(line).toMatch(/%0Anote: .* at [^%]*main\.route:8:\d+/);
    const unused = await aigw(["check", policyDir({ "main.route": BROKEN }), "--format", "github"]);
    expect(unused.stdout.split("\n").find((l) => l.includes("title=W501"))).toMatch(/%0A= help: /);
  });

  it("in JSON", async () => {
    const { doc } = await json(["check", policyDir({ "main.route": dup }), "--format", "json"]);
    const e102 = doc.diagnostics.find((d: { code: string }) => d.code === "E102");
    expect(e102.related).toMatchObject({ message: expect.any(String), file: expect.stringMatching(/main\.route$/), line: 8, column: expect.any(Number), endLine: 8 });
  });
});
