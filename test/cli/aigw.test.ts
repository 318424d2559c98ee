/**
 * The dispatcher and its conventions: `--version`, real per-command help,
 * argv parsing on node:util (usage errors exit 2 with a message and the
 * usage line), and one clear error for a directory that holds no policy.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { aigw, policyDir } from "../support/cli.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
const COMMANDS = ["check", "compile", "explain", "serve", "key", "fmt"];

describe("aigw --version", () => {
  it.each(["--version", "-V", "version"])("%s prints the package version and exits 0", async (flag) => {
    const r = await aigw([flag]);
    expect(r.stdout).toBe(`aigw ${pkg.version}\n`);
    expect(r.code).toBe(0);
  });
});

describe("aigw <command> --help", () => {
  it.each(COMMANDS)("%s: usage, options, examples and exit codes", async (name) => {
    const r = await aigw([name, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: aigw ${name}\\b`));
    expect(r.stdout).toContain("\noptions:\n");
    expect(r.stdout).toContain("\nexamples:\n");
    const examples = r.stdout.slice(r.stdout.indexOf("examples:")).split("\n").filter((l) => l.startsWith(`  aigw ${name} `) || l.includes(`| aigw ${name} `));
    expect(examples.length).toBeGreaterThanOrEqual(2);
    expect(r.stdout).toMatch(/\nexit: 0\b/);
    // The command did not run: help is all it printed.
    expect(r.stderr).toBe("");
    expect(await aigw([name, "-h"])).toEqual(r);
    expect(await aigw(["help", name])).toEqual(r);
  });

  it("help without a command lists every command; an unknown one is a usage error", async () => {
    const r = await aigw(["--help"]);
    for (const name of COMMANDS) expect(r.stdout).toContain(`  ${name} `);
    expect(r.code).toBe(0);
    const bad = await aigw(["help", "chek"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown command `chek`");
  });
});

describe("argument errors", () => {
  it.each([
    [["check", "--bogus"], "aigw check: unknown option `--bogus`"],
    [["compile", "-o"], "aigw compile: -o needs a value"],
    [["check", "--format"], "aigw check: --format needs a value"],
    [["fmt", "--check=yes"], "aigw fmt: --check takes no value"],
    [["explain", "--request", "--format", "json"], "aigw explain: --request needs a value"],
    [["key", "--label", "tier"], "aigw key: --label takes name=value"],
  ])("%j: exit 2 with %s and the usage line", async (argv, message) => {
    const r = await aigw(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(`usage: aigw ${argv[0]} `);
    expect(r.stdout).toBe("");
  });

  it("options take both forms, and --label repeats", async () => {
    const r = await aigw(["key", "--team=search", "--label", "tier=gold", "--label=region=eu"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/"sha256:[0-9a-f]{64}" team "search" tier "gold" region "eu"\n/);
  });
});

describe("a directory that holds no policy of its own", () => {
  // What `aigw check` and `aigw compile` see without a path, run where the policies are in subdirectories.
  const dir = policyDir({
    "a/main.route": "gateway { auth none }\nprovider p { api mock }\nmodel m = p/\"m\"\nroute r { to m }\n",
    "a/routes/more.route": "",
    "b/policy.route": "",
  });

  it("check: one error naming where the policies are, and nothing else", async () => {
    const r = await aigw(["check", dir, "--format", "json"]);
    const doc = JSON.parse(r.stdout) as { diagnostics: { code: string; message: string; help?: string }[] };
    expect(doc.diagnostics.map((d) => d.code)).toEqual(["L004"]);
    expect(doc.diagnostics[0]!.message).toBe(`\`${dir}\` has no \`.route\` files`);
    expect(doc.diagnostics[0]!.help).toBe(`give the policy's path; directories below with \`.route\` files: \`${dir}/a\`, \`${dir}/b\``);
    expect(r.code).toBe(1);
  });

  it("compile: the same single error, no graph", async () => {
    const r = await aigw(["compile", dir]);
    expect(r.stderr).toContain("error[L004]");
    expect(r.stderr).not.toMatch(/^warning/m);
    expect(r.stderr).toContain("1 error, 0 warnings: no graph written");
    expect(r.stdout).toBe("");
    expect(r.code).toBe(1);
  });
});

describe("README's Commands table", () => {
  it("shows each command's usage line exactly as its --help does", async () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    for (const name of COMMANDS) {
      const usage = /^usage: (.*)$/m.exec((await aigw([name, "--help"])).stdout)![1]!;
      expect(readme).toContain(`| \`${usage.replaceAll("|", "\\|")}\` |`);
    }
    expect(readme).toContain("`aigw --version`");
  });
});
