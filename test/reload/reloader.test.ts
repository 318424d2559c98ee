/**
 * The swap: a verified policy goes live in one step, a policy that fails
 * anything (syntax, compile, tests) is refused while the last good one
 * keeps serving, and `/admin/reload` and `/admin/policy` report it.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Graph } from "../../compiler/graph.js";
import { fsSource, inlineVerifier, Reloader, reloadStats, type PolicyStatus, type ReloadOutcome } from "../../runtime/server/reload/index.js";
import { join } from "node:path";
import { admin, chat, ENV, startReloading, stopAll, SYNTAX_ERROR, tempDir, upstreamOf, versionText, writeFile } from "./helpers.js";

afterEach(stopAll);

describe("reloading a policy from the working tree", () => {
  it("swaps in a policy that passes and says so at /admin/policy", async () => {
    const dir = tempDir({ "main.route": versionText("a") });
    const { base, reloader, logs } = await startReloading(fsSource([dir]));
    const before = await chat(base);
    expect(before).toMatchObject({ status: 200, target: "a", model: upstreamOf("a") });

    writeFile(join(dir, "main.route"), versionText("b"));
    const res = await admin(base, "POST", "/admin/reload");
    expect(res.status).toBe(200);
    const outcome = (await res.json()) as ReloadOutcome;
    expect(outcome.status).toBe("applied");

    const after = await chat(base);
    expect(after).toMatchObject({ status: 200, target: "b", model: upstreamOf("b") });
    expect(after.policy).not.toBe(before.policy);

    const status = (await (await admin(base, "GET", "/admin/policy")).json()) as PolicyStatus;
    expect(status.active).toMatchObject({ policy: after.policy, trigger: "admin", source: { kind: "paths", paths: [dir] }, routes: 2 });
    expect(Date.parse(status.active.loadedAt)).not.toBeNaN();
    expect(status.lastRejected).toBeNull();
    expect(status.reloads).toMatchObject({ attempts: 1, applied: 1, rejected: 0 });
    expect(reloader.graph.policy).toBe(after.policy);
    expect(logs.find((l) => l.msg === "policy reloaded")?.fields).toMatchObject({ policy: after.policy, previous: before.policy, trigger: "admin" });
  });

  it("refuses a syntax error and a failing test, keeps serving, and reports both", async () => {
    const dir = tempDir({ "main.route": versionText("a") });
    const { base, logs } = await startReloading(fsSource([dir]));
    const good = await chat(base);
    const failuresBefore = reloadStats().rejected;

    writeFile(join(dir, "main.route"), SYNTAX_ERROR);
    const syntax = await admin(base, "POST", "/admin/reload");
    expect(syntax.status).toBe(422);
    const syntaxBody = (await syntax.json()) as ReloadOutcome;
    expect(syntaxBody.status).toBe("rejected");
    expect(await chat(base)).toMatchObject({ policy: good.policy, target: "a" });

    writeFile(join(dir, "main.route"), versionText("b", { testExpects: "a" }));
    const failing = await admin(base, "POST", "/admin/reload");
    expect(failing.status).toBe(422);
    expect(await chat(base)).toMatchObject({ policy: good.policy, target: "a" });

    const status = (await (await admin(base, "GET", "/admin/policy")).json()) as PolicyStatus;
    expect(status.active.policy).toBe(good.policy);
    expect(status.recentRejected).toHaveLength(2);
    const [tests, parse] = status.recentRejected;
    expect(status.lastRejected).toEqual(tests);
    expect(parse!.diagnostics.some((d) => d.severity === "error" && d.code.startsWith("P") && d.file.endsWith("main.route") && d.line === 2)).toBe(true);
    expect(parse!.policy).toBeUndefined();
    expect(tests!.failedTests).toEqual([expect.objectContaining({ name: "chat goes to b", line: expect.any(Number) })]);
    expect(tests!.policy).toMatch(/^p-[0-9a-f]{12}$/);
    expect(status.reloads).toMatchObject({ attempts: 2, applied: 0, rejected: 2 });
    expect(reloadStats().rejected - failuresBefore).toBe(2);

    // One log line per refusal, per diagnostic and per failed test.
    expect(logs.filter((l) => l.msg === "policy rejected")).toHaveLength(2);
    const diagLines = logs.filter((l) => l.msg === "policy diagnostic");
    expect(diagLines.length).toBe(parse!.diagnostics.length + tests!.diagnostics.length);
    expect(diagLines[0]!.fields).toMatchObject({ code: expect.any(String), file: expect.any(String), line: expect.any(Number), message: expect.any(String) });
    expect(logs.filter((l) => l.msg === "policy test failed")).toHaveLength(1);

    // A later good policy goes live normally.
    writeFile(join(dir, "main.route"), versionText("c"));
    expect((await admin(base, "POST", "/admin/reload")).status).toBe(200);
    expect(await chat(base)).toMatchObject({ target: "c", model: upstreamOf("c") });
  });

  it("a watcher reporting the same refused save twice refuses, logs and counts it once; an explicit reload reports it again", async () => {
    const dir = tempDir({ "main.route": versionText("a") });
    const { reloader, logs } = await startReloading(fsSource([dir]));
    writeFile(join(dir, "main.route"), SYNTAX_ERROR);
    const first = await reloader.reload("file");
    const again = await reloader.reload("file");
    expect(first.status).toBe("rejected");
    expect(again).toMatchObject({ status: "rejected", rejected: first.status === "rejected" ? first.rejected : undefined });
    expect(reloader.stats()).toMatchObject({ attempts: 1, rejected: 1 });
    expect(logs.filter((l) => l.msg === "policy rejected")).toHaveLength(1);

    expect((await reloader.reload("admin")).status).toBe("rejected");
    expect(reloader.stats()).toMatchObject({ attempts: 2, rejected: 2 });

    // A different broken save is a new refusal; after a good one, the first broken text is refused afresh.
    writeFile(join(dir, "main.route"), versionText("b", { testExpects: "a" }));
    expect((await reloader.reload("file")).status).toBe("rejected");
    writeFile(join(dir, "main.route"), versionText("c"));
    expect((await reloader.reload("file")).status).toBe("applied");
    writeFile(join(dir, "main.route"), SYNTAX_ERROR);
    expect((await reloader.reload("file")).status).toBe("rejected");
    expect(reloader.stats()).toMatchObject({ attempts: 5, applied: 1, rejected: 4 });
    expect(logs.filter((l) => l.msg === "policy rejected")).toHaveLength(4);
  });

  it("reports the same policy as unchanged without swapping", async () => {
    const dir = tempDir({ "main.route": versionText("a") });
    const { base, reloader } = await startReloading(fsSource([dir]));
    const loadedAt = reloader.status().active.loadedAt;
    const outcome = await reloader.reload("signal");
    expect(outcome.status).toBe("unchanged");
    expect(reloader.status().active.loadedAt).toBe(loadedAt);
    expect((await chat(base)).target).toBe("a");
  });

  it("coalesces triggers that arrive during a reload into one more run", async () => {
    const dir = tempDir({ "main.route": versionText("a") });
    const { reloader } = await startReloading(fsSource([dir]));
    writeFile(join(dir, "main.route"), versionText("b"));
    const first = reloader.reload("signal");
    writeFile(join(dir, "main.route"), versionText("c"));
    const queued = [reloader.reload("signal"), reloader.reload("admin"), reloader.reload("file")];
    expect(queued[0]).toBe(queued[1]);
    expect(queued[1]).toBe(queued[2]);
    await first;
    await queued[0];
    // Two runs for four triggers, and the last run compiled the last state of the file.
    expect(reloader.stats().attempts).toBe(2);
    expect(JSON.stringify(reloader.graph.routes[0]!.target)).toContain('"c"');
  });

  it("tells the gateway's metrics of every attempt, and refuses a graph the runtime refuses", async () => {
    const dir = tempDir({ "main.route": versionText("a") });
    const reloader = new Reloader({ source: fsSource([dir]), env: ENV, verifier: inlineVerifier() });
    const counted: boolean[] = [];
    let refuse = false;
    const installed: string[] = [];
    const target = {
      setGraph(graph: Graph) {
        if (refuse) throw new Error("the decision graph does not match its schema");
        installed.push(graph.policy);
      },
      metrics: { policyReloaded: (ok: boolean) => void counted.push(ok) },
    };
    try {
      await reloader.start(target, await reloader.check());
      writeFile(join(dir, "main.route"), versionText("b"));
      expect((await reloader.reload("signal")).status).toBe("applied");
      writeFile(join(dir, "main.route"), SYNTAX_ERROR);
      expect((await reloader.reload("signal")).status).toBe("rejected");
      writeFile(join(dir, "main.route"), versionText("c"));
      refuse = true;
      const refused = await reloader.reload("signal");
      expect(refused.status === "rejected" && refused.rejected.error).toMatch(/the runtime refused the graph/);
      expect(reloader.graph.policy).toBe(installed[0]);
      expect(counted).toEqual([true, false, false]);
    } finally {
      await reloader.close();
    }
  });

  it("guards the admin endpoints with the admin token", async () => {
    const dir = tempDir({ "main.route": versionText("a") });
    const { base } = await startReloading(fsSource([dir]));
    expect((await fetch(`${base}/admin/policy`)).status).toBe(401);
    expect((await fetch(`${base}/admin/reload`, { method: "POST", headers: { authorization: "Bearer nope" } })).status).toBe(401);
    expect((await admin(base, "GET", "/admin/reload")).status).toBe(405);
  });
});
