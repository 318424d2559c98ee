/**
 * A child process for the multi-process tests: opens a SQLite or Redis
 * store, says `ready`, waits for a line on stdin, then competes for one
 * budget. Run with `node --import ./test/state/child/register.mjs`.
 *
 * argv[2] is JSON {@link ChildConfig}. Modes:
 * - `compete`: `ops` reservations of 1–5 units (each second one settled at
 *   its full amount, the others left held), then one JSON line
 *   {@link CompeteReport};
 * - `loop`: reserve 1 and settle 1 forever, printing the settled total
 *   after each settlement resolves (the parent kills it with SIGKILL).
 */
import { createInterface } from "node:readline";
import type { WindowNode } from "../../../compiler/graph.js";
import { redisStore } from "../../../runtime/state/redis.js";
import { sqliteStore } from "../../../runtime/state/sqlite.js";
import type { Store } from "../../../runtime/state/store.js";

export interface ChildConfig {
  store: { kind: "sqlite"; path: string } | { kind: "redis"; url: string; prefix: string };
  mode: "compete" | "loop";
  key: string;
  limit: number;
  ops: number;
  seed: number;
}

export interface CompeteReport {
  admitted: number;
  refused: number;
}

const DAY: WindowNode = { kind: "calendar", unit: "day" };

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as ChildConfig;
  const clock = (): number => Date.now();
  const store: Store =
    config.store.kind === "sqlite" ? sqliteStore({ clock, path: config.store.path }) : redisStore({ clock, url: config.store.url, prefix: config.store.prefix });
  await store.read([{ key: config.key, window: DAY }]); // connect before saying ready
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once("line", () => resolve()));

  if (config.mode === "loop") {
    let settled = 0;
    for (;;) {
      const r = await store.reserve(config.key, 1, config.limit, DAY);
      if (r.reservation === undefined) throw new Error("budget exhausted in loop mode");
      await store.settle(r.reservation, 1);
      settled++;
      process.stdout.write(`${settled}\n`);
    }
  }

  let seed = config.seed >>> 0;
  const next = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
  const report: CompeteReport = { admitted: 0, refused: 0 };
  for (let i = 0; i < config.ops; i++) {
    const amount = 1 + (next() % 5);
    const r = await store.reserve(config.key, amount, config.limit, DAY);
    if (r.reservation === undefined) {
      report.refused++;
      continue;
    }
    report.admitted += amount;
    if (i % 2 === 0) await store.settle(r.reservation, amount);
  }
  await store.close();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
