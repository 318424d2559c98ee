/**
 * `aigw check` and `aigw serve` agree on time (issue 18): the policy tests
 * run the server's own plan driver on a virtual clock, so what a test
 * reports — the tries (`big:timeout,big:timeout`) and the status — is what
 * a real `aigw serve` process answers a real client (the official OpenAI
 * SDK) when fake upstreams behave as the test's `given`s say. One policy,
 * one route per scenario: the issue's deadline example, a target failing
 * once, a `Retry-After` the deadline cannot wait for, a slow target.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { aigw, policyDir } from "../support/cli.js";
import { behave, closeAllUpstreams, startUpstream, type FakeUpstream } from "../support/upstreams.js";
import { startServe, stopServes, type ServeProcess } from "../budget/child/serve-process.js";

/** Each scenario: its route's statements, the test's givens and expectations, and what its upstream does. */
const SCENARIOS = {
  // The issue's example: 1 s tries, one retry, a 1.5 s deadline; the retry gets the 0.5 s left, son none.
  deadline: { route: "fallback son\n  retry 1\n  timeout 1s", given: "given big fails timeout", expect: "expect status 504\n  expect attempts [big]\n  expect retries 1" },
  once: { route: "fallback son\n  retry 1 backoff 10ms", given: "given big fails 503 once", expect: "expect status 200\n  expect target big\n  expect retries 1" },
  "retry-after": { route: "fallback son\n  retry 1", given: "given big fails 429 retry after 2s", expect: "expect status 504\n  expect attempts [big]" },
  slow: { route: "fallback son\n  timeout 300ms", given: "given big latency 5s", expect: "expect status 200\n  expect attempts [big, son]" },
} as const;
type Scenario = keyof typeof SCENARIOS;
const NAMES = Object.keys(SCENARIOS) as Scenario[];

function policyText(bigs: Record<Scenario, FakeUpstream>, son: FakeUpstream): string {
  const parts = [`gateway { auth none deadline 1.5s }`, `provider fine { api openai base_url "${son.baseUrl}" }`, `model son = fine/"son-model" { input $1/Mtok output $1/Mtok }`];
  for (const name of NAMES) {
    const s = SCENARIOS[name];
    parts.push(
      `provider up-${name} { api openai base_url "${bigs[name].baseUrl}" }`,
      `model big-${name} = up-${name}/"big-model" { input $1/Mtok output $1/Mtok }`,
      `route ${name} {\n  when model == "${name}"\n  to big-${name}\n  ${s.route}\n}`,
      `test "${name}" {\n  request { model "${name}" }\n  ${s.given.replace("big", `big-${name}`)}\n  ${s.expect.replaceAll("big", `big-${name}`)}\n}`,
    );
  }
  return parts.join("\n\n") + "\n";
}

/** The upstream behaviours that stand for the givens. */
function behaveAsGiven(bigs: Record<Scenario, FakeUpstream>): void {
  bigs.deadline.setDefault(behave.stallHeaders());
  bigs.once.next(behave.fail(503));
  bigs["retry-after"].setDefault(behave.fail(429, { retryAfter: "2" }));
  bigs.slow.setDefault(behave.reply({}, 5_000));
}

interface Seen {
  status: number;
  attempts: string | null;
}

async function ask(client: OpenAI, model: string): Promise<Seen> {
  try {
    const { response } = await client.chat.completions.create({ model, messages: [{ role: "user", content: "hello" }] }).withResponse();
    return { status: response.status, attempts: response.headers.get("x-aigw-attempts") };
  } catch (e) {
    if (!(e instanceof OpenAI.APIError) || e.status === undefined) throw e;
    return { status: e.status, attempts: e.headers?.get("x-aigw-attempts") ?? null };
  }
}

describe("aigw check and aigw serve", () => {
  let dir: string;
  let served: ServeProcess;
  let client: OpenAI;
  let bigs: Record<Scenario, FakeUpstream>;

  beforeAll(async () => {
    const son = await startUpstream("openai");
    bigs = Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, await startUpstream("openai")] as const))) as Record<Scenario, FakeUpstream>;
    dir = policyDir({ "main.route": policyText(bigs, son) });
    served = await startServe(dir, {});
    client = new OpenAI({ baseURL: `${served.base}/v1`, apiKey: "unused", maxRetries: 0 });
  }, 30_000);
  afterAll(async () => {
    await stopServes();
    await closeAllUpstreams();
  });

  it("report the same tries and status for every scenario", async () => {
    const checked = await aigw(["check", dir, "--format", "json"]);
    const report = JSON.parse(checked.stdout) as { ok: boolean; tests: { name: string; passed: boolean; attempts?: string[]; status?: number; message?: string }[] };
    expect(report.tests.filter((t) => !t.passed)).toEqual([]);
    expect(checked.code).toBe(0);

    behaveAsGiven(bigs);
    for (const name of NAMES) {
      const test = report.tests.find((t) => t.name === name)!;
      const seen = await ask(client, name);
      expect({ name, status: seen.status, attempts: seen.attempts }).toEqual({ name, status: test.status, attempts: test.attempts!.join(",") });
    }
    // The issue's numbers, spelled out.
    expect(report.tests.find((t) => t.name === "deadline")).toMatchObject({ status: 504, attempts: ["big-deadline:timeout", "big-deadline:timeout"] });
  }, 30_000);

  it("fail the issue's test that expects the fallback to answer", async () => {
    const wrong = policyDir({
      "main.route": `gateway { deadline 1.5s }
provider p { api mock }
model big = p/"big"
model son = p/"son"
route chat { when model == "chat" to big fallback son retry 1 timeout 1s }
test "big times out, son answers" {
  request { model "chat" }
  given big fails timeout
  expect attempts [big, son]
  expect status 200
}
`,
    });
    const out = await aigw(["check", wrong]);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain("expected attempts [big, son], got [big]");
    expect(out.stdout).toContain("expected status 200, got 504");
    expect(out.stdout).toContain("the request deadline passed before a target answered; 2 tries, the last failing with timeout");
  });
});
