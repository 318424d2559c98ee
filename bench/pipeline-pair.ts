/**
 * bench/pipeline-pair: two builds of aigw's pipeline in ONE process,
 * `bench:ab REF --in-process`'s measuring child:
 * `node dist/bench/pipeline-pair.js FIRST SECOND POLICY_DIR [BATCHES] [BATCH] [WARMUP]`.
 *
 * Each build's own `createRuntime` runs the bench policy (compiled by that
 * build) with its own undici pool to the same mock upstream; the chain and
 * the observer (metrics on, access log off, as `aigw serve --no-access-log`)
 * run for every request, the reply is written to a sink that drops it. The
 * two alternate in small batches (16 requests in flight), so a change of
 * machine load falls on both alike; CPU per request is the process's own
 * `cpuUsage` over each batch. What this leaves out is the HTTP edge
 * (uWebSockets.js), the same in both builds. Prints one JSON line:
 * `{ first, second }`, each the mean CPU µs per request.
 *
 * Both builds must have the composed pipeline (`createRuntime`, commit
 * 9cf39ca and later); the wrk mode of bench:ab measures any commit.
 *
 * `AIGW_PAIR_USAGE=first|second` gives that side's observer the usage
 * ledger (a memory store, flushed every 5 s) and the recent-requests ring,
 * as `aigw serve` does: run with the same build twice, it measures what
 * the ledger costs a request (issue 22).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

interface Build {
  run(n: number): Promise<void>;
  failed(): number;
}

const IN_FLIGHT = 16;

/** Loads the build at `root` (its dist/) and prepares its runtime over the policy in `dir`. */
async function load(root: string, dir: string, usage = false): Promise<Build> {
  // The other build is read through this tree's types: both must have the same pipeline API (checked below).
  const at = (path: string): string => pathToFileURL(join(root, "dist", path)).href;
  const [{ loadAndCompile }, P, { Pools }, { Budgets }, { memoryStore }, { realWorld }, O, { silentLogger }] = await Promise.all([
    import(at("cli/policy.js")) as Promise<typeof import("../cli/policy.js")>,
    import(at("runtime/pipeline/index.js")) as Promise<typeof import("../runtime/pipeline/index.js")>,
    import(at("runtime/providers/index.js")) as Promise<typeof import("../runtime/providers/index.js")>,
    import(at("runtime/budget/admission.js")) as Promise<typeof import("../runtime/budget/admission.js")>,
    import(at("runtime/state/index.js")) as Promise<typeof import("../runtime/state/index.js")>,
    import(at("runtime/world.js")) as Promise<typeof import("../runtime/world.js")>,
    import(at("runtime/observe/index.js")) as Promise<typeof import("../runtime/observe/index.js")>,
    import(at("runtime/observe/log.js")) as Promise<typeof import("../runtime/observe/log.js")>,
  ]);
  if (typeof (P as Partial<typeof P>).createRuntime !== "function") throw new Error(`${root}: this build has no composed pipeline (createRuntime); use bench:ab without --in-process`);
  const loaded = loadAndCompile([dir], process.env);
  if (loaded.graph === undefined) throw new Error(`${root}: the bench policy does not compile: ${JSON.stringify(loaded.diagnostics)}`);
  const world = realWorld();
  const budgets = new Budgets(memoryStore({ clock: world.now }));
  const rt = P.createRuntime(loaded.graph, { world, pools: new Pools(), budgets, requestId: P.requestIds(world.random) });
  const sinks: import("../runtime/observe/index.js").RequestSink[] = [];
  if (usage) {
    const U = (await import(at("runtime/usage/index.js"))) as typeof import("../runtime/usage/index.js");
    sinks.push(new U.UsageLedger({ store: U.memoryUsageStore(), clock: world.now, retentionMs: () => 86_400_000 }));
    // `AIGW_PAIR_RING=0`: the ledger alone, without the ring.
    if (process.env["AIGW_PAIR_RING"] !== "0") sinks.push(new O.RecentRequests());
  }
  const observer = new O.Observer({ log: silentLogger, metrics: new O.GatewayMetrics(world.now), sinks });
  const body = new Uint8Array(readFileSync(join(dir, "body.json")));
  const headers = { "content-type": "application/json", authorization: readFileSync(join(dir, "authorization"), "utf8") };
  const req = { method: "POST", path: "/v1/chat/completions", headers };
  const signal = new AbortController().signal;
  const sink = { aborted: false, send() {}, start() {}, write: () => true, writable: async () => {}, end() {} };
  let failed = 0;
  const one = async (): Promise<void> => {
    const startMs = world.monotonic();
    const { reply, record } = await rt.chat({ headers, path: req.path, signal, body: async () => body });
    const replyMs = world.monotonic();
    const view = observer.view(record);
    const bodyText = observer.beforeWrite(rt.prepared, reply);
    if (reply === null) throw new Error("the pipeline answered nothing (no client went away here)");
    const written = await P.writeReply(sink, reply);
    if (written.status !== 200) failed++;
    observer.chat(rt.prepared, req, view, written, { startMs, replyMs, endMs: world.monotonic() }, bodyText);
  };
  return {
    run: async (n) => {
      let left = n;
      await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
        while (left-- > 0) await one();
      }));
    },
    failed: () => failed,
  };
}

async function main(): Promise<void> {
  const [firstRoot, secondRoot, dir, batchesArg, batchArg, warmupArg] = process.argv.slice(2);
  if (firstRoot === undefined || secondRoot === undefined || dir === undefined) throw new Error("usage: pipeline-pair FIRST SECOND POLICY_DIR [BATCHES] [BATCH] [WARMUP]");
  const batches = Number(batchesArg ?? 200);
  const batch = Number(batchArg ?? 100);
  const warmup = Number(warmupArg ?? 1_500);
  // Set up in the order given: the orchestrator runs both orders and cancels what the order itself costs.
  const usage = process.env["AIGW_PAIR_USAGE"];
  const first = await load(firstRoot, dir, usage === "first");
  const second = await load(secondRoot, dir, usage === "second");
  for (const b of [first, second, first, second]) await b.run(warmup);
  const cpu = [0, 0];
  for (let i = 0; i < batches; i++) {
    for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
      const c0 = process.cpuUsage();
      await (k === 0 ? first : second).run(batch);
      const c = process.cpuUsage(c0);
      cpu[k]! += c.user + c.system;
    }
  }
  if (first.failed() + second.failed() > 0) throw new Error(`requests failed: ${first.failed()} (first) and ${second.failed()} (second)`);
  const n = batches * batch;
  console.log(JSON.stringify({ first: cpu[0]! / n, second: cpu[1]! / n }));
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
