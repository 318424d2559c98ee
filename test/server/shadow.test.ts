/**
 * `aigw serve --shadow CANDIDATE` (issue 18): a real `aigw serve` process,
 * real HTTP from the official OpenAI SDK, fake OpenAI upstreams that count
 * what they receive. The candidate is decided for every live request and
 * compared; it never sends a request upstream and never charges a budget or
 * limit; an identical candidate differs nowhere; a candidate that does not
 * compile stops the shadowing (said in the log and `/admin/shadow`) while
 * live traffic is answered as before, and a fixed one is picked up under
 * `--watch`; a git ref is read at the live paths. A shadow decision that
 * throws leaves the live request alone (an in-process gateway whose
 * candidate is broken on purpose).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { prepare } from "../../runtime/engine/index.js";
import { Shadow } from "../../runtime/shadow/index.js";
import type { Logger } from "../../runtime/observe/log.js";
import { policyDir } from "../support/cli.js";
import { closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { startServe, stopServes, type ServeProcess } from "../budget/child/serve-process.js";
import { closeGateways, policy, serve } from "./helpers.js";

const ADMIN = "admin-token-for-shadow-tests";
const KEY_X = "sk-team-x-0000000000000001";
const KEY_Y = "sk-team-y-0000000000000002";

/** The live policy: team x's premium traffic goes to `x-route` (model `a`), everyone else to `general`. */
function livePolicy(a: FakeUpstream, b: FakeUpstream): string {
  return `gateway { auth keys admin_token env("AIGW_ADMIN_TOKEN") }
keys {
  "${hashKey(KEY_X)}" team "x"
  "${hashKey(KEY_Y)}" team "y"
}
provider up-a { api openai base_url "${a.baseUrl}" key env("UPSTREAM_KEY") }
provider up-b { api openai base_url "${b.baseUrl}" key env("UPSTREAM_KEY") }
model a = up-a/"model-a" { input $1/Mtok output $1/Mtok }
model b = up-b/"model-b" { input $1/Mtok output $1/Mtok }
budget team-daily { per team limit $5000 per day exceeded reject }
route x-route {
  when model == "chat" and team == "x" and header("x-tier") == "premium"
  to a
}
route general {
  when model == "chat"
  budget team-daily
  to a
}
`;
}

/** The candidate: team x's premium traffic moves to `x-new` (model `b`), under the live `team-daily` budget and a limit of its own. */
function movedPolicy(a: FakeUpstream, b: FakeUpstream): string {
  return livePolicy(a, b).replace(
    `route x-route {\n  when model == "chat" and team == "x" and header("x-tier") == "premium"\n  to a\n}`,
    `limit x-rpm { per key requests 100 per minute }
route x-new {
  when model == "chat" and team == "x" and header("x-tier") == "premium"
  budget team-daily
  limit x-rpm
  to b
}`,
  );
}

const ENV = { AIGW_ADMIN_TOKEN: ADMIN, UPSTREAM_KEY: "sk-upstream-secret-0001" };

function client(served: ServeProcess, key: string): OpenAI {
  return new OpenAI({ baseURL: `${served.base}/v1`, apiKey: key, maxRetries: 0, defaultHeaders: { "x-tier": "premium" } });
}

async function ask(c: OpenAI): Promise<string | undefined> {
  const r = await c.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "what is the capital of France? my email is ana@example.com" }] });
  return r.choices[0]?.message.content ?? undefined;
}

interface Status {
  candidate: { policy: string; source: string } | null;
  error: { message: string } | null;
  requests: number;
  differences: number;
  errors: number;
  pairs: { live_route: string; shadow_route: string; kind: string; count: number }[];
  samples: { kind: string; live: { route: string | null; targets: string[] }; shadow: { route: string | null; targets: string[] }; witness: Record<string, unknown> }[];
}

async function status(served: ServeProcess): Promise<Status> {
  const res = await fetch(`${served.base}/admin/shadow`, { headers: { authorization: `Bearer ${ADMIN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Status;
}

async function metricLines(served: ServeProcess): Promise<string[]> {
  const text = await (await fetch(`${served.base}/metrics`)).text();
  return text.split("\n").filter((l) => l.startsWith("aigw_shadow_"));
}

async function eventually<T>(read: () => Promise<T>, ok: (t: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const t = await read();
    if (ok(t) || Date.now() > until) return t;
    await new Promise((r) => setTimeout(r, 100));
  }
}

afterEach(async () => {
  await stopServes();
  await closeAllUpstreams();
});
afterAll(closeGateways);

describe("aigw serve --shadow", () => {
  it("counts the requests a candidate moves, for team x only, with witnesses, and sends and charges nothing for it", async () => {
    const a = await startUpstream("openai");
    const b = await startUpstream("openai");
    const live = policyDir({ "main.route": livePolicy(a, b) });
    const candidate = policyDir({ "main.route": movedPolicy(a, b) });
    const served = await startServe(live, ENV, { args: ["--shadow", candidate], accessLog: true });
    expect(served.stderr()).toMatch(/shadow: deciding every request on candidate p-[0-9a-f]+ \(paths .*\) too/);

    for (let i = 0; i < 3; i++) expect(await ask(client(served, KEY_X))).toBeTruthy();
    for (let i = 0; i < 2; i++) expect(await ask(client(served, KEY_Y))).toBeTruthy();

    // Only the live decision was sent: every request reached model a's upstream, none model b's.
    expect(a.requests).toHaveLength(5);
    expect(b.requests).toHaveLength(0);
    // Nothing was charged by the candidate: `team-daily` counts team y's live requests (route `general`), never team x's
    // (which only the candidate's `x-new` would charge), and the candidate's own limit has no counter.
    const res = await fetch(`${served.base}/admin/budgets`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const counters = (await res.json()) as { budgets: { budget: string; scope: string; spent: number }[]; limits: Record<string, unknown>[] };
    expect(counters.budgets.map((b) => [b.budget, b.scope])).toEqual([["team-daily", "y"]]);
    expect(counters.budgets[0]!.spent).toBeGreaterThan(0);
    expect(JSON.stringify(counters.limits)).not.toContain("x-rpm");

    expect(await metricLines(served)).toEqual([
      "aigw_shadow_requests_total 5",
      `aigw_shadow_differences_total{live_route="x-route",shadow_route="x-new",kind="route"} 3`,
      "aigw_shadow_errors_total 0",
    ]);
    const s = await status(served);
    expect(s.error).toBeNull();
    expect([s.requests, s.differences, s.errors]).toEqual([5, 3, 0]);
    expect(s.pairs).toEqual([{ live_route: "x-route", shadow_route: "x-new", kind: "route", count: 3 }]);
    expect(s.samples).toHaveLength(3);
    for (const sample of s.samples) {
      expect(sample.live).toMatchObject({ route: "x-route", targets: ["a"] });
      expect(sample.shadow).toMatchObject({ route: "x-new", targets: ["b"] });
      expect(sample.witness).toMatchObject({ model: "chat", endpoint: "/v1/chat/completions", caller: { auth: "key", key: hashKey(KEY_X), team: "x" }, headers: { "x-tier": "premium" } });
    }
    // The witness holds what the conditions read, never a credential or the prompt.
    const shown = JSON.stringify(s) + served.stdout();
    expect(shown).not.toContain(KEY_X);
    expect(shown).not.toContain(ENV.UPSTREAM_KEY);
    expect(shown).not.toContain("ana@example.com");
    expect(shown).not.toContain("capital of France");
    // One log line for the pair (rate-limited), at info.
    const logged = served.stdout().split("\n").filter((l) => l.includes('"shadow difference"'));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!)).toMatchObject({ level: "info", kind: "route", liveRoute: "x-route", shadowRoute: "x-new" });
    // The admin route is behind the admin token.
    expect((await fetch(`${served.base}/admin/shadow`)).status).toBe(401);
  }, 60_000);

  it("finds no difference with an identical candidate, and follows the candidate's files under --watch", async () => {
    const a = await startUpstream("openai");
    const b = await startUpstream("openai");
    const live = policyDir({ "main.route": livePolicy(a, b) });
    const candidate = policyDir({ "main.route": livePolicy(a, b).replace("route general", "route everyone") });
    const served = await startServe(live, ENV, { args: ["--shadow", candidate, "--watch"] });
    for (let i = 0; i < 2; i++) await ask(client(served, KEY_X));
    await ask(client(served, KEY_Y));
    const same = await status(served);
    // A renamed route that takes nothing differently is still a route difference: none here, x's requests match x-route in both.
    expect([same.requests, same.differences]).toEqual([3, 1]);
    expect(same.pairs).toEqual([{ live_route: "general", shadow_route: "everyone", kind: "route", count: 1 }]);

    writeFileSync(join(candidate, "main.route"), livePolicy(a, b));
    await eventually(() => status(served), (s) => s.candidate?.policy !== same.candidate?.policy);
    const before = (await status(served)).differences;
    for (let i = 0; i < 3; i++) await ask(client(served, KEY_Y));
    const identical = await status(served);
    expect(identical.requests).toBe(6);
    expect(identical.differences).toBe(before);

    writeFileSync(join(candidate, "main.route"), movedPolicy(a, b));
    await eventually(() => status(served), (s) => s.candidate?.policy !== identical.candidate?.policy);
    await ask(client(served, KEY_X));
    expect((await status(served)).pairs).toContainEqual({ live_route: "x-route", shadow_route: "x-new", kind: "route", count: 1 });
    expect(b.requests).toHaveLength(0);
  }, 90_000);

  it("stops shadowing a candidate that does not compile, says why, and serves live traffic as before", async () => {
    const a = await startUpstream("openai");
    const b = await startUpstream("openai");
    const live = policyDir({ "main.route": livePolicy(a, b) });
    const candidate = policyDir({ "main.route": livePolicy(a, b).replace("to a\n}\n", "to nowhere\n}\n") });
    const served = await startServe(live, ENV, { args: ["--shadow", candidate, "--watch"], accessLog: true });
    expect(served.stderr()).toContain("shadow: not shadowing: the candidate does not compile: E101");
    for (let i = 0; i < 3; i++) expect(await ask(client(served, KEY_Y))).toBeTruthy();
    expect(a.requests).toHaveLength(3);
    const s = await status(served);
    expect(s.candidate).toBeNull();
    expect(s.error?.message).toMatch(/^the candidate does not compile: E101 .*main\.route:\d+:\d+: unknown model `nowhere`/);
    expect(s.requests).toBe(0);
    expect(served.stdout()).toContain('"shadow candidate rejected: shadowing stopped"');
    expect(await metricLines(served)).toEqual(["aigw_shadow_requests_total 0", "aigw_shadow_errors_total 0"]);

    // Fixed: picked up, and shadowing resumes.
    writeFileSync(join(candidate, "main.route"), movedPolicy(a, b));
    const fixed = await eventually(() => status(served), (x) => x.candidate !== null);
    expect(fixed.error).toBeNull();
    await ask(client(served, KEY_X));
    expect((await status(served)).differences).toBe(1);
  }, 90_000);

  it("reads a git ref at the live policy's paths", async () => {
    const a = await startUpstream("openai");
    const b = await startUpstream("openai");
    const repo = policyDir({ "README.md": "policy repo\n" });
    mkdirSync(join(repo, "policy"));
    const git = (...args: string[]): string => execFileSync("git", ["-C", repo, ...args], { encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } });
    git("init", "-q", "-b", "main");
    writeFileSync(join(repo, "policy", "main.route"), livePolicy(a, b));
    git("add", "-A");
    git("commit", "-qm", "live");
    git("checkout", "-qb", "move-team-x");
    writeFileSync(join(repo, "policy", "main.route"), movedPolicy(a, b));
    git("commit", "-qam", "move team x to b");
    git("checkout", "-q", "main");
    const served = await startServe(join(repo, "policy"), ENV, { args: ["--shadow", "move-team-x"] });
    expect(served.stderr()).toMatch(/shadow: deciding every request on candidate p-[0-9a-f]+ \(git move-team-x@[0-9a-f]{12} \(policy\)\) too/);
    await ask(client(served, KEY_X));
    await ask(client(served, KEY_Y));
    const s = await status(served);
    expect(s.pairs).toEqual([{ live_route: "x-route", shadow_route: "x-new", kind: "route", count: 1 }]);
    expect(b.requests).toHaveLength(0);
  }, 60_000);

  it("is a usage error when the candidate is neither a path nor a git ref", async () => {
    const a = await startUpstream("openai");
    const live = policyDir({ "main.route": livePolicy(a, a) });
    await expect(startServe(live, ENV, { args: ["--shadow", "no-such-branch-or-dir"] })).rejects.toThrow(/--shadow `no-such-branch-or-dir` is neither a file or directory nor a git ref/);
  }, 30_000);
});

describe("a shadow decision that throws", () => {
  it("never fails the live request: it is counted and logged once", async () => {
    const text = `gateway { auth none }\nprovider p { api mock }\nmodel m = p/"m"\nroute chat { when model == "chat" to m }\n`;
    const lines: { level: string; msg: string }[] = [];
    const log: Logger = { info: (msg) => void lines.push({ level: "info", msg }), warn: (msg) => void lines.push({ level: "warn", msg }), error: (msg) => void lines.push({ level: "error", msg }) };
    const shadow = new Shadow({ now: Date.now, log });
    const graph = policy(text);
    const broken = prepare(graph);
    Object.defineProperty(broken, "byModel", { get: () => { throw new Error("the candidate's prepared graph is broken"); } });
    shadow.use(graph, { source: "test", failedTests: 0 }, broken);
    const { base } = await serve(graph, { shadow, log });
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${base}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "hi" }] }) });
      expect(res.status).toBe(200);
    }
    expect(shadow.status()).toMatchObject({ requests: 3, differences: 0, errors: 3 });
    expect(lines.filter((l) => l.msg.startsWith("shadow decision failed"))).toEqual([{ level: "warn", msg: "shadow decision failed; the live request is not affected" }]);
  });
});
