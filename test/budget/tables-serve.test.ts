/**
 * Issue 21 against the real gateway (uWebSockets.js, the real pipeline,
 * undici to a fake OpenAI upstream, the `openai` SDK as the client): one
 * budget with an amount per team refuses each team at its own amount; a
 * budget that applies `when team == …` charges only its team on a shared
 * route; `budget_used("B") >= 80%` moves a caller to the cheaper model once
 * 80% of its budget is spent, read from SQLite.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { memoryStore, sqliteStore } from "../../runtime/state/index.js";
import { closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { closeGateways, hello, policy, serve, type Started } from "../server/helpers.js";

const RESEARCH = "sk-test-research-0001";
const SEARCH = "sk-test-search-0002";

// Each answer is 11 prompt + 7 completion tokens: $0.018 at $1,000/Mtok; a reservation is bounded by the body's bytes and `max_output 10`.
const HEAD = (baseUrl: string, state = "state memory") => `
gateway { ${state}  admin_token env("ADMIN") }
provider up { api openai  base_url "${baseUrl}"  key env("UP_KEY") }
model big = up/"big-upstream" { input $1000/Mtok  output $1000/Mtok  max_output 10 }
model mini = up/"mini-upstream" { input $1/Mtok  output $1/Mtok  max_output 10 }
keys {
  "${hashKey(RESEARCH)}" team "research"
  "${hashKey(SEARCH)}" team "search"
}
`;

afterEach(async () => {
  await closeGateways();
  await closeAllUpstreams();
});

function client(s: Started, key: string): OpenAI {
  return new OpenAI({ apiKey: key, baseURL: `${s.base}/v1`, maxRetries: 0, timeout: 10_000 });
}

/** Sends requests until one is refused (at most 20); the answered count and the refusal's status and message. */
async function untilRefused(c: OpenAI, model = "chat"): Promise<{ answered: number; status: number; message: string }> {
  for (let answered = 0; answered < 20; answered++) {
    try {
      await c.chat.completions.create(hello(model, { max_tokens: 10 }));
    } catch (e) {
      const err = e as { status: number; message: string };
      return { answered, status: err.status, message: err.message };
    }
  }
  return { answered: 20, status: 200, message: "" };
}

async function adminBudgets(s: Started): Promise<{ budget: string; scope: string; spent: number; limit: number }[]> {
  const res = await fetch(`${s.base}/admin/budgets`, { headers: { authorization: "Bearer admin-secret" } });
  return ((await res.json()) as { budgets: { budget: string; scope: string; spent: number; limit: number }[] }).budgets;
}

const env = { UP_KEY: "sk-up", ADMIN: "admin-secret" };

describe("amount tables and conditional budgets on aigw serve", () => {
  it("refuse each team of one budget at its own amount", async () => {
    const up: FakeUpstream = await startUpstream("openai");
    const s = await serve(
      policy(`${HEAD(up.baseUrl)}
budget team-daily { per team  limit per day { "research" $0.2  default $0.1 }  exceeded reject }
route chat { to big  budget team-daily }
`),
      { world: { env }, store: memoryStore({ clock: Date.now }) },
    );
    const search = await untilRefused(client(s, SEARCH));
    const research = await untilRefused(client(s, RESEARCH));
    // $0.018 a call: search (the $0.10 default) is refused well before research ($0.20), each at its own amount.
    expect(search.status).toBe(429);
    expect(search.message).toMatch(/budget `team-daily` is exceeded for team `search` \(\$0\.10 of \$0\.10\)/);
    expect(research.status).toBe(429);
    expect(research.message).toMatch(/for team `research` \(\$0\.20 of \$0\.20\)/);
    expect(search.answered).toBeGreaterThan(0);
    expect(research.answered).toBeGreaterThanOrEqual(search.answered + 5);
    expect(up.requests).toHaveLength(search.answered + research.answered);
    const rows = await adminBudgets(s);
    expect(rows.map((r) => [r.scope, r.limit]).sort()).toEqual([
      ["research", 0.2],
      ["search", 0.1],
    ]);
    const metrics = await (await fetch(`${s.base}/metrics`)).text();
    expect(metrics).toMatch(/aigw_budget_scope_limit_dollars\{budget="team-daily",scope="team",scope_key="search"\} 0\.1/);
  });

  it("charge a caller of a shared route only the budget whose `when` holds", async () => {
    const up = await startUpstream("openai");
    const s = await serve(
      policy(`${HEAD(up.baseUrl)}
budget research-daily { per team  limit $0.1 per day  when team == "research" }
budget search-daily { per team  limit $5 per day  when team == "search" }
route shared { to big  budget research-daily, search-daily }
`),
      { world: { env }, store: memoryStore({ clock: Date.now }) },
    );
    const research = await untilRefused(client(s, RESEARCH));
    expect(research.status).toBe(429);
    expect(research.answered).toBeGreaterThan(0);
    expect(research.message).toMatch(/budget `research-daily`/);
    // Research's calls were never counted under the search budget, and search is not held by research's.
    expect((await adminBudgets(s)).map((r) => r.budget)).toEqual(["research-daily"]);
    await client(s, SEARCH).chat.completions.create(hello("chat", { max_tokens: 10 }));
    expect((await adminBudgets(s)).map((r) => `${r.budget}:${r.scope}`).sort()).toEqual(["research-daily:research", "search-daily:search"]);
  });

  it("hold each team to its own amount under a concurrent burst, whatever team the caller claims in headers or metadata", async () => {
    const up = await startUpstream("openai");
    const s = await serve(
      policy(`${HEAD(up.baseUrl)}
budget team-daily { per team  limit per day { "research" $0.4  default $0.2 }  exceeded reject }
budget search-only { per team  limit $0.3 per day  when team == "search" }
route chat { to big  budget team-daily, search-only }
`),
      { world: { env }, store: memoryStore({ clock: Date.now }) },
    );
    // The attacker holds search's key and claims research everywhere the caller writes: a header, the body's metadata, `user`.
    const claim = { metadata: { team: "research" }, user: "research" };
    const burst = (key: string, n: number) =>
      Promise.allSettled(
        Array.from({ length: n }, () => client(s, key).chat.completions.create(hello("chat", { max_tokens: 10, ...claim }), { headers: { "x-team": "research", "x-aigw-team": "research" } })),
      );
    const [searchCalls, researchCalls] = await Promise.all([burst(SEARCH, 30), burst(RESEARCH, 30)]);
    const answered = (rs: PromiseSettledResult<unknown>[]) => rs.filter((r) => r.status === "fulfilled").length;
    for (const r of [...searchCalls, ...researchCalls]) if (r.status === "rejected") expect((r.reason as { status: number }).status).toBe(429);
    // $0.018 a call: search stays within the $0.20 default (11 calls at most) however it claims research's $0.40 (22 at most).
    expect(answered(searchCalls)).toBeGreaterThan(0);
    expect(answered(searchCalls)).toBeLessThanOrEqual(11);
    expect(answered(researchCalls)).toBeGreaterThan(0);
    expect(answered(researchCalls)).toBeLessThanOrEqual(22);
    expect(up.requests).toHaveLength(answered(searchCalls) + answered(researchCalls));
    const rows = await adminBudgets(s);
    for (const r of rows) expect(r.spent).toBeLessThanOrEqual(r.limit);
    expect(rows.map((r) => `${r.budget}:${r.scope}`).sort()).toEqual(["search-only:search", "team-daily:research", "team-daily:search"]);
  });

  it("route on budget_used: the caller moves to the cheaper model after 80% of its budget, read from SQLite", async () => {
    const up = await startUpstream("openai");
    const path = join(mkdtempSync(join(tmpdir(), "aigw-budget-used-")), "state.db");
    const s = await serve(
      policy(`${HEAD(up.baseUrl, `state sqlite("${path}")`)}
budget team-daily { per team  limit per day { "research" $0.5  default $0.1 } }
route saver { when budget_used("team-daily") >= 80%  to mini  budget team-daily }
route chat { to big  budget team-daily }
`),
      { world: { env }, store: sqliteStore({ path, clock: Date.now }) },
    );
    const c = client(s, RESEARCH);
    const models: string[] = [];
    for (let i = 0; i < 24; i++) {
      await c.chat.completions.create(hello("chat", { max_tokens: 10 }));
      models.push(up.requests[up.requests.length - 1]!.body.model as string);
    }
    // $0.018 a call of research's $0.50: 22 calls are 79.2%, 23 are 82.8% ≥ 80%: the 24th goes to mini (the default's $0.10 would have switched after 5).
    expect(models.slice(0, 23)).toEqual(Array(23).fill("big-upstream"));
    expect(models[23]).toBe("mini-upstream");
    // The record of the switch: the use the condition read.
    expect(s.access.at(-1)).toMatchObject({ route: "saver" });
  });
});
