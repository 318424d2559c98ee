/**
 * Where reload compiles run: the worker protocol (driven over a real
 * `MessageChannel`, so messages are structured-cloned as between threads),
 * a worker that dies mid-job, and the git tree snapshot the worker reads
 * instead of the working tree.
 */
import { EventEmitter } from "node:events";
import { join } from "node:path";
import { MessageChannel, Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import { inlineVerifier, workerVerifier, type Verifier } from "../../runtime/server/reload/index.js";
import { listTree, openRepo, readBlobs, resolveCommit } from "../../runtime/server/reload/git.js";
import { snapshotTree, treeHost } from "../../runtime/server/reload/tree-host.js";
import type { VerifyRequest, VerifyResponse, WorkerLike } from "../../runtime/server/reload/verifier.js";
import { serveVerifier, WORKER_MARK } from "../../runtime/server/reload/verify-worker.js";
import { commit, gitRepo, stopAll, SYNTAX_ERROR, tempDir, versionText, writeFile } from "./helpers.js";

const verifiers: Verifier[] = [];
afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((v) => v.close()));
  await stopAll();
});

/** A "worker" whose other end is `serveVerifier` on a MessageChannel in this thread. */
function channelWorker(): WorkerLike {
  const { port1, port2 } = new MessageChannel();
  serveVerifier(port2);
  const events = new EventEmitter();
  port1.on("message", (m: VerifyResponse) => events.emit("message", m));
  return {
    postMessage: (m: VerifyRequest) => port1.postMessage(m),
    on: (event: string, listener: (...args: unknown[]) => void) => events.on(event, listener),
    terminate: async () => {
      port1.close();
      port2.close();
      return 0;
    },
    ref: () => port1.ref(),
    unref: () => port1.unref(),
  } as WorkerLike;
}

/**
 * The real compile worker on a thread, running the TypeScript sources
 * through ts-hooks.mjs (from dist/, `defaultVerifier` starts the compiled
 * verify-worker.js the same way, without the hooks).
 */
function tsWorker(): WorkerLike {
  const hooks = new URL("../support/ts-hooks.mjs", import.meta.url).href;
  const entry = new URL("../../runtime/server/reload/verify-worker.ts", import.meta.url).href;
  const code = `require("node:module").register(${JSON.stringify(hooks)}); import(${JSON.stringify(entry)}).catch((e) => { console.error(e); process.exit(1); });`;
  return new Worker(code, { eval: true, workerData: WORKER_MARK });
}

describe("workerVerifier", () => {
  it("compiles on a real worker thread exactly as in-process", { timeout: 60_000 }, async () => {
    const dir = tempDir({ "main.route": versionText("a"), "bad/main.route": SYNTAX_ERROR });
    const repo = gitRepo({ "main.route": versionText("b") });
    const r = await openRepo(repo);
    const head = (await resolveCommit(r, "main"))!;
    const tree = await snapshotTree(r, head, await listTree(r, head), new Map());
    const worker = workerVerifier(tsWorker);
    const inline = inlineVerifier();
    verifiers.push(worker, inline);
    for (const input of [{ kind: "fs", paths: [dir] }, { kind: "fs", paths: [join(dir, "bad")] }, { kind: "tree", paths: ["."], tree }] as const) {
      const viaWorker = await worker.verify(input, {});
      const viaInline = await inline.verify(input, {});
      expect({ ...viaWorker, ms: 0 }).toEqual({ ...viaInline, ms: 0 });
    }
  });

  it("verifies over a message channel exactly as in-process", async () => {
    const dir = tempDir({ "main.route": versionText("a"), "bad/main.route": SYNTAX_ERROR });
    const worker = workerVerifier(channelWorker);
    const inline = inlineVerifier();
    verifiers.push(worker, inline);
    for (const paths of [[dir], [join(dir, "bad")]]) {
      const [viaWorker, viaInline] = await Promise.all([worker.verify({ kind: "fs", paths }, {}), inline.verify({ kind: "fs", paths }, {})]);
      expect({ ...viaWorker, ms: 0 }).toEqual({ ...viaInline, ms: 0 });
    }
    const good = await worker.verify({ kind: "fs", paths: [dir] }, {});
    expect(good.ok).toBe(true);
    expect(good.graph?.policy).toMatch(/^p-/);
    expect(good.tried).toEqual([join(dir, "main.route")]);
  });

  it("answers concurrent jobs by id", async () => {
    const a = tempDir({ "main.route": versionText("a") });
    const b = tempDir({ "main.route": versionText("b") });
    const worker = workerVerifier(channelWorker);
    verifiers.push(worker);
    const [ra, rb] = await Promise.all([worker.verify({ kind: "fs", paths: [a] }, {}), worker.verify({ kind: "fs", paths: [b] }, {})]);
    expect(ra.sources[0]!.path).toBe(join(a, "main.route"));
    expect(rb.sources[0]!.path).toBe(join(b, "main.route"));
  });

  it("rejects the job in flight when the worker dies, and starts a new one for the next", async () => {
    let spawned = 0;
    let dying: EventEmitter | undefined;
    const worker = workerVerifier(() => {
      spawned++;
      if (spawned === 1) {
        // A worker that never answers and then exits.
        const events = new EventEmitter();
        dying = events;
        return { postMessage: () => setTimeout(() => events.emit("exit", 1), 5), on: (e: string, l: (...args: unknown[]) => void) => events.on(e, l), terminate: async () => 1, ref() {}, unref() {} } as WorkerLike;
      }
      return channelWorker();
    });
    verifiers.push(worker);
    const dir = tempDir({ "main.route": versionText("a") });
    await expect(worker.verify({ kind: "fs", paths: [dir] }, {})).rejects.toThrow(/exited/);
    expect(dying).toBeDefined();
    const next = await worker.verify({ kind: "fs", paths: [dir] }, {});
    expect(next.ok).toBe(true);
    expect(spawned).toBe(2);
  });

  it("stops a worker whose compile does not answer in time, and starts a new one for the next", async () => {
    let spawned = 0;
    let terminated = 0;
    const worker = workerVerifier(
      () => {
        spawned++;
        if (spawned === 1) {
          // A worker stuck in a compile: it never answers.
          const events = new EventEmitter();
          return { postMessage: () => {}, on: (e: string, l: (...args: unknown[]) => void) => events.on(e, l), terminate: async () => ++terminated, ref() {}, unref() {} } as WorkerLike;
        }
        return channelWorker();
      },
      { timeoutMs: 50 },
    );
    verifiers.push(worker);
    const dir = tempDir({ "main.route": versionText("a") });
    await expect(worker.verify({ kind: "fs", paths: [dir] }, {})).rejects.toThrow(/took longer than 50 ms/);
    expect(terminated).toBe(1);
    const next = await worker.verify({ kind: "fs", paths: [dir] }, {});
    expect(next.ok).toBe(true);
    expect(spawned).toBe(2);
  });
});

describe("the idle worker", () => {
  it("is stopped once idle for idleMs and started again for the next job", async () => {
    let spawned = 0;
    let terminated = 0;
    const worker = workerVerifier(
      () => {
        spawned++;
        const w = channelWorker();
        const terminate = w.terminate.bind(w);
        w.terminate = async () => {
          terminated++;
          return terminate();
        };
        return w;
      },
      { idleMs: 30 },
    );
    verifiers.push(worker);
    const dir = tempDir({ "main.route": versionText("a") });
    // A burst: the same worker answers each job.
    expect((await worker.verify({ kind: "fs", paths: [dir] }, {})).ok).toBe(true);
    expect((await worker.verify({ kind: "fs", paths: [dir] }, {})).ok).toBe(true);
    expect(spawned).toBe(1);
    await new Promise((r) => setTimeout(r, 150));
    expect(terminated).toBe(1);
    expect((await worker.verify({ kind: "fs", paths: [dir] }, {})).ok).toBe(true);
    expect(spawned).toBe(2);
  });
});

describe("the git tree snapshot", () => {
  it("reads the committed tree, not the working tree, and re-reads only changed blobs", async () => {
    const repo = gitRepo({ "policy/main.route": versionText("a"), "policy/notes.txt": "hello\n", "other.route": versionText("b") });
    writeFile(join(repo, "policy/main.route"), SYNTAX_ERROR); // uncommitted
    const r = await openRepo(join(repo, "policy"));
    expect(r.root).toBe(repo);
    const head = (await resolveCommit(r, "main"))!;
    const cache = new Map<string, string>();
    const snap = await snapshotTree(r, head, await listTree(r, head), cache);
    const host = treeHost(snap);
    expect(host.isDir(".")).toBe(true);
    expect(host.isDir("policy")).toBe(true);
    expect(host.list("policy")).toEqual(["main.route", "notes.txt"]);
    expect(host.list(".")).toEqual(["other.route", "policy"]);
    expect(host.read("policy/main.route")).toBe(versionText("a"));
    expect(host.read("policy/notes.txt")).toBe("hello\n"); // not a .route file: fetched on demand
    expect(host.read("policy/missing.route")).toBeUndefined();
    expect(Object.keys(snap.texts)).toHaveLength(2);

    const next = commit(repo, { "policy/main.route": versionText("c") }, "c");
    const snap2 = await snapshotTree(r, next, await listTree(r, next), cache);
    expect(treeHost(snap2).read("policy/main.route")).toBe(versionText("c"));
    expect(cache.size).toBe(2); // the old main.route blob was pruned

    const report = await inlineVerifier().verify({ kind: "tree", paths: ["policy"], tree: snap2 }, {});
    expect(report.ok).toBe(true);
    expect(report.sources.map((s) => s.path)).toEqual(["policy/main.route"]);
  });

  it("reads many blobs in one batch and knows a ref that names nothing", async () => {
    const files = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.route`, `// file ${i}\n${"x".repeat(i * 100)}`]));
    const repo = gitRepo(files);
    const r = await openRepo(repo);
    const head = (await resolveCommit(r, "HEAD"))!;
    const entries = await listTree(r, head);
    const texts = await readBlobs(r, entries.map((e) => e.oid));
    expect(texts.size).toBe(30);
    for (const e of entries) expect(texts.get(e.oid)).toBe(files[e.path]);
    expect(await resolveCommit(r, "no-such-ref")).toBeUndefined();
  });
});
