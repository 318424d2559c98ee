/**
 * Reloads under load: 50 connections on 127.0.0.1 keep sending chat
 * requests (an undici Pool, in-process) while the policy is reloaded 50
 * times, alternating between two versions that route differently. No
 * request fails; every response carries one of the two versions and is
 * consistent with it (route target and upstream model); a request that
 * started after a reload finished and ended before the next one began got
 * exactly that reload's version; after the last reload every new request
 * uses the last version.
 */
import { join } from "node:path";
import { Client, Pool } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { fsSource, type ReloadOutcome } from "../../runtime/server/reload/index.js";
import { startReloading, stopAll, tempDir, TOKEN, upstreamOf, versionText, writeFile, type Version } from "./helpers.js";

const CONNECTIONS = 50;
const RELOADS = 50;
/** Pause between reloads, so the run lasts about ten seconds. */
const PAUSE_MS = 180;

interface Sample {
  start: number;
  end: number;
  status: number;
  policy: string | undefined;
  target: string | undefined;
  model: string | undefined;
  error?: string;
}

interface Swap {
  start: number;
  end: number;
  version: Version;
  policy: string;
}

const BODY = JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hello" }] });
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await stopAll();
});

async function send(pool: Pool): Promise<Sample> {
  const start = performance.now();
  try {
    const res = await pool.request({ path: "/v1/chat/completions", method: "POST", headers: { "content-type": "application/json" }, body: BODY });
    const json = (await res.body.json()) as { model?: string };
    const header = (name: string): string | undefined => {
      const v = res.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    return { start, end: performance.now(), status: res.statusCode, policy: header("x-aigw-policy"), target: header("x-aigw-target"), model: json.model };
  } catch (err) {
    return { start, end: performance.now(), status: 0, policy: undefined, target: undefined, model: undefined, error: String(err) };
  }
}

describe("reloads under load", () => {
  it("fail no request and serve exactly one of the two versions throughout", { timeout: 90_000 }, async () => {
    const dir = tempDir({ "main.route": versionText("a", { latency: "3ms" }) });
    const { base, reloader } = await startReloading(fsSource([dir]));
    const policyOf: Partial<Record<Version, string>> = { a: reloader.graph.policy };

    const pool = new Pool(base, { connections: CONNECTIONS, pipelining: 1 });
    const adminClient = new Client(base);
    closers.push(() => pool.close(), () => adminClient.close());

    const samples: Sample[] = [];
    let loading = true;
    const loops = Array.from({ length: CONNECTIONS }, async () => {
      while (loading) samples.push(await send(pool));
    });

    const swaps: Swap[] = [{ start: 0, end: performance.now(), version: "a", policy: policyOf.a! }];
    for (let i = 0; i < RELOADS; i++) {
      const version: Version = i % 2 === 0 ? "b" : "a";
      writeFile(join(dir, "main.route"), versionText(version, { latency: "3ms" }));
      const start = performance.now();
      const res = await adminClient.request({ path: "/admin/reload", method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
      const outcome = (await res.body.json()) as ReloadOutcome;
      const end = performance.now();
      expect(res.statusCode).toBe(200);
      expect(outcome.status).toBe("applied");
      if (outcome.status === "rejected") throw new Error("unreachable");
      policyOf[version] ??= outcome.active.policy;
      expect(outcome.active.policy).toBe(policyOf[version]);
      swaps.push({ start, end, version, policy: outcome.active.policy });
      await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
    loading = false;
    await Promise.all(loops);

    // After the last reload, every new request uses the last version.
    const last = swaps[swaps.length - 1]!;
    const after = await Promise.all(Array.from({ length: 200 }, () => send(pool)));

    const versions = new Set([policyOf.a, policyOf.b]);
    expect(versions.size).toBe(2);
    const versionOf = new Map<string | undefined, Version>([
      [policyOf.a, "a"],
      [policyOf.b, "b"],
    ]);
    const failed = samples.filter((s) => s.status !== 200);
    expect(failed).toEqual([]);
    expect(samples.length).toBeGreaterThan(RELOADS * 10);
    for (const s of samples) {
      expect(versions.has(s.policy)).toBe(true);
      const v = versionOf.get(s.policy)!;
      expect([s.target, s.model]).toEqual([v, upstreamOf(v)]);
    }
    // Requests entirely between two swaps saw the first one's version.
    let between = 0;
    for (let k = 0; k < swaps.length - 1; k++) {
      const [done, next] = [swaps[k]!, swaps[k + 1]!];
      for (const s of samples) {
        if (s.start > done.end && s.end < next.start) {
          between++;
          expect(s.policy).toBe(done.policy);
        }
      }
    }
    expect(between).toBeGreaterThan(RELOADS);
    expect(after.every((s) => s.status === 200 && s.policy === last.policy && s.target === last.version)).toBe(true);
    expect(reloader.stats()).toMatchObject({ attempts: RELOADS, applied: RELOADS, rejected: 0 });
  });
});
