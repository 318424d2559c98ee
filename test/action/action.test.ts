/**
 * The GitHub Action (action.yml) run as GitHub would run it, step by step:
 * its `run:` scripts with `${{ … }}` expressions substituted, under bash,
 * in a copy of this repository standing for the action's checkout, against
 * a sample repository holding a policy. Proves the gate installs without
 * the server's native dependencies, and that a good policy passes while a
 * bad one fails with annotations on its lines.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { hashKey } from "../../runtime/pipeline/auth.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface Step {
  name?: string;
  uses?: string;
  with?: Record<string, string>;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  "working-directory"?: string;
}
interface Action {
  inputs: Record<string, { default?: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(readFileSync(join(ROOT, "action.yml"), "utf8")) as Action;
const work = mkdtempSync(join(tmpdir(), "aigw-action-"));
const actionPath = join(work, "action");
// The copy holds a node_modules: removing it takes a while on a loaded machine.
afterAll(() => rm(work, { recursive: true, force: true }), 120_000);

/** Replaces the expressions the action uses; any other expression fails the test (it would not be exercised). */
function substitute(text: string, inputs: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    if (expr === "github.action_path") return actionPath;
    const input = /^inputs\.([\w-]+)$/.exec(expr);
    if (input && input[1]! in inputs) return inputs[input[1]!]!;
    throw new Error(`action.yml uses an expression the test does not know: ${expr}`);
  });
}

/** Runs one `run:` step as GitHub's runner does (bash -e, the step's env and working directory, workspace as default). */
function runStep(step: Step, inputs: Record<string, string>, workspace: string): { status: number | null; stdout: string; stderr: string } {
  expect(step.shell).toBe("bash");
  const env: Record<string, string> = { PATH: process.env["PATH"]!, HOME: process.env["HOME"]!, GITHUB_ACTION_PATH: actionPath, GITHUB_WORKSPACE: workspace };
  for (const [k, v] of Object.entries(step.env ?? {})) env[k] = substitute(String(v), inputs);
  const cwd = step["working-directory"] ? substitute(step["working-directory"], inputs) : workspace;
  const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", substitute(step.run!, inputs)], { cwd, env, encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The inputs as GitHub resolves them: declared defaults, overridden by `with`. */
function inputsWith(given: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(action.inputs)) out[name] = spec.default ?? "";
  return { ...out, ...given };
}

const steps = action.runs.steps;
const step = (name: string): Step => steps.find((s) => s.name === name)!;

/** A sample repository with its policy under policy/. */
function sampleRepo(name: string, policy: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, "policy"), { recursive: true });
  writeFileSync(join(dir, "policy/main.route"), policy);
  return dir;
}

const KEYS = `keys { "${hashKey("sk-sample-0001")}" team "search" }\n`;
const GOOD = `provider demo { api mock }
${KEYS}model fast = demo/"mock-fast"
route chat { when model == "chat"  to fast }
test "chat goes to fast" {
  request { model "chat" }
  expect attempts [fast]
}
`;
const BAD = `provider demo { api mock }
${KEYS}model fast = demo/"mock-fast"
route chat { when model == "chat"  to nowhere }
`;
const WARNS = `provider demo { api openai key env("AIGW_ACTION_TEST_UNSET_KEY") }
${KEYS}model fast = demo/"gpt-4o-mini"
route chat { when model == "chat"  to fast }
`;

describe("the aigw GitHub Action", () => {
  let installMs = 0;

  beforeAll(() => {
    // The action's checkout: the repository's files as git would check them out (tracked and new, not ignored).
    const listed = spawnSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" });
    for (const file of listed.stdout.split("\0").filter((f) => f !== "" && existsSync(join(ROOT, f)))) {
      mkdirSync(dirname(join(actionPath, file)), { recursive: true });
      cpSync(join(ROOT, file), join(actionPath, file));
    }
    const started = Date.now();
    const r = runStep(step("install aigw"), inputsWith({}), work);
    installMs = Date.now() - started;
    if (r.status !== 0) throw new Error(`install step failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }, 300_000);

  it("is a composite action that sets up Node first", () => {
    expect(action.runs.using).toBe("composite");
    expect(steps[0]!.uses).toMatch(/^actions\/setup-node@v\d+$/);
    expect(steps[0]!.with?.["node-version"]).toBe("${{ inputs.node-version }}");
    expect(steps.slice(1).every((s) => s.run !== undefined)).toBe(true);
  });

  it("installs aigw from its own checkout without the server's native dependencies", () => {
    for (const pkg of ["uWebSockets.js", "better-sqlite3", "ioredis", "uws-node-fallback"]) expect(existsSync(join(actionPath, "node_modules", pkg))).toBe(false);
    expect(existsSync(join(actionPath, "dist/cli/bin.js"))).toBe(true);
    process.stderr.write(`action install step: ${installMs} ms\n`);
  });

  it("passes a good policy with no annotations", () => {
    const r = runStep(step("aigw check"), inputsWith({ path: "policy" }), sampleRepo("good", GOOD));
    expect(r.stderr).toBe("");
    expect(r.stdout).not.toMatch(/^::(error|warning)/m);
    expect(r.stdout).toContain("1 test passed, 0 failed");
    expect(r.status).toBe(0);
  });

  it("fails a bad policy with an error annotation on its line", () => {
    const r = runStep(step("aigw check"), inputsWith({ path: "policy" }), sampleRepo("bad", BAD));
    expect(r.stdout).toMatch(/^::error file=policy\/main\.route,line=4,col=\d+/m);
    expect(r.stdout).toContain("nowhere");
    expect(r.status).toBe(1);
  });

  it("annotates warnings without failing, and fails on them with strict", () => {
    const repo = sampleRepo("warns", WARNS);
    const lenient = runStep(step("aigw check"), inputsWith({ path: "policy" }), repo);
    expect(lenient.stdout).toMatch(/^::warning file=policy\/main\.route,line=1,.*AIGW_ACTION_TEST_UNSET_KEY/m);
    expect(lenient.status).toBe(0);
    const strict = runStep(step("aigw check"), inputsWith({ path: "policy", strict: "true" }), repo);
    expect(strict.stdout).toMatch(/^::error file=policy\/main\.route,line=1,.*AIGW_ACTION_TEST_UNSET_KEY/m);
    expect(strict.status).toBe(1);
  });

  it("leaves aigw serve saying which optional dependency to install, not crashing with a stack", () => {
    const repo = sampleRepo("serve", GOOD);
    const r = spawnSync(process.execPath, [join(actionPath, "dist/cli/bin.js"), "serve", "policy", "--port", "0"], { cwd: repo, encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toMatch(/^aigw: this command needs the optional dependency `(uWebSockets\.js|uws-legacy|better-sqlite3|ioredis)`, which is not installed/);
    expect(r.stderr).not.toContain("internal error");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.status).toBe(1);
  });

  it("treats the path input as data, never as shell", () => {
    const repo = sampleRepo("quoted", GOOD);
    const r = runStep(step("aigw check"), inputsWith({ path: "policy;touch${IFS}injected" }), repo);
    expect(existsSync(join(repo, "injected"))).toBe(false);
    expect(r.status).toBe(2);
  });
});
