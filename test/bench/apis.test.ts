/**
 * The inbound-APIs bench (bench/scenarios/apis.ts), run briefly in this
 * process so it cannot rot: its policy (bench/proxy-apis.ts) served by a
 * real gateway in front of the bench's real mock upstream
 * (bench/mock-upstream.ts, which speaks chat, Messages and Responses),
 * and a few requests of each pair, JSON and streaming, as the closed loop
 * sends them. Every pair answers 200 in its own API, reaches the upstream
 * wire it is named for, and a pass-through pair answers the mock's own
 * bytes (its events, streaming).
 */
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMockUpstream, type MockUpstream } from "../../bench/mock-upstream.js";
import { ANTHROPIC_MESSAGE, anthropicEvents, RESPONSE, responsesEvents } from "../../bench/mock-wires.js";
import { apiPairs, apisPolicy } from "../../bench/proxy-apis.js";
import { BENCH_KEY } from "../../bench/proxy-features.js";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { closeGateways, policy, serve } from "../server/helpers.js";

let mock: MockUpstream;
let base: string;

beforeAll(async () => {
  mock = await startMockUpstream();
  ({ base } = await serve(policy(apisPolicy(`http://127.0.0.1:${mock.port}`, hashKey(BENCH_KEY)))));
});

afterAll(async () => {
  await closeGateways();
  await mock?.close();
});

/** How each API's reply begins (JSON) and how its stream ends. */
const SHAPE: Record<string, { json: RegExp; end: RegExp }> = {
  "/v1/chat/completions": { json: /"object":"chat\.completion"/, end: /\ndata: \[DONE\]\n\n$/ },
  "/v1/messages": { json: /"type":"message"/, end: /\nevent: message_stop\ndata: [^\n]*\n\n$/ },
  "/v1/responses": { json: /"object":"response"/, end: /\nevent: response\.completed\ndata: [^\n]*"usage":\{"input_tokens":\d+[^\n]*\n\n$/ },
};

/** What a pass-through pair of another API than chat must answer: the mock's own bytes. */
const PASSED: Record<string, { json: string; events: string }> = {
  "/v1/messages": { json: ANTHROPIC_MESSAGE, events: anthropicEvents().join("") },
  "/v1/responses": { json: RESPONSE, events: responsesEvents().join("") },
};

describe.each(apiPairs())("bench pair $name", (pair) => {
  it.each([false, true])("answers in its API and reaches its wire (stream %s)", async (stream) => {
    const before = mock.stats().byPath[pair.upstreamPath] ?? 0;
    for (let i = 0; i < 3; i++) {
      const res = await request(`${base}${pair.path}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${BENCH_KEY}` }, body: stream ? pair.streamBody : pair.body });
      const text = await res.body.text();
      expect(res.statusCode, text).toBe(200);
      const passed = pair.path === pair.upstreamPath ? PASSED[pair.path] : undefined;
      if (passed !== undefined) expect(text).toBe(stream ? passed.events : passed.json);
      else expect(text).toMatch(stream ? SHAPE[pair.path]!.end : SHAPE[pair.path]!.json);
    }
    expect((mock.stats().byPath[pair.upstreamPath] ?? 0) - before).toBe(3);
  });
});
