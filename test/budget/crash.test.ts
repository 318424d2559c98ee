/**
 * Budgets survive a crash: a real `aigw serve` process on a SQLite state file
 * is killed with SIGKILL mid-load and restarted on the same file. Every cost
 * the client saw settled (a 200 reply; the gateway settles before it replies)
 * is still there, the spend never went backwards, nothing was charged that no
 * request could have cost, and the holds of the requests cut off by the kill
 * stop counting once their expiry passes (the store read with a clock past the
 * reservation TTL, then swept).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_RESERVATION_TTL_MS, dollarsToMicros, sqliteStore, type CounterEntry, type Store } from "../../runtime/state/index.js";
import { budgetRows, chat, startServe, stopServes, type ChatOutcome } from "./child/serve-process.js";

/** Micro-dollars per token: `$1000/Mtok` input, `$2000/Mtok` output. */
const INPUT_MICROS = 1000;
const OUTPUT_MICROS = 2000;
const ADMIN = "crash-admin-token";
const WORKERS = 8;
/** Completed replies to see before the kill, so the kill lands mid-load. */
const KILL_AFTER = 40;

const dir = mkdtempSync(join(tmpdir(), "aigw-crash-"));
const dbPath = join(dir, "state.db");
const opened: Store[] = [];

afterAll(async () => {
  await stopServes();
  await Promise.all(opened.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

// A rolling 24h window: reading the store 16 minutes ahead (past the reservation TTL)
// still counts this test's spend, whatever the time of day.
const POLICY = `
gateway { auth none admin_token env("AIGW_TEST_ADMIN") state sqlite(${JSON.stringify(dbPath)}) }
provider p { api mock latency 40ms }
model big = p/"big" { input $${INPUT_MICROS}/Mtok output $${OUTPUT_MICROS}/Mtok context 8k }
budget b { per global limit $1000 per 24h exceeded reject }
route r { when model == "chat" budget b to big }
`;

/** What a 200 reply cost, from the mock's usage and the model's prices. */
const costOf = (o: ChatOutcome): number => o.usage!.prompt_tokens * INPUT_MICROS + o.usage!.completion_tokens * OUTPUT_MICROS;

/** The most a request could cost: the mock counts characters / 4 and never answers more than `max_tokens`. */
const worstOf = (content: string, maxTokens: number): number => Math.ceil(content.length / 4) * INPUT_MICROS + maxTokens * OUTPUT_MICROS;

const spentMicros = async (base: string): Promise<{ spent: number; reserved: number }> => {
  const rows = await budgetRows(base, ADMIN, "b");
  return { spent: dollarsToMicros(rows.reduce((n, r) => n + r.spent, 0)), reserved: dollarsToMicros(rows.reduce((n, r) => n + r.reserved, 0)) };
};

const budgetEntries = (entries: readonly CounterEntry[]): CounterEntry[] => entries.filter((e) => e.key.startsWith("budget:b:"));

describe("a gateway killed mid-load", () => {
  it("keeps every settled cost in its sqlite file and releases the cut-off holds after their expiry", async () => {
    writeFileSync(join(dir, "main.route"), POLICY);
    const env = { AIGW_TEST_ADMIN: ADMIN };
    const first = await startServe(join(dir, "main.route"), env);

    let settled = 0; // micro-dollars of the 200s the client saw
    let completed = 0;
    let uncertain = 0; // worst case of the requests cut off by the kill
    const statuses = new Set<number>();
    let killed = false;
    let triggerKill!: () => void;
    const killNow = new Promise<void>((r) => (triggerKill = r));

    const worker = async (w: number): Promise<void> => {
      for (let i = 0; !killed; i++) {
        const content = `request ${w}-${i} ` + "word ".repeat((w * 7 + i * 3) % 30);
        const maxTokens = 3 + ((w + i) % 20);
        const o = await chat(first.base, content, maxTokens);
        if (o.status === undefined) {
          uncertain += worstOf(content, maxTokens);
          continue;
        }
        statuses.add(o.status);
        if (o.status !== 200) triggerKill(); // unexpected: end the load now, the status check below fails
        else {
          settled += costOf(o);
          if (++completed >= KILL_AFTER) triggerKill();
        }
      }
    };
    // Spend as the admin endpoint shows it while the load runs: it must never go backwards.
    const samples: number[] = [];
    const sampler = async (): Promise<void> => {
      while (!killed) {
        try {
          samples.push((await spentMicros(first.base)).spent);
        } catch {
          // the server was killed between the check and the request
        }
      }
    };
    const load = Promise.all([...Array.from({ length: WORKERS }, (_, w) => worker(w)), sampler()]);
    await killNow;
    killed = true;
    await first.stop("SIGKILL");
    await load;
    expect(first.process.signalCode).toBe("SIGKILL");
    expect([...statuses]).toEqual([200]);
    expect(completed).toBeGreaterThanOrEqual(KILL_AFTER);
    for (let i = 1; i < samples.length; i++) expect(samples[i]!).toBeGreaterThanOrEqual(samples[i - 1]!);

    // Restarted on the same file: every settled cost is there, and nothing more than the cut-off requests could add.
    const second = await startServe(join(dir, "main.route"), env);
    const after = await spentMicros(second.base);
    expect(after.spent).toBeGreaterThanOrEqual(settled);
    expect(after.spent).toBeLessThanOrEqual(settled + uncertain);
    expect(after.spent).toBeGreaterThanOrEqual(Math.max(0, ...samples));
    expect(after.reserved).toBeGreaterThanOrEqual(0);

    // The restarted gateway charges on top of the history.
    const more = await chat(second.base, "after the restart", 5);
    expect(more.status).toBe(200);
    const total = after.spent + costOf(more);
    expect((await spentMicros(second.base)).spent).toBe(total);
    await second.stop("SIGTERM");
    expect(second.process.exitCode).toBe(0);

    // Past the reservation TTL, the holds the kill left behind no longer count, and a sweep deletes them.
    const later = Date.now() + DEFAULT_RESERVATION_TTL_MS + 60_000;
    const store = sqliteStore({ clock: () => later, path: dbPath });
    opened.push(store);
    const expired = budgetEntries(await store.list());
    expect(expired.reduce((n, e) => n + e.spent, 0)).toBe(total);
    expect(expired.every((e) => e.reserved === 0)).toBe(true);
    // The sweep releases exactly the holds there were (reads subtract expired ones without deleting them).
    expect((await store.sweep(later)) > 0).toBe(after.reserved > 0);
    const swept = budgetEntries(await store.list());
    expect(swept.reduce((n, e) => n + e.spent, 0)).toBe(total);
    expect(swept.every((e) => e.reserved === 0)).toBe(true);
    expect(await store.sweep(later)).toBe(0); // nothing left to release
  }, 30_000);
});
