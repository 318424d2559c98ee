/**
 * `expect header` and `aigw serve` agree (issue 18): the rate-limit headers
 * a real `aigw serve` process gives a real client (the official OpenAI SDK,
 * through a fake OpenAI upstream) are what `aigw check` says a test with
 * the matching `given limit … used` expects — for a fresh counter (tokens
 * too: the same body, the same worst case reserved), after three requests,
 * and on the 429 once the limit is used up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { aigw, policyDir } from "../support/cli.js";
import { closeAllUpstreams, startUpstream } from "../support/upstreams.js";
import { startServe, stopServes, type ServeProcess } from "../budget/child/serve-process.js";

const NAMES = ["limit", "remaining"].flatMap((w) => ["requests", "tokens"].map((k) => `x-ratelimit-${w}-${k}`));

function policy(baseUrl: string, tests: string): string {
  return `gateway { auth none }
provider up { api openai base_url "${baseUrl}" }
model big = up/"big-model" { input $1/Mtok output $1/Mtok context 8k max_output 1k }
limit rpm { per key requests 5 per minute tokens 100k per minute }
route chat { when model == "chat" limit rpm to big }
${tests}`;
}

async function headersOf(client: OpenAI): Promise<{ status: number; headers: Record<string, string | null> }> {
  const pick = (h: Headers | undefined): Record<string, string | null> => Object.fromEntries([...NAMES, "retry-after"].map((n) => [n, h?.get(n) ?? null]));
  try {
    const { response } = await client.chat.completions.create({ model: "chat", messages: [{ role: "user", content: "hello" }], max_tokens: 100 }).withResponse();
    return { status: response.status, headers: pick(response.headers) };
  } catch (e) {
    if (!(e instanceof OpenAI.APIError) || e.status === undefined) throw e;
    return { status: e.status, headers: pick(e.headers) };
  }
}

describe("expect header and aigw serve", () => {
  let served: ServeProcess;
  let client: OpenAI;
  let baseUrl: string;

  beforeAll(async () => {
    baseUrl = (await startUpstream("openai")).baseUrl;
    served = await startServe(policyDir({ "main.route": policy(baseUrl, "") }), {});
    client = new OpenAI({ baseURL: `${served.base}/v1`, apiKey: "unused", maxRetries: 0 });
  }, 30_000);
  afterAll(async () => {
    await stopServes();
    await closeAllUpstreams();
  });

  it("a test states the headers the server sends", async () => {
    const seen = [];
    for (let i = 0; i < 6; i++) seen.push(await headersOf(client));
    expect(seen.map((s) => s.status)).toEqual([200, 200, 200, 200, 200, 429]);
    const expectations = (h: Record<string, string | null>, names: readonly string[]): string =>
      names.map((n) => `  expect header "${n}" "${h[n]}"`).join("\n");
    const request = `request { model "chat" input "hello" max_tokens 100 }`;
    const tests = [
      // A fresh counter: requests and tokens alike (the tokens header is the worst case the admission reserved).
      `test "first" {\n  ${request}\n${expectations(seen[0]!.headers, NAMES)}\n}`,
      // Three requests before it (their tokens are settled at their usage by then, so only requests are compared).
      `test "fourth" {\n  ${request}\n  given limit rpm used 3\n${expectations(seen[3]!.headers, ["x-ratelimit-limit-requests", "x-ratelimit-remaining-requests"])}\n}`,
      `test "refused" {\n  ${request}\n  given limit rpm used 5\n  expect rejected by rpm\n${expectations(seen[5]!.headers, ["x-ratelimit-limit-requests", "x-ratelimit-remaining-requests"])}\n}`,
    ].join("\n");
    expect(seen[0]!.headers["x-ratelimit-remaining-requests"]).toBe("4");
    expect(seen[3]!.headers["x-ratelimit-remaining-requests"]).toBe("1");
    expect(seen[5]!.headers["retry-after"]).not.toBeNull();
    const dir = policyDir({ "main.route": policy(baseUrl, tests) });
    const checked = await aigw(["check", dir]);
    expect(checked.stdout).toContain("3 tests passed");
    expect(checked.code).toBe(0);
  }, 90_000);
});
