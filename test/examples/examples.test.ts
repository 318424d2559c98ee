/**
 * Every policy under examples/ is something a user copies, so each must pass
 * `aigw check` exactly as CI runs it: no errors, every test passing. The
 * quickstart and production examples promise more (a minimum number of
 * tests, only the warnings they document, the formatter's layout, a test
 * suite that exercises every kind of `given` and `expect`), and the
 * quickstart must stay what README.md and `npm start` say it is.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadAndCompile } from "../../cli/policy.js";
import { loadTokenizer } from "../../runtime/engine/index.js";
import { crossCheckTests, runPolicyTests } from "../../runtime/policy/index.js";
import { aigw } from "../support/cli.js";

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));

interface Expectation {
  minTests: number;
  /** Warning codes the example may produce (with the empty environment CI has); undefined: not checked. */
  warnings?: readonly string[];
  /** Whether `aigw fmt --check` must pass. */
  formatted?: boolean;
}

/** What each example promises; examples not listed must still check clean and carry at least one test. */
const EXPECTED: Readonly<Record<string, Expectation>> = {
  quickstart: { minTests: 4, warnings: [], formatted: true },
  // Only the unset env("…") variables: CI has no provider secrets.
  production: { minTests: 20, warnings: ["W502"], formatted: true },
};

const DEFAULT: Expectation = { minTests: 1 };

function hasRouteFiles(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((e) =>
    e.isDirectory() ? hasRouteFiles(join(dir, e.name)) : e.name.endsWith(".route"),
  );
}

/** The example directories that hold a policy, by name. */
const policies = readdirSync(EXAMPLES)
  .filter((name) => statSync(join(EXAMPLES, name)).isDirectory() && hasRouteFiles(join(EXAMPLES, name)))
  .sort();

interface CheckJson {
  ok: boolean;
  diagnostics: { code: string; severity: string; message: string; file: string; line: number }[];
  tests: { name: string; file: string; line: number; passed: boolean; message?: string }[];
}

async function checkJson(dir: string): Promise<{ code: number; doc: CheckJson }> {
  const r = await aigw(["check", dir, "--format", "json"]);
  return { code: r.code, doc: JSON.parse(r.stdout) as CheckJson };
}

const show = (d: CheckJson["diagnostics"][number]): string => `${d.code} ${d.file}:${d.line} ${d.message}`;

describe("examples", () => {
  it("include the quickstart and production policies", () => {
    expect(policies).toEqual(expect.arrayContaining(["quickstart", "production"]));
  });

  describe.each(policies)("examples/%s", (name) => {
    const dir = join(EXAMPLES, name);
    const want = EXPECTED[name] ?? DEFAULT;

    it(`passes aigw check with no errors and at least ${want.minTests} passing tests`, async () => {
      const { code, doc } = await checkJson(dir);
      expect(doc.diagnostics.filter((d) => d.severity === "error").map(show)).toEqual([]);
      expect(doc.tests.filter((t) => !t.passed).map((t) => `${t.name}: ${t.message ?? ""}`)).toEqual([]);
      expect(doc.tests.length).toBeGreaterThanOrEqual(want.minTests);
      expect(doc.ok).toBe(true);
      expect(code).toBe(0);
      // Every test is reported from a file of this example.
      for (const t of doc.tests) expect(relative(dir, t.file).startsWith("..")).toBe(false);
    });

    if (want.warnings !== undefined) {
      const allowed = want.warnings;
      it(`produces no warnings other than ${allowed.length ? allowed.join(", ") : "none at all"}`, async () => {
        const { doc } = await checkJson(dir);
        expect(doc.diagnostics.filter((d) => !allowed.includes(d.code)).map(show)).toEqual([]);
      });
    }

    if (want.formatted) {
      it("is in the formatter's canonical layout", async () => {
        const r = await aigw(["fmt", "--check", dir]);
        expect(r.stdout + r.stderr).not.toMatch(/\.route/);
        expect(r.code).toBe(0);
      });
    }

    it("passes its tests with other seeds and agrees with the reference interpreter", async () => {
      // The reference interpreter counts tokens exactly, without the byte-length shortcut.
      const tokenizer = await loadTokenizer();
      const policy = loadAndCompile([dir], {});
      expect(policy.graph).toBeDefined();
      const graph = policy.graph!;
      for (const seed of [1, 2, 3, 42]) {
        const failed = (await runPolicyTests(graph, policy.tests, { seed })).filter((t) => !t.passed);
        expect(failed.map((t) => `seed ${seed}: ${t.name}: ${t.message ?? ""}`)).toEqual([]);
      }
      expect(crossCheckTests(policy.files, graph, policy.tests, { tokenizer })).toEqual([]);
    });
  });
});

describe("examples/quickstart", () => {
  const dir = join(EXAMPLES, "quickstart");

  it("is one file, served on 127.0.0.1:8787 without auth, with the model `chat` and only mock providers", () => {
    expect(readdirSync(dir).filter((f) => f.endsWith(".route"))).toEqual(["main.route"]);
    const { graph } = loadAndCompile([dir], {});
    expect(graph).toBeDefined();
    expect(graph!.gateway.listen).toBe("127.0.0.1:8787");
    expect(graph!.gateway.auth).toBe("none");
    expect(graph!.accepted).toContain("chat");
    expect(Object.values(graph!.providers).map((p) => p.api)).toEqual(expect.arrayContaining(["mock"]));
    expect(Object.values(graph!.providers).every((p) => p.api === "mock")).toBe(true);
  });
});

describe("examples/production", () => {
  const dir = join(EXAMPLES, "production");

  it("spreads the policy over several files, all reached from main.route", async () => {
    const { files } = loadAndCompile([dir], {});
    const paths = new Set(files.map((f) => relative(dir, f.path)));
    expect(paths.size).toBeGreaterThanOrEqual(5);
    expect(paths).toContain("main.route");
  });

  it("has tests of every kind of given and expect", () => {
    const { tests } = loadAndCompile([dir], {});
    const givens = new Set(tests.flatMap((t) => t.given.map((g) => g.kind)));
    const expects = new Set(tests.flatMap((t) => t.expect.map((e) => e.kind)));
    expect([...givens].sort()).toEqual(["budget-spent", "ejected", "fails", "failures", "latency", "limit-used", "split-picks"]);
    expect([...expects].sort()).toEqual(
      ["attempts", "blocked", "flagged", "no-route", "redacted", "retries", "route", "shaped", "status", "target", "target-in"].sort(),
    );
  });

  it("publishes the example keys whose hashes it lists", () => {
    const { graph } = loadAndCompile([dir], {});
    const text = readFileSync(join(dir, "keys.route"), "utf8");
    const named = [...text.matchAll(/\/\/ (aigw-example-[a-z]+-key)/g)].map((m) => m[1]!);
    expect(named.length).toBe(Object.keys(graph!.keys).length);
    for (const key of named) expect(Object.keys(graph!.keys)).toContain(sha256(key));
  });

  it("tells users to mint their own keys with aigw key, not a hand-rolled hash", () => {
    const text = readFileSync(join(dir, "keys.route"), "utf8");
    expect(text).toMatch(/npx aigw key --team \w+/);
    expect(text).not.toMatch(/node -e|createHash/);
  });
});

describe("examples/ci/github-actions.yml", () => {
  const yml = readFileSync(join(EXAMPLES, "ci", "github-actions.yml"), "utf8");

  it("runs this repository's action (aigw check with GitHub annotations) on pull requests", () => {
    expect(yml).toMatch(/^on:\n(?: .*\n)*? {2}pull_request:/m);
    expect(yml).toMatch(/uses: actions\/checkout@v\d/);
    expect(yml).toMatch(/^ {6}- uses: [\w.-]+\/aigw@\S+$/m);
    expect(yml).toMatch(/^ {10}path: \S+$/m);
    // aigw is not on npm: the workflow must not install it from there
    expect(yml).not.toMatch(/npm (install|i) -D aigw|npx aigw/);
    expect(yml).toContain(".aigw/");
    expect(yml).not.toMatch(/\t/);
  });

  it("passes only inputs the action declares", () => {
    const action = readFileSync(join(EXAMPLES, "..", "action.yml"), "utf8");
    const declared = [...action.matchAll(/^ {2}([\w-]+):\n {4}description:/gm)].map((m) => m[1]);
    const given = [...yml.matchAll(/^ {10}#? ?([\w-]+): /gm)].map((m) => m[1]);
    expect(given.length).toBeGreaterThan(0);
    for (const input of given) expect(declared).toContain(input);
  });
});

function sha256(text: string): string {
  return "sha256:" + createHash("sha256").update(text).digest("hex");
}
