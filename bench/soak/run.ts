/**
 * bench/soak/run: one soak run, start to verdict. `runSoak` starts the
 * fault upstream (upstream.ts) and a real `aigw serve --watch` process
 * (gateway.ts) on a policy in a temporary directory with SQLite state, then
 * for `seconds` runs three loops side by side:
 *
 *   traffic   the mix of traffic.ts at a fixed rate (open loop, at most
 *             `concurrency` in flight), each outcome classified and checked
 *             against its kind and the reload history
 *   reloads   a reload step every `reloadSeconds` (reloads.ts)
 *   samples   the gateway's RSS, live heap and descriptors every
 *             `sampleSeconds`; a report row every `reportSeconds`
 *
 * then lets the last requests finish and checks what a long run would
 * accumulate: reservations left (holds.ts), memory (memory.ts), reload
 * counters, errors in the gateway's log, and that SIGTERM ends the gateway
 * with exit code 0 within its grace period. Everything started is stopped
 * and the directory removed on every path, an abort (`signal`) included.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Pool } from "undici";
import { seededRandom } from "../../runtime/engine/random.js";
import { send, type Outcome } from "./client.js";
import { builtLaunch, startGateway, type GatewayLogStats, type GatewayProcess, type Launch } from "./gateway.js";
import { liveHolds, restingHolds, type HoldCount } from "./holds.js";
import { judgeMemory, type MemoryPoint, type MemoryVerdict } from "./memory.js";
import { ADMIN_ENV, soakPolicy, type PolicyVariant } from "./policy.js";
import { ReloadDriver, type ReloadReport } from "./reloads.js";
import { Stats, type Totals, type WindowRow } from "./stats.js";
import { drawKind, MIX } from "./traffic.js";
import { startUpstream, type MockUpstream, type UpstreamCounts } from "./upstream.js";

/** What to run. */
export interface SoakOptions {
  seconds: number;
  /** Requests per second, sent at a fixed rate. */
  rate: number;
  /** Most requests in flight; beyond it a due request is skipped and counted as shed. */
  concurrency: number;
  sampleSeconds: number;
  reportSeconds: number;
  reloadSeconds: number;
  /** Seeds the mix and the upstream's faults. */
  seed: number;
  /** A request still unfinished after this long is a hang (the policy's deadline is 4 s). */
  hangMs: number;
  /** The gateway's `--workers` (default 1). */
  workers?: number;
  /** How the gateway is started; default the built layout (dist/). */
  launch?: Launch;
  /** Ends the run early (SIGINT); the result then says `interrupted`. */
  signal?: AbortSignal;
  /** Each report row as it closes. */
  onRow?: (row: WindowRow) => void;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** The defaults of `npm run soak` (10 minutes). */
export const FULL: SoakOptions = { seconds: 600, rate: 250, concurrency: 256, sampleSeconds: 10, reportSeconds: 60, reloadSeconds: 3, seed: 1, hangMs: 10_000 };
/** `--quick`: 60 s, sampled every 5 s, reported every 10 s. */
export const QUICK: SoakOptions = { ...FULL, seconds: 60, sampleSeconds: 5, reportSeconds: 10 };

/** The outcome of a run. */
export interface SoakResult {
  options: Omit<SoakOptions, "launch" | "signal" | "onRow" | "log">;
  interrupted: boolean;
  /** Seconds the traffic actually ran. */
  elapsed: number;
  engine: string;
  rows: WindowRow[];
  totals: Totals;
  memory: MemoryVerdict;
  memoryPoints: MemoryPoint[];
  reloads: ReloadReport;
  holds: { live?: HoldCount; resting?: HoldCount };
  shutdown?: { code: number | null; signal: string | null; ms: number; killed: boolean };
  upstream: UpstreamCounts;
  gatewayLog: GatewayLogStats;
  /** Why the run failed; empty when it passed. */
  failures: string[];
  ok: boolean;
}

/** SIGTERM to exit: the gateway's grace for requests in flight is 10 s. */
const STOP_TIMEOUT_MS = 20_000;

/** Runs one soak; never leaves a process or directory behind. */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => undefined);
  const root = mkdtempSync(join(tmpdir(), "aigw-soak-"));
  const policyDir = join(root, "policy");
  const stateFile = join(root, "state", "state.db");
  mkdirSync(policyDir);
  mkdirSync(join(root, "state"));
  const token = randomBytes(16).toString("hex");
  let upstream: MockUpstream | undefined;
  let gateway: GatewayProcess | undefined;
  let pool: Pool | undefined;
  let admin: Pool | undefined;
  try {
    upstream = await startUpstream(seededRandom(options.seed * 7919 + 1));
    const text = (v: PolicyVariant): string => soakPolicy(upstream!.origin, stateFile, v);
    writeFileSync(join(policyDir, "main.route"), text({ kind: "valid", variant: 0 }));
    gateway = await startGateway(options.launch ?? builtLaunch(), policyDir, { [ADMIN_ENV]: token }, options.workers ?? 1);
    const engine = /http engine: (.*)/.exec(gateway.stderr())?.[1] ?? "unknown";
    log(`gateway pid ${gateway.pid} on ${gateway.origin} (${engine}); upstream ${upstream.origin}; state ${stateFile}`);
    pool = new Pool(gateway.origin, { connections: 64, pipelining: 1 });
    admin = new Pool(gateway.origin, { connections: 2 });
    const reloads = new ReloadDriver(admin, token, join(policyDir, "main.route"), root, text);
    await reloads.start();

    const stats = new Stats();
    const points: MemoryPoint[] = [];
    const started = performance.now();
    const end = started + options.seconds * 1000;
    const running = (): boolean => performance.now() < end && !options.signal?.aborted;
    const elapsed = (): number => (performance.now() - started) / 1000;
    const allowed = new Map(MIX.map((k) => [k.name, new Set<string>(k.allowed)]));

    const count = (o: Outcome): void => stats.add(o, !allowed.get(o.kind)!.has(o.cls));
    const versionChecked = (o: Outcome): Outcome =>
      o.policy === undefined || o.headersAt === undefined || reloads.served(o.policy, o.startedAt, o.headersAt)
        ? o
        : { ...o, cls: "policy_mismatch", detail: `\`${o.policy}\` was not serving between the request and its headers (was ${o.cls})` };
    // Responses that arrive while a reload step is still confirming its effect are checked once it has.
    let deferred: Outcome[] = [];
    const flush = (): void => {
      for (const o of deferred) count(versionChecked(o));
      deferred = [];
    };
    const record = (o: Outcome): void => {
      if (o.status === 200 && o.policy === undefined) return count({ ...o, cls: "no_policy_header" });
      if (o.policy !== undefined && reloads.busy && !reloads.served(o.policy, o.startedAt, o.headersAt ?? o.startedAt)) deferred.push(o);
      else count(versionChecked(o));
    };

    // Traffic: open loop at a fixed rate, bounded in flight.
    const traffic = async (): Promise<void> => {
      const pick = seededRandom(options.seed);
      const inflight = new Set<Promise<void>>();
      let sent = 0;
      while (running()) {
        const due = Math.floor(((performance.now() - started) / 1000) * options.rate);
        for (; sent < due; sent++) {
          if (inflight.size >= options.concurrency) {
            stats.shed();
            continue;
          }
          const req = drawKind(pick()).build(sent, pick);
          const p: Promise<void> = send(pool!, req, options.hangMs).then(record);
          inflight.add(p);
          void p.finally(() => inflight.delete(p));
        }
        await sleep(2);
      }
      await Promise.all(inflight);
    };

    // Reloads: one step every reloadSeconds, each waiting for its effect.
    const reloading = async (): Promise<void> => {
      let next = options.reloadSeconds;
      while (running()) {
        await sleepUntil(started + next * 1000, running);
        if (!running()) break;
        await reloads.next();
        flush();
        next = Math.max(next + options.reloadSeconds, Math.ceil(elapsed() / options.reloadSeconds) * options.reloadSeconds);
      }
    };

    // Samples and report rows.
    const sampling = async (): Promise<void> => {
      let next = options.sampleSeconds;
      let report = options.reportSeconds;
      while (running()) {
        await sleepUntil(started + next * 1000, running);
        if (!running()) break;
        const t = elapsed();
        const s = await gateway!.sample();
        stats.sample(s);
        points.push({ t, ...(s.rss !== undefined ? { rss: s.rss } : {}), ...(s.heapUsed !== undefined ? { heap: s.heapUsed } : {}) });
        if (t + 1e-3 >= report) {
          options.onRow?.(stats.close(report));
          report += options.reportSeconds;
        }
        next += options.sampleSeconds;
      }
    };

    await Promise.all([traffic(), reloading(), sampling()]);
    flush();
    const ran = Math.min(elapsed(), options.seconds);
    // The last (possibly partial) window, with a last reading.
    const last = await gateway.sample();
    stats.sample(last);
    points.push({ t: ran, ...(last.rss !== undefined ? { rss: last.rss } : {}), ...(last.heapUsed !== undefined ? { heap: last.heapUsed } : {}) });
    const tail = stats.rows().at(-1)?.to ?? 0;
    if (ran - tail > 0.5) options.onRow?.(stats.close(ran));

    log("traffic stopped; checking reservations, reload counters and shutdown");
    const live = await liveHolds(admin, token, 5000);
    const reloadReport = await reloads.finish();
    await pool.close();
    await admin.close();
    pool = admin = undefined;
    const shutdown = await gateway.stop(STOP_TIMEOUT_MS);
    const resting = restingHolds(stateFile);
    const gatewayLog = gateway.logStats();
    const up = upstream.counts();
    const interrupted = options.signal?.aborted === true;
    const memory = judgeMemory(points, interrupted ? ran : options.seconds, stats.totals.requests / Math.max(ran, 1e-3));

    const failures: string[] = [];
    const t = stats.totals;
    if (t.unexpected > 0) failures.push(`${t.unexpected} unexpected outcome(s): ${Object.keys(t.examples).join(", ")}`);
    for (const p of reloadReport.problems) failures.push(`reload: ${p}`);
    if (memory.verdict === "fail") failures.push(`memory grows: ${memory.reasons.join("; ")}`);
    if (live.count > 0) failures.push(`${live.count} budget counter(s) still hold $${live.reserved} after the traffic stopped`);
    if (resting.count > 0 || resting.reserved !== 0) failures.push(`${resting.count} reservation row(s) (${resting.reserved} µ$ reserved) left in the SQLite state after shutdown`);
    if (shutdown.killed || shutdown.code !== 0) {
      failures.push(`SIGTERM: ${shutdown.killed ? `no exit within ${STOP_TIMEOUT_MS / 1000} s (killed)` : `exit code ${shutdown.code} signal ${shutdown.signal}`}`);
    }
    if (up.leaks > 0) failures.push(`the upstream received the unredacted email ${up.leaks} time(s)`);
    if (gatewayLog.errors > 0 || gatewayLog.malformed > 0) failures.push(`the gateway logged ${gatewayLog.errors} error line(s) and ${gatewayLog.malformed} non-JSON line(s)`);

    const { launch: _l, signal: _s, onRow: _r, log: _g, ...plain } = options;
    return {
      options: plain,
      interrupted,
      elapsed: ran,
      engine,
      rows: stats.rows(),
      totals: t,
      memory,
      memoryPoints: points,
      reloads: reloadReport,
      holds: { live, resting },
      shutdown: { ...shutdown, signal: shutdown.signal },
      upstream: up,
      gatewayLog,
      failures,
      ok: failures.length === 0 && !interrupted,
    };
  } finally {
    await pool?.destroy().catch(() => undefined);
    await admin?.destroy().catch(() => undefined);
    await gateway?.kill();
    await upstream?.close();
    rmSync(root, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Sleeps until `at` (performance.now() time) in short steps, returning early once `running()` is false. */
async function sleepUntil(at: number, running: () => boolean): Promise<void> {
  while (running() && performance.now() < at) await sleep(Math.min(100, Math.max(1, at - performance.now())));
}
