/** The fake upstreams themselves: other suites rely on them not leaking servers. */
import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { behave, closeAllUpstreams, refusedBaseUrl, startUpstream } from "../support/upstreams.js";

function post(url: string, body: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

describe("fake upstreams", () => {
  it("apply queued behaviours in order, then the default, and record requests", async () => {
    const up = await startUpstream("openai");
    up.next(behave.fail(429, { retryAfter: "1" }));
    const first = await post(`${up.baseUrl}/chat/completions`, { model: "m", messages: [] });
    const second = await post(`${up.baseUrl}/chat/completions`, { model: "m", messages: [] });
    expect([first.status, second.status]).toEqual([429, 200]);
    expect(JSON.parse(second.text)).toMatchObject({ object: "chat.completion", model: "m" });
    expect(up.requests.map((r) => [r.method, r.path, r.body.model])).toEqual([
      ["POST", "/v1/chat/completions", "m"],
      ["POST", "/v1/chat/completions", "m"],
    ]);
    await up.close();
  });

  it("close() ends stalled requests and closeAllUpstreams() stops every server", async () => {
    const a = await startUpstream("anthropic");
    const b = await startUpstream("openai");
    a.setDefault(behave.stallHeaders());
    const pending = post(`${a.baseUrl}/v1/messages`, { model: "m", messages: [] }).catch((e: unknown) => e);
    await a.waitForRequests(1);
    await closeAllUpstreams();
    expect(await pending).toBeInstanceOf(Error);
    expect(await post(`${b.baseUrl}/chat/completions`, {}).catch((e: unknown) => e)).toMatchObject({ code: "ECONNREFUSED" });
    await closeAllUpstreams(); // idempotent
  });

  it("gives a refused base URL", async () => {
    const url = await refusedBaseUrl("openai");
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    await expect(post(`${url}/chat/completions`, {})).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
