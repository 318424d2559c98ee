/**
 * bench/state: operations per second of each state store, one operation in
 * flight at a time (the latency a request pays; mean and median), and each
 * store's rate relative to the memory store measured in the same run. With
 * many requests in flight SQLite does better per operation than shown here
 * (operations of one event-loop turn share a commit).
 *
 * - `reserve+settle`: a budget reservation and its settlement (two calls);
 * - `take`: one rate-limit take;
 * - `request`: what one budgeted, rate-limited request costs: one `admit`
 *   of a reservation plus request and token takes, then one `finish` that
 *   settles the reservation and adds the output tokens (two calls).
 *
 * `sqlite leased` and `redis leased` are the same stores behind leases
 * (runtime/state/lease.ts), as `aigw serve` opens them: most admissions are
 * answered from a slice; a finish still writes (one call per turn).
 *
 * SQLite writes to a fresh file in the OS temp directory (or `--dir D`);
 * Redis uses `$REDIS_URL`, else a redis-server started for the run (the
 * same helper the tests use), else it is reported as unavailable.
 *
 * Run: `npm run build && node dist/bench/state.js [--seconds S] [--dir D] [--json]`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WindowNode } from "../compiler/graph.js";
import { leasedStore, memoryStore, redisStore, sqliteStore, type Check, type Store } from "../runtime/state/index.js";
import { startRedis, type RedisServer } from "../test/support/redis.js";

const DAY: WindowNode = { kind: "calendar", unit: "day" };
const MINUTE: WindowNode = { kind: "calendar", unit: "minute" };
const KEYS = 16;
const HUGE = Number.MAX_SAFE_INTEGER;

type Op = (i: number) => Promise<unknown>;

const OPS: Record<string, (s: Store) => Op> = {
  "reserve+settle": (s) => async (i) => {
    const r = await s.reserve(`budget:b:k${i % KEYS}`, 1000, HUGE, DAY);
    await s.settle(r.reservation!, 800);
  },
  take: (s) => (i) => s.take(`limit:l:requests:k${i % KEYS}`, 1, HUGE, MINUTE),
  request: (s) => {
    const checks: Check[][] = Array.from({ length: KEYS }, (_, k) => [
      { kind: "reserve", key: `budget:b:k${k}`, amount: 5000, limit: HUGE, window: DAY },
      { kind: "take", key: `limit:l:requests:k${k}`, amount: 1, limit: HUGE, window: MINUTE },
      { kind: "take", key: `limit:l:tokens:k${k}`, amount: 250, limit: HUGE, window: MINUTE },
    ]);
    return async (i) => {
      const k = i % KEYS;
      const a = await s.admit(checks[k]!);
      await s.finish([{ reservation: a.results[0]!.reservation!, actual: 3100 }], [{ key: `limit:l:tokens:k${k}`, amount: 120, window: MINUTE }]);
    };
  },
};

interface Row {
  store: string;
  op: string;
  opsPerSecond: number;
  /** Mean: 1 / rate. */
  usPerOp: number;
  /** Median latency of one operation. */
  p50Us: number;
  ratioToMemory: number;
}

/** Runs `op` one at a time for `seconds`: the rate, and the median latency of one operation. */
async function measure(op: Op, seconds: number): Promise<{ rate: number; p50: number }> {
  for (let i = 0; i < 2000; i++) await op(i); // warm up: JIT, prepared statements, loaded scripts
  const latencies: number[] = [];
  const start = performance.now();
  const until = start + seconds * 1000;
  let t = start;
  while (t < until) {
    await op(latencies.length);
    const end = performance.now();
    latencies.push(end - t);
    t = end;
  }
  latencies.sort((a, b) => a - b);
  return { rate: latencies.length / ((t - start) / 1000), p50: latencies[latencies.length >> 1]! * 1000 };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const seconds = Number(opt("--seconds") ?? 1);
  const json = args.includes("--json");
  const dir = mkdtempSync(join(opt("--dir") ?? tmpdir(), "aigw-bench-state-"));
  const clock = (): number => Date.now();
  let server: RedisServer | undefined;
  let redisNote = "";
  const stores: { name: string; open: () => Promise<Store> }[] = [
    { name: "memory", open: async () => memoryStore({ clock }) },
    { name: "sqlite", open: async () => sqliteStore({ clock, path: join(dir, "state.db") }) },
    { name: "sqlite leased", open: async () => leasedStore(sqliteStore({ clock, path: join(dir, "leased.db") }), { clock }) },
  ];
  let url = process.env["REDIS_URL"];
  if (url === undefined) {
    try {
      server = await startRedis();
      url = server.url;
    } catch (e) {
      redisNote = `redis: unavailable (${(e as Error).message.split("\n")[0]})`;
    }
  }
  if (url !== undefined) {
    const redisUrl = url;
    stores.push({ name: "redis", open: async () => redisStore({ clock, url: redisUrl, prefix: `bench${Date.now()}:` }) });
    stores.push({ name: "redis leased", open: async () => leasedStore(redisStore({ clock, url: redisUrl, prefix: `benchl${Date.now()}:` }), { clock }) });
  }

  const rows: Row[] = [];
  const memory = new Map<string, number>();
  try {
    for (const { name, open } of stores) {
      const store = await open();
      for (const [op, make] of Object.entries(OPS)) {
        const { rate, p50 } = await measure(make(store), seconds);
        if (name === "memory") memory.set(op, rate);
        rows.push({
          store: name,
          op,
          opsPerSecond: Math.round(rate),
          usPerOp: Math.round((1e6 / rate) * 10) / 10,
          p50Us: Math.round(p50 * 10) / 10,
          ratioToMemory: Math.round((rate / memory.get(op)!) * 1000) / 1000,
        });
      }
      await store.close();
    }
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }

  if (json) {
    console.log(JSON.stringify({ node: process.version, seconds, rows, ...(redisNote ? { note: redisNote } : {}) }, null, 2));
    return;
  }
  console.log(`state stores: ${seconds} s per row, one operation in flight, node ${process.version}`);
  console.log(`${"store".padEnd(13)} operation          ops/s   mean µs    p50 µs   vs memory`);
  for (const r of rows) {
    console.log(
      `${r.store.padEnd(13)} ${r.op.padEnd(15)} ${r.opsPerSecond.toLocaleString("en-US").padStart(10)} ${r.usPerOp.toFixed(1).padStart(9)} ${r.p50Us.toFixed(1).padStart(9)} ${r.ratioToMemory.toFixed(3).padStart(11)}`,
    );
  }
  if (redisNote) console.log(redisNote);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
