/**
 * `aigw serve` with hot reload, in-process: `--git REF` serves the committed
 * tree and follows the ref (commit, reset, push to a bare repository),
 * refusing broken commits; SIGHUP reloads on demand; bad flags are usage
 * errors.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { serveCommand } from "../../cli/commands/serve.js";
import type { Io } from "../../cli/io.js";
import type { Gateway } from "../../runtime/server/app.js";
import type { PolicyOrigin, PolicyStatus } from "../../runtime/server/reload/index.js";
import { aigw } from "../support/cli.js";
import { admin, chat, commit, ENV, eventually, git, gitRepo, stopAll, SYNTAX_ERROR, tempDir, upstreamOf, versionText, writeFile } from "./helpers.js";

interface Served {
  base: string;
  out: () => string;
  err: () => string;
  stop: () => Promise<number>;
}

const serving: Served[] = [];

/** Runs `aigw serve ARGS` in-process until `stop()`; resolves once it listens. */
async function serve(args: string[]): Promise<Served> {
  let out = "";
  let err = "";
  const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), isTty: false, env: ENV, cwd: process.cwd() };
  let release!: () => void;
  const stopSignal = new Promise<void>((r) => (release = r));
  let gateway: Gateway | undefined;
  let exit!: Promise<number>;
  const listening = new Promise<void>((resolve) => {
    exit = serveCommand([...args, "--port", "0", "--host", "127.0.0.1"], io, { stop: stopSignal, onListening: (g) => ((gateway = g), resolve()) });
    void exit.then(() => resolve());
  });
  await listening;
  if (!gateway) throw new Error(`aigw serve did not start:\n${err}`);
  const served: Served = {
    base: `http://127.0.0.1:${gateway.port}`,
    out: () => out,
    err: () => err,
    stop: () => {
      release();
      return exit;
    },
  };
  serving.push(served);
  return served;
}

afterEach(async () => {
  await Promise.all(serving.splice(0).map((s) => s.stop()));
  await stopAll();
});

const commitOf = (o: PolicyOrigin | undefined): string | undefined => (o?.kind === "git" ? o.commit : undefined);
const policyStatus = async (base: string): Promise<PolicyStatus> => (await (await admin(base, "GET", "/admin/policy")).json()) as PolicyStatus;

describe("aigw serve --git REF", () => {
  it("serves the committed tree, refuses a syntax error and failing tests, then takes a good commit", async () => {
    const repo = gitRepo({ "policy/main.route": versionText("a"), "README.md": "policy repo\n" });
    const first = git(repo, "rev-parse", "HEAD");
    const s = await serve([join(repo, "policy"), "--git", "main"]);
    expect(s.err()).toContain("reload: following main");
    const a = await chat(s.base);
    expect(a).toMatchObject({ status: 200, target: "a", model: upstreamOf("a") });
    expect((await policyStatus(s.base)).active).toMatchObject({ policy: a.policy, source: { kind: "git", ref: "main", commit: first, paths: ["policy"] } });

    // Edits in the working tree are never served, not even on demand.
    writeFile(join(repo, "policy/main.route"), versionText("b"));
    expect(((await (await admin(s.base, "POST", "/admin/reload")).json()) as { status: string }).status).toBe("unchanged");
    expect((await chat(s.base)).target).toBe("a");

    const broken = commit(repo, { "policy/main.route": SYNTAX_ERROR }, "syntax error");
    await eventually(async () => (commitOf((await policyStatus(s.base)).lastRejected?.source) === broken ? true : undefined));
    expect(await chat(s.base)).toMatchObject({ policy: a.policy, target: "a" });

    const failing = commit(repo, { "policy/main.route": versionText("b", { testExpects: "c" }) }, "tests fail");
    const status = await eventually(async () => {
      const st = await policyStatus(s.base);
      return st.recentRejected.length === 2 ? st : undefined;
    });
    expect(await chat(s.base)).toMatchObject({ policy: a.policy, target: "a" });
    const [tests, syntax] = status.recentRejected;
    expect(tests!.source).toMatchObject({ kind: "git", commit: failing });
    expect(tests!.failedTests.map((t) => t.name)).toEqual(["chat goes to b"]);
    expect(syntax!.source).toMatchObject({ kind: "git", commit: broken });
    expect(syntax!.diagnostics.some((d) => d.code === "P002" && d.file === "policy/main.route" && d.line === 2)).toBe(true);
    expect(status.active.policy).toBe(a.policy);
    // Each refusal and each of its diagnostics is a log line.
    const logged = s.out().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { msg: string; code?: string });
    expect(logged.filter((l) => l.msg === "policy rejected")).toHaveLength(2);
    expect(logged.some((l) => l.msg === "policy diagnostic" && l.code === "P002")).toBe(true);
    expect(logged.some((l) => l.msg === "policy test failed")).toBe(true);

    const good = commit(repo, { "policy/main.route": versionText("c") }, "good");
    await eventually(async () => ((await chat(s.base)).target === "c" ? true : undefined));
    expect((await policyStatus(s.base)).active.source).toMatchObject({ kind: "git", ref: "main", commit: good });

    // A reset moves the ref back: the old policy is served again.
    git(repo, "reset", "-q", "--hard", first);
    await eventually(async () => ((await chat(s.base)).policy === a.policy ? true : undefined));
    expect(await s.stop()).toBe(0);
  });

  it("follows a bare repository that commits are pushed to", async () => {
    const work = gitRepo({ "main.route": versionText("a") });
    const bare = tempDir({});
    git(bare, "clone", "-q", "--bare", work, ".");
    const s = await serve([bare, "--git", "main"]);
    expect((await chat(s.base)).target).toBe("a");
    commit(work, { "main.route": versionText("b") }, "b");
    git(work, "push", "-q", bare, "main");
    await eventually(async () => ((await chat(s.base)).target === "b" ? true : undefined));
  });

  it("refuses to start on a commit whose tests fail", async () => {
    const repo = gitRepo({ "main.route": versionText("a", { testExpects: "b" }) });
    const r = await aigw(["serve", repo, "--git", "main", "--port", "0"], ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FAIL test "chat goes to a"');
    expect(r.stderr).toContain("refusing to start");
  });

  it("rejects an unknown ref, a path outside the repository, and --watch with --git as usage errors", async () => {
    const repo = gitRepo({ "main.route": versionText("a") });
    const unknown = await aigw(["serve", repo, "--git", "no-such-branch", "--port", "0"], ENV);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("`no-such-branch` does not name a commit");
    const outside = tempDir({ "main.route": versionText("a") });
    const notRepo = await aigw(["serve", outside, "--git", "main", "--port", "0"], ENV);
    expect(notRepo.code).toBe(2);
    const both = await aigw(["serve", repo, "--git", "main", "--watch", "--port", "0"], ENV);
    expect(both.code).toBe(2);
  });
});

describe("aigw serve PATHS", () => {
  it("reloads on SIGHUP", async () => {
    const dir = tempDir({ "main.route": versionText("a") });
    const s = await serve([dir]);
    expect(s.err()).toContain("reload: on SIGHUP and POST /admin/reload");
    expect((await chat(s.base)).target).toBe("a");
    writeFile(join(dir, "main.route"), versionText("b"));
    process.emit("SIGHUP");
    await eventually(async () => ((await chat(s.base)).target === "b" ? true : undefined));
    expect((await policyStatus(s.base)).active.trigger).toBe("signal");
  });
});
