/**
 * The Redis usage store: several gateways sharing one Redis share one
 * ledger. A minute is a hash (`aigw:usage:m:<minute>`) whose fields are
 * `<dimensions>␞<counter>` — each sum by name, `e:<kind>` per error kind,
 * `l:<bucket>` and `o:<bucket>` per latency and overhead bucket — and a
 * flush is one `MULTI` of `HINCRBY`s, so instances' flushes add up
 * atomically without a script. A sorted set (`aigw:usage:minutes`) indexes
 * the minutes, so a report reads only minutes that exist. Each minute's
 * hash expires `keepMs` after its last write; the sweep also drops it from
 * the index.
 */
import { Redis } from "ioredis";
import { emptyCounts, SUM_FIELDS, type UsageCounts } from "./counts.js";
import { dimsKey, parseDims, type UsageRow } from "./row.js";
import type { UsageStore } from "./store.js";

const FIELD_SEP = "\u001e";

export function redisUsageStore(options: { url: string; prefix?: string }): UsageStore {
  const prefix = (options.prefix ?? "aigw:") + "usage:";
  const index = prefix + "minutes";
  const hashOf = (minute: number): string => `${prefix}m:${minute}`;
  const client = new Redis(options.url, { maxRetriesPerRequest: 1 });
  // Connection errors reach callers as rejected commands; without a listener ioredis would print each one.
  client.on("error", () => {});
  return {
    kind: "redis",
    async add(rows, keepMs) {
      if (rows.length === 0) return;
      const tx = client.multi();
      const minutes = new Set<number>();
      for (const r of rows) {
        const hash = hashOf(r.minute);
        minutes.add(r.minute);
        for (const [field, n] of fieldsOf(r.counts)) tx.hincrby(hash, dimsKey(r.dims) + FIELD_SEP + field, n);
      }
      for (const m of minutes) {
        tx.zadd(index, m, String(m));
        tx.pexpire(hashOf(m), Math.max(1, Math.ceil(keepMs)));
      }
      const results = await tx.exec();
      const failed = results?.find(([err]) => err !== null);
      if (results === null || failed !== undefined) throw failed?.[0] ?? new Error("the usage flush was discarded by redis");
    },
    async rows(since, until) {
      const minutes = await client.zrangebyscore(index, since, `(${until}`);
      if (minutes.length === 0) return [];
      const pipe = client.pipeline();
      for (const m of minutes) pipe.hgetall(hashOf(Number(m)));
      const replies = (await pipe.exec()) ?? [];
      const out: UsageRow[] = [];
      minutes.forEach((m, i) => {
        const [err, hash] = replies[i] ?? [null, {}];
        if (err) throw err;
        out.push(...rowsOf(Number(m), hash as Record<string, string>));
      });
      return out;
    },
    async sweep(before) {
      const minutes = await client.zrangebyscore(index, "-inf", `(${before}`);
      if (minutes.length === 0) return 0;
      let cells = 0;
      for (const m of minutes) {
        const fields = await client.hkeys(hashOf(Number(m)));
        cells += new Set(fields.map((f) => f.slice(0, f.lastIndexOf(FIELD_SEP)))).size;
        await client.del(hashOf(Number(m)));
      }
      await client.zremrangebyscore(index, "-inf", `(${before}`);
      return cells;
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** The non-zero counters of a cell as hash fields. */
function fieldsOf(c: UsageCounts): [string, number][] {
  const out: [string, number][] = [];
  for (const f of SUM_FIELDS) if (c[f] !== 0) out.push([f, c[f]]);
  for (const k in c.errorKinds) out.push(["e:" + k, c.errorKinds[k]!]);
  for (const k in c.latency) out.push(["l:" + k, c.latency[k]!]);
  for (const k in c.overhead) out.push(["o:" + k, c.overhead[k]!]);
  return out;
}

/** A minute's hash back into cells. */
function rowsOf(minute: number, hash: Readonly<Record<string, string>>): UsageRow[] {
  const cells = new Map<string, UsageRow>();
  for (const [field, value] of Object.entries(hash)) {
    const at = field.lastIndexOf(FIELD_SEP);
    const key = field.slice(0, at);
    const name = field.slice(at + 1);
    let cell = cells.get(key);
    if (cell === undefined) {
      const dims = parseDims(key);
      if (dims === undefined) continue;
      cells.set(key, (cell = { minute, dims, counts: emptyCounts() }));
    }
    const n = Number(value);
    const c = cell.counts;
    if (name.startsWith("e:")) c.errorKinds[name.slice(2)] = n;
    else if (name.startsWith("l:")) c.latency[Number(name.slice(2))] = n;
    else if (name.startsWith("o:")) c.overhead[Number(name.slice(2))] = n;
    else if ((SUM_FIELDS as readonly string[]).includes(name)) c[name as (typeof SUM_FIELDS)[number]] = n;
  }
  return [...cells.values()];
}
