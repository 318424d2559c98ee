/**
 * bench/scenarios/cache: scenario 9, the response cache (issue 23). The
 * same closed-loop load through aigw without a cache and with one, the two
 * runs interleaved (off, on, off, on) so machine noise hits both alike. The
 * load is a 50% repeated mix: each request is, with even odds, one of
 * {@link HOT} popular prompts or a prompt never sent before. Reported: req/s
 * of each, the share of requests the upstream was spared (from the mock
 * upstream's own count), and, within the cached runs, the latency of hits
 * and of misses (classified by each reply's `x-aigw-cache` header) — the
 * gateway's own cost of each, since the mock upstream answers at once.
 * Then the memory one entry costs: the memory store's accounting per entry
 * and the heap growth per entry, for the mock's ~1 KB completion.
 */
import { Pool } from "undici";
import { ask } from "../children.js";
import { COMPLETION } from "../mock-upstream.js";
import type { ChildMsg } from "../roles/protocol.js";
import type { UpstreamStats } from "../mock-upstream.js";
import { featurePrompt } from "../proxy-features.js";
import { num, table } from "../table.js";
import { encodeEntry, memoryCacheStore } from "../../runtime/cache/index.js";
import { CHAT_PATH, CONNECTIONS, type Bench } from "./context.js";
import { startAigw, stop } from "./gateways.js";
import { printSemanticCost, semanticCost, type SemanticCost } from "./cache-semantic.js";

/** Popular prompts: half the requests are one of these. */
export const HOT = 64;
/** Entries filled to measure memory per entry. */
const ENTRIES = 10_000;

export interface CacheRun {
  name: string;
  requests: number;
  errors: number;
  rps: number;
  /** Share of requests that reached the upstream. */
  upstreamShare: number;
  hits: number;
  misses: number;
  hitMs?: { p50: number; p99: number };
  missMs?: { p50: number; p99: number };
}

export interface CacheResult {
  off: CacheRun[];
  on: CacheRun[];
  /** Median-of-rounds req/s with the cache over without. */
  throughputRatio: number;
  /** Bytes the memory store accounts per entry (value, key, bookkeeping) and the heap growth per entry. */
  storeBytesPerEntry: number;
  heapBytesPerEntry: number | undefined;
  entryJsonBytes: number;
  /** The semantic cache's lookup and embedding call, per request. */
  semantic: SemanticCost;
}

const upstreamStats = async (bench: Bench): Promise<UpstreamStats> => (await ask<ChildMsg, "stats">(bench.upstream.spawned, { type: "stats" }, "stats")).stats;

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The mixed closed loop: `CONNECTIONS` requests in flight for `seconds`. */
async function mixedLoop(url: string, headers: Record<string, string>, seconds: number, run: number): Promise<Omit<CacheRun, "name" | "upstreamShare">> {
  const base = JSON.parse(featurePrompt()) as { messages: { role: string; content: string }[] };
  const prompt = (i: number): string => JSON.stringify({ ...base, messages: [{ role: "user", content: `${i}: ${base.messages[0]!.content}` }] });
  const hot = Array.from({ length: HOT }, (_, i) => prompt(i));
  let fresh = 0;
  const pool = new Pool(url, { connections: CONNECTIONS, pipelining: 1 });
  const hitMs: number[] = [];
  const missMs: number[] = [];
  let requests = 0;
  let errors = 0;
  // A fixed sequence of coin flips (xorshift), the same for every run.
  let seed = 0x9e3779b9;
  const coin = (): boolean => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed & 1) === 1;
  };
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const body = coin() ? hot[Math.abs(seed) % HOT]! : prompt(1_000_000 * (run + 1) + fresh++);
        const t0 = performance.now();
        try {
          const r = await pool.request({ method: "POST", path: CHAT_PATH, headers, body });
          await r.body.dump();
          const ms = performance.now() - t0;
          if (r.statusCode !== 200) errors++;
          else {
            requests++;
            const c = r.headers["x-aigw-cache"];
            if (c === "hit") hitMs.push(ms);
            else if (c === "miss") missMs.push(ms);
          }
        } catch {
          errors++;
        }
      }
    }),
  );
  const secondsTaken = (performance.now() - start) / 1000;
  await pool.close();
  hitMs.sort((a, b) => a - b);
  missMs.sort((a, b) => a - b);
  return {
    requests,
    errors,
    rps: requests / secondsTaken,
    hits: hitMs.length,
    misses: missMs.length,
    ...(hitMs.length > 0 ? { hitMs: { p50: quantile(hitMs, 0.5), p99: quantile(hitMs, 0.99) } } : {}),
    ...(missMs.length > 0 ? { missMs: { p50: quantile(missMs, 0.5), p99: quantile(missMs, 0.99) } } : {}),
  };
}

/** Memory per entry: the store's own accounting, and the heap it grows by (with `--expose-gc`). */
async function memoryPerEntry(): Promise<{ store: number; heap: number | undefined; json: number }> {
  const completion = JSON.parse(COMPLETION) as never;
  const { bytes, jsonBytes } = await encodeEntry({ kind: "completion", target: "mini", storedAt: 0, usage: { promptTokens: 240, completionTokens: 64 }, completion });
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const store = memoryCacheStore({ maxBytes: 1 << 30, clock: () => 0 });
  for (let i = 0; i < ENTRIES; i++) await store.set(i.toString(16).padStart(64, "0"), bytes.slice(), 600_000);
  gc?.();
  const after = process.memoryUsage();
  const heap = gc === undefined ? undefined : (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / ENTRIES;
  const perEntry = store.bytes()! / ENTRIES;
  await store.close();
  return { store: perEntry, heap, json: jsonBytes };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Interleaved rounds without and with the cache. */
export async function cache(bench: Bench): Promise<CacheResult> {
  const d = bench.durations;
  const rounds = bench.quick ? 1 : 2;
  const headers = { ...bench.commonHeaders };
  const one = async (name: string, args: string[], round: number): Promise<CacheRun> => {
    const gw = await startAigw(bench, name, bench.upstream.base, args);
    try {
      await mixedLoop(gw.contender.url, headers, d.warmMax, 100 + round * 2 + (args.length > 0 ? 1 : 0));
      const s0 = await upstreamStats(bench);
      const r = await mixedLoop(gw.contender.url, headers, d.max, round * 2 + (args.length > 0 ? 1 : 0));
      const s1 = await upstreamStats(bench);
      return { name, ...r, upstreamShare: (s1.requests - s0.requests) / Math.max(1, r.requests) };
    } finally {
      await stop(bench, gw);
    }
  };
  const off: CacheRun[] = [];
  const on: CacheRun[] = [];
  for (let i = 0; i < rounds; i++) {
    off.push(await one("no cache", [], i));
    on.push(await one("cache (memory)", ["--cache"], i));
  }
  const mem = await memoryPerEntry();
  const semantic = await semanticCost(bench.quick);
  return {
    off,
    on,
    throughputRatio: median(on.map((r) => r.rps)) / median(off.map((r) => r.rps)),
    storeBytesPerEntry: mem.store,
    heapBytesPerEntry: mem.heap,
    entryJsonBytes: mem.json,
    semantic,
  };
}

const ms = (x: { p50: number; p99: number } | undefined): string => (x === undefined ? "-" : `${x.p50.toFixed(2)} / ${x.p99.toFixed(2)}`);

/** The scenario's table. */
export function printCache(r: CacheResult): void {
  console.log(`\n9. response cache: ${CONNECTIONS} connections, closed loop, 50% of requests one of ${HOT} repeated prompts, the rest new; rounds interleaved`);
  console.log(
    table(
      ["", "req/s", "errors", "reached upstream", "hits", "misses", "hit ms p50 / p99", "miss ms p50 / p99"],
      [...r.off, ...r.on].map((x) => [x.name, num(x.rps), String(x.errors), `${(x.upstreamShare * 100).toFixed(1)}%`, String(x.hits), String(x.misses), ms(x.hitMs), ms(x.missMs)]),
    ),
  );
  console.log(`  with the cache: ${(r.throughputRatio * 100).toFixed(1)}% of the uncached throughput (median of rounds)`);
  console.log(
    `  memory per entry (a ${r.entryJsonBytes} B completion): ${num(r.storeBytesPerEntry)} B as the store counts it` +
      (r.heapBytesPerEntry === undefined ? " (heap growth: run node with --expose-gc)" : `, ${num(r.heapBytesPerEntry)} B of heap and buffers`),
  );
  printSemanticCost(r.semantic);
}
