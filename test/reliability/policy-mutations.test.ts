/**
 * Policy faults (issue 9): token-level mutations of valid policies — a
 * token deleted, duplicated, swapped or replaced by another of the file's
 * tokens, a line deleted or duplicated, the file truncated, a character
 * inserted — fed to the gate (`verifyPolicy`, what `aigw check` and every
 * reload run), to the `aigw check` command, and to a running gateway's
 * hot reload. Never a throw; a mutant is either a valid policy or refused
 * with diagnostics that have a known code, a message and a span inside the
 * file, and never an internal error (I001/I002: those are aigw bugs to
 * fix, not passes); a running gateway keeps serving the last good graph.
 *
 * Bounded: fixed seeds and run counts; the vitest timeout of each test is
 * what bounds a pathological compile. test/lang/syntax-errors.test.ts
 * covers the parser's messages on single-token edits of one file; this
 * suite goes through the whole front end and beyond, several edits at a
 * time, across files.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryHost, validateGraph } from "../../compiler/index.js";
import { diagnosticJson, hasErrors, type JsonDiagnostic } from "../../lang/diagnostics.js";
import { verifyPolicy, type VerifiedPolicy } from "../../runtime/policy/verify-policy.js";
import type { PolicyStatus, ReloadOutcome } from "../../runtime/server/reload/index.js";
import { admin, ENV, stopAll, writeFile } from "../reload/helpers.js";
import { aigw, policyDir } from "../support/cli.js";
import { arbPolicy } from "../support/policy-gen.js";
import { diagnosticFaults, exampleSeeds, jsonDiagnosticFaults, type Seed } from "./policy-faults.js";
import { GATEWAY_ROUTE, MAIN_ROUTE, startFuzzGateway, type FuzzGateway } from "./policy-gateway.js";
import { arbMutations, mutateAll, type Mutation } from "./policy-mutate.js";

/** In memory, a seed's files live under this directory, and the loader is given the directory (as `aigw check DIR`). */
const ROOT = "policy";

const EXAMPLES = exampleSeeds();

/** A seed's files, the one `pick` chooses (modulo their count) edited by `mutations`, keyed by their path under `root`. */
function mutant(seed: Seed, pick: number, mutations: readonly Mutation[], root: string): { files: Map<string, string>; target: string } {
  const names = [...seed.files.keys()];
  const target = names[pick % names.length]!;
  const files = new Map<string, string>();
  for (const [rel, text] of seed.files) files.set(`${root}/${rel}`, rel === target ? mutateAll(text, mutations) : text);
  return { files, target };
}

/** Verifies the policy under `root` in memory: the gate every caller uses. Returns what is wrong with the outcome. */
async function gateFaults(files: ReadonlyMap<string, string>, root: string): Promise<{ faults: string[]; verified: VerifiedPolicy }> {
  const verified = await verifyPolicy([root], memoryHost(Object.fromEntries(files)));
  const faults = diagnosticFaults(verified.diagnostics, files);
  const errors = hasErrors(verified.diagnostics);
  if (verified.graph === undefined && !errors) faults.push("no graph, but no error either");
  if (verified.graph !== undefined) {
    if (errors) faults.push("a graph despite errors");
    // What a compile worker hands the gateway: the graph through JSON, validated again by `setGraph`.
    const valid = validateGraph(JSON.parse(JSON.stringify(verified.graph)));
    if (!valid.ok) faults.push(`the graph does not survive JSON: ${valid.errors.slice(0, 3).join("; ")}`);
    if (verified.ok !== (!errors && verified.results.every((t) => t.passed))) faults.push("`ok` disagrees with the diagnostics and tests");
    for (const t of verified.results) {
      const text = files.get(t.file);
      if (text === undefined || t.line < 1 || t.line > text.split("\n").length) faults.push(`test "${t.name}" at ${t.file}:${t.line}, outside the policy`);
    }
  } else if (verified.results.length > 0) faults.push("tests ran without a graph");
  return { faults, verified };
}

/** The mutated file, for a failure message. */
const show = (files: ReadonlyMap<string, string>, target: string, root: string): string => `--- ${target} ---\n${files.get(`${root}/${target}`)}`;

describe("token mutants through the gate (compile, lint, schema, tests, reference)", () => {
  const RUNS = 500;
  // A mutant is 1-3 edits, each on the text the previous one left.
  const mutations = arbMutations(3);

  it.each(EXAMPLES.map((s) => [s.name, s] as const))("of examples/%s", { timeout: 120_000 }, async (_name, seed) => {
    const original = await gateFaults(mutant(seed, 0, [], ROOT).files, ROOT);
    expect(original.faults).toEqual([]);
    expect(original.verified.ok).toBe(true);
    let graphs = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(), mutations, async (pick, ms) => {
        const { files, target } = mutant(seed, pick, ms, ROOT);
        const { faults, verified } = await gateFaults(files, ROOT);
        if (verified.graph) graphs++;
        expect(faults, show(files, target, ROOT)).toEqual([]);
      }),
      { numRuns: RUNS, seed: 0x15509 },
    );
    // Most mutants are broken; some must not be, or the valid-mutant path went untested.
    expect(graphs).toBeGreaterThan(0);
    expect(graphs).toBeLessThan(RUNS);
  });

  it("of generated policies", { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(arbPolicy({ maxRoutes: 4 }), mutations, async (text, ms) => {
        const seed: Seed = { name: "generated", files: new Map([["main.route", text]])};
        const { files, target } = mutant(seed, 0, ms, ROOT);
        const { faults } = await gateFaults(files, ROOT);
        expect(faults, show(files, target, ROOT)).toEqual([]);
      }),
      { numRuns: RUNS, seed: 0x15509 },
    );
  });
});

describe("token mutants through `aigw check`", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** `code file line:column message`, with the policy directory (`root`) written as ROOT in the file and the message. */
  const key = (d: JsonDiagnostic, root: string): string => {
    const local = (s: string): string => s.split(root).join(ROOT);
    return `${d.code} ${local(d.file)} ${d.line}:${d.column}-${d.endLine}:${d.endColumn} ${local(d.message)}`;
  };

  it("exits 0 or 1 with diagnostics in the file, the same as the gate in memory, in every format", { timeout: 60_000 }, async () => {
    const generated = fc.sample(arbPolicy({ maxRoutes: 3 }), { numRuns: 4, seed: 0x15509 }).map((text, i): Seed => ({ name: `generated-${i}`, files: new Map([["main.route", text]])}));
    const seeds = [...EXAMPLES, ...generated];
    const formats = ["human", "github"] as const;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: seeds.length - 1 }), fc.nat(), arbMutations(2), async (s, pick, ms) => {
        const seed = seeds[s]!;
        const { files: memory, target } = mutant(seed, pick, ms, ROOT);
        const dir = policyDir(Object.fromEntries([...memory].map(([p, text]) => [p.slice(ROOT.length + 1), text])));
        dirs.push(dir);
        const onDisk = new Map([...memory].map(([p, text]) => [join(dir, p.slice(ROOT.length + 1)), text]));
        const context = show(memory, target, ROOT);

        const json = await aigw(["check", dir, "--format", "json"]);
        expect([0, 1], context).toContain(json.code);
        expect(json.stderr, context).toBe("");
        const report = JSON.parse(json.stdout) as { ok: boolean; diagnostics: JsonDiagnostic[]; tests: { passed: boolean }[] };
        expect(report.ok, context).toBe(json.code === 0);
        expect(jsonDiagnosticFaults(report.diagnostics, onDisk), context).toEqual([]);

        // The command on disk and the gate in memory judge the mutant alike.
        const { verified } = await gateFaults(memory, ROOT);
        expect(report.diagnostics.map((d) => key(d, dir)), context).toEqual(verified.diagnostics.map(diagnosticJson).map((d) => key(d, ROOT)));
        expect(report.tests.map((t) => t.passed), context).toEqual(verified.results.map((t) => t.passed));

        // The other renderers quote source lines and spans: they must not throw on any of them either.
        const other = await aigw(["check", dir, "--format", formats[run++ % formats.length]!]);
        expect(other.code, context).toBe(json.code);
        expect(other.stderr, context).toBe("");
        expect(other.stdout, context).toMatch(/\d+ errors?, \d+ warnings?; (tests not run|\d+ tests? passed)/);
      }),
      { numRuns: 100, seed: 0x15509 },
    );
  });
});

describe("token mutants hot-reloaded into a running gateway", () => {
  let gw: FuzzGateway;
  beforeAll(async () => {
    gw = await startFuzzGateway(MAIN_ROUTE);
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await stopAll();
  });

  /** A request the starting policy's premium route answers (guardrails, fallbacks and all). */
  async function ask(): Promise<{ status: number; policy: string | null; route: string | null }> {
    const res = await fetch(`${gw.base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-tier": "gold" },
      body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hello, I am ana@example.com" }] }),
    });
    await res.arrayBuffer();
    return { status: res.status, policy: res.headers.get("x-aigw-policy"), route: res.headers.get("x-aigw-route") };
  }

  const status = async (): Promise<PolicyStatus> => (await (await admin(gw.base, "GET", "/admin/policy")).json()) as PolicyStatus;

  it("keeps the last good graph through every refused mutant and takes every passing one", { timeout: 60_000 }, async () => {
    const STEPS = 50;
    const [gatewayPath, mainPath] = gw.paths;
    const goodTexts = [MAIN_ROUTE];
    let good = { text: MAIN_ROUTE, policy: gw.reloader.graph.policy };
    // The answer each version gave first: a refused reload must not change it.
    const answers = new Map<string, { status: number; route: string | null }>();
    const first = await ask();
    expect(first).toMatchObject({ status: 200, policy: good.policy, route: "premium" });
    answers.set(good.policy, { status: first.status, route: first.route });
    const seen = { applied: 0, unchanged: 0, rejected: 0 };

    // A random walk: each mutant edits the last good text, so mutants that go live are built on. Every
    // tenth step writes back an earlier good text instead (the swap back, or `unchanged` when it is the one serving).
    const walk = fc.sample(arbMutations(2), { numRuns: STEPS, seed: 0x15509 });
    for (const [step, ms] of walk.entries()) {
      const text = step % 10 === 9 ? goodTexts[ms[0]!.a % goodTexts.length]! : mutateAll(good.text, ms);
      const context = `step ${step}: ${JSON.stringify(ms)}\n--- main.route ---\n${text}`;
      writeFile(mainPath, text);

      // What the gate says, in memory, over the same paths (the version hashes paths and texts).
      const expected = await verifyPolicy([gatewayPath, mainPath], memoryHost({ [gatewayPath]: GATEWAY_ROUTE, [mainPath]: text }), { env: ENV });
      const res = await admin(gw.base, "POST", "/admin/reload");
      const outcome = (await res.json()) as ReloadOutcome;
      seen[outcome.status]++;

      if (expected.ok && expected.graph) {
        expect(res.status, context).toBe(200);
        expect(outcome.status, context).toBe(expected.graph.policy === good.policy ? "unchanged" : "applied");
        good = { text, policy: expected.graph.policy };
        if (!goodTexts.includes(text)) goodTexts.push(text);
      } else {
        expect(res.status, context).toBe(422);
        if (outcome.status !== "rejected") throw new Error(`not refused: ${context}`);
        const refused = outcome.rejected;
        // An `error` is an exception from the compile worker or the swap: a crash, not a refusal.
        expect(refused.error, context).toBeUndefined();
        expect(refused.diagnostics.some((d) => d.severity === "error") || refused.failedTests.length > 0, context).toBe(true);
        expect(jsonDiagnosticFaults(refused.diagnostics, new Map([[gatewayPath, GATEWAY_ROUTE], [mainPath, text]])), context).toEqual([]);
        if (expected.diagnostics.length <= 100) expect(refused.diagnostics.map((d) => d.code).sort(), context).toEqual(expected.diagnostics.map((d) => d.code).sort());
      }

      const st = await status();
      if (outcome.status === "rejected") expect(st.lastRejected, context).toEqual(outcome.rejected);
      expect(st.active.policy, context).toBe(good.policy);
      expect(gw.reloader.graph.policy, context).toBe(good.policy);
      const answer = await ask();
      expect(answer.policy, context).toBe(good.policy);
      const before = answers.get(good.policy);
      if (before) expect({ status: answer.status, route: answer.route }, context).toEqual(before);
      else answers.set(good.policy, { status: answer.status, route: answer.route });
    }

    const st = await status();
    expect(st.reloads).toMatchObject({ attempts: STEPS, ...seen });
    // Every path was taken: mutants refused, mutants (or earlier good texts) going live, a reload of the serving text.
    expect(seen.rejected).toBeGreaterThan(0);
    expect(seen.applied).toBeGreaterThan(0);
    expect(seen.unchanged).toBeGreaterThan(0);
    // Still up, still serving the last good graph.
    expect((await ask()).policy).toBe(good.policy);
  });
});
