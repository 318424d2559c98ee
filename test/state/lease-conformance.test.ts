/**
 * The conformance suite over leased SQLite and Redis stores (state/lease.ts):
 * one process's verdicts, counters and listings are those of the store
 * without leases.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { leasedStore, redisStore, sqliteStore } from "../../runtime/state/index.js";
import { startRedis, type RedisServer } from "../support/redis.js";
import { conformance } from "./conformance.js";

const dir = mkdtempSync(join(tmpdir(), "aigw-lease-"));
let files = 0;
let server: RedisServer | undefined;
let client: Redis | undefined;
let startError: unknown;
let prefixes = 0;
/** The flush timer never fires on its own here: the fake clock does not move by itself. */
const manual = (): (() => void) => () => undefined;

beforeAll(async () => {
  try {
    server = await startRedis();
  } catch (e) {
    startError = e;
    return;
  }
  client = new Redis(server.url);
}, 30_000);

afterAll(async () => {
  await client?.quit();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

conformance("leased sqlite", () => ({
  open: async (clock) => leasedStore(sqliteStore({ clock, path: join(dir, `s${files++}.db`) }), { clock, every: manual }),
  runs: 40,
}));

conformance("leased redis", () => ({
  open: async (clock) => {
    if (client === undefined) throw startError ?? new Error("redis-server did not start");
    return leasedStore(redisStore({ clock, client, prefix: `l${prefixes++}:` }), { clock, every: manual });
  },
  runs: 30,
}));
