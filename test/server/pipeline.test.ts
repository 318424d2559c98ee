/**
 * The pipeline steps on their own, without a server: request validation
 * paths, authentication, request ids, the attempts header, error mapping,
 * and `execute` driven with a fake clock, sleep and providers (deadline,
 * backoff, Retry-After, client abort).
 */
import { decodeChat } from "../../runtime/request/index.js";
import { describe, expect, it } from "vitest";
import { decide, makeFacts, prepare, type RoutedDecision } from "../../runtime/engine/index.js";
import { authenticate, bearerToken, CallerIndex, hashKey } from "../../runtime/pipeline/auth.js";
import { GatewayError, toErrorReply } from "../../runtime/pipeline/errors.js";
import { execute, type ExecuteOptions } from "../../runtime/pipeline/execute.js";
import { attemptsHeader } from "../../runtime/pipeline/headers.js";
import { requestIds } from "../../runtime/pipeline/request-id.js";
import type { Runtime } from "../../runtime/pipeline/runtime.js";
import { parseChatRequest } from "../../runtime/pipeline/validate.js";
import { UpstreamStatusError, UpstreamTimeoutError, type Attempt, type Completion, type Providers } from "../../runtime/providers/index.js";
import { KEY, KEY_HASH, policy } from "./helpers.js";

function paramOf(body: unknown): string | null | undefined {
  try {
    parseChatRequest(typeof body === "string" ? body : JSON.stringify(body));
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return (err as GatewayError).param;
  }
}

const msg = (content: unknown, role = "user") => ({ role, content });

describe("validate", () => {
  it("accepts a full, valid request and keeps unknown fields", () => {
    const body = {
      model: "chat",
      messages: [
        msg("be brief", "system"),
        msg([{ type: "text", text: "hi" }, { type: "image_url", image_url: { url: "data:x" } }]),
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "c1", content: "42" },
      ],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 10,
      temperature: 0.5,
      stop: ["x"],
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
      tool_choice: { type: "function", function: { name: "f" } },
      metadata: { a: "b" },
      vendor_extension: { anything: 1 },
    };
    const r = parseChatRequest(JSON.stringify(body));
    expect(r.vendor_extension).toEqual({ anything: 1 });
  });

  it("names the JSON path of the bad field", () => {
    expect(paramOf("[1]")).toBe(null);
    expect(paramOf("")).toBe(null);
    expect(paramOf({ model: 1, messages: [msg("x")] })).toBe("model");
    expect(paramOf({ model: "m", messages: [] })).toBe("messages");
    expect(paramOf({ model: "m", messages: [msg("x", "robot")] })).toBe("messages[0].role");
    expect(paramOf({ model: "m", messages: [msg("x"), "nope"] })).toBe("messages[1]");
    expect(paramOf({ model: "m", messages: [msg(null)] })).toBe("messages[0].content");
    expect(paramOf({ model: "m", messages: [msg([{ type: "image_url", image_url: {} }])] })).toBe("messages[0].content[0].image_url.url");
    expect(paramOf({ model: "m", messages: [{ role: "tool", content: "x" }] })).toBe("messages[0].tool_call_id");
    expect(paramOf({ model: "m", messages: [{ role: "assistant", tool_calls: [{ id: "1", function: { name: "f", arguments: {} } }] }] })).toBe(
      "messages[0].tool_calls[0].function.arguments",
    );
    expect(paramOf({ model: "m", messages: [msg("x")], stream_options: { include_usage: "yes" } })).toBe("stream_options.include_usage");
    expect(paramOf({ model: "m", messages: [msg("x")], n: -1 })).toBe("n");
    expect(paramOf({ model: "m", messages: [msg("x")], top_p: 2 })).toBe("top_p");
    expect(paramOf({ model: "m", messages: [msg("x")], stop: ["a", 1] })).toBe("stop[1]");
    expect(paramOf({ model: "m", messages: [msg("x")], tools: {} })).toBe("tools");
    expect(paramOf({ model: "m", messages: [msg("x")], tools: [{ type: "retrieval" }] })).toBe("tools[0].type");
    expect(paramOf({ model: "m", messages: [msg("x")], tool_choice: "sometimes" })).toBe("tool_choice");
    expect(paramOf({ model: "m", messages: [msg("x")], metadata: { k: 1 } })).toBe("metadata.k");
    expect(paramOf({ model: "m", messages: [msg("x")], response_format: { type: 1 } })).toBe("response_format.type");
  });

  it("treats null as absent for optional fields", () => {
    expect(paramOf({ model: "m", messages: [msg("x")], max_tokens: null, stream: null, temperature: null, tools: null })).toBeUndefined();
  });
});

describe("auth", () => {
  const graph = policy(`
provider demo { api mock }
keys { "${KEY_HASH}" team "search" user "ann" env "prod" }
model fast = demo/"x"
route chat { to fast }`);

  it("parses bearer tokens", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer   abc ")).toBe("abc");
    expect(bearerToken("Basic abc")).toBeUndefined();
    expect(bearerToken("Bearer ")).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it("hashes keys as sha256:<hex>", () => {
    expect(hashKey("foo")).toBe("sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae");
  });

  it("resolves a known key to its caller, every time", () => {
    for (let i = 0; i < 2; i++) {
      expect(authenticate(new CallerIndex(graph), `Bearer ${KEY}`)).toMatchObject({ key: KEY_HASH, team: "search", user: "ann", labels: { env: "prod" } });
    }
  });

  it("401 for unknown or missing keys, also when asked again", () => {
    for (let i = 0; i < 2; i++) {
      expect(() => authenticate(new CallerIndex(graph), "Bearer nope")).toThrow(expect.objectContaining({ status: 401, code: "invalid_api_key" }));
    }
    expect(() => authenticate(new CallerIndex(graph), undefined)).toThrow(expect.objectContaining({ status: 401 }));
  });

  it("auth none: anonymous unless a known key is sent", () => {
    const open = { ...graph, gateway: { ...graph.gateway, auth: "none" as const } };
    expect(authenticate(new CallerIndex(open), undefined)).toEqual({});
    expect(authenticate(new CallerIndex(open), "Bearer unknown")).toEqual({});
    expect(authenticate(new CallerIndex(open), `Bearer ${KEY}`).team).toBe("search");
  });
});

describe("request ids, headers and errors", () => {
  it("keeps a sane client id, else makes unique ones", () => {
    const ids = requestIds(() => 0.5);
    expect(ids("abc-123_x.y:z")).toBe("abc-123_x.y:z");
    const a = ids(undefined);
    const b = ids("has space");
    expect(a).toMatch(/^req_[0-9a-z]{8}_1$/);
    expect(b).not.toBe(a);
    expect(ids("x".repeat(200))).toMatch(/^req_/);
  });

  it("formats the attempts header", () => {
    expect(
      attemptsHeader([
        { model: "gpt-4o", retry: 0, cause: 429 },
        { model: "gpt-4o", retry: 1, cause: "timeout" },
        { model: "sonnet", retry: 0, cause: "ok" },
      ]),
    ).toBe("gpt-4o:429,gpt-4o:timeout,sonnet:200");
  });

  it("maps unexpected errors to a 500 that says nothing about them", () => {
    const r = toErrorReply(new Error("secret sk-live-123 in a stack"));
    expect(r.status).toBe(500);
    expect(r.body).not.toContain("sk-live");
    expect(JSON.parse(r.body)).toEqual({ error: { message: "internal error", type: "server_error", param: null, code: "internal_error" } });
  });
});

describe("execute", () => {
  const graph = policy(`
gateway { deadline 10s }
provider p { api mock timeout 2s }
model a = p/"a"
model b = p/"b"
route chat {
  to a
  fallback b on 429, 5xx, timeout
  retry 1 backoff 100ms
}`);
  const decision = decide(prepare(graph), makeFacts({ model: "chat" }), { budgetSpent: () => 0, limitUsed: () => 0, draw: () => 0 }) as RoutedDecision;

  /** Providers that answer from a script, a clock that the fake sleep advances. */
  function rig(script: Record<string, ((a: Attempt) => Completion | Error)[]>) {
    let now = 0;
    const calls: { model: string; timeoutMs: number | undefined; at: number }[] = [];
    const sleeps: number[] = [];
    const providers = {
      complete: async (a: Attempt) => {
        calls.push({ model: a.model, timeoutMs: a.timeoutMs, at: now });
        const next = script[a.model]!.shift()!(a);
        if (next instanceof Error) throw next;
        return next;
      },
    } as unknown as Providers;
    const rt = { graph, providers, needsTokenizer: false, tokenFloor: Infinity, modelsBody: "", problems: [] } as unknown as Runtime;
    const controller = new AbortController();
    const options: ExecuteOptions = {
      request: decodeChat({ model: "chat", messages: [{ role: "user", content: "x" }] }),
      stream: false,
      requestId: "r1",
      signal: controller.signal,
      deadlineAt: 10_000,
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
      random: () => 0.5,
    };
    return { rt, options, calls, sleeps, controller, advance: (ms: number) => (now += ms) };
  }
  const ok: Completion = { completion: { id: "x", object: "chat.completion", created: 0, model: "m", choices: [] }, usage: undefined };
  const status = (s: number, retryAfterMs?: number) => () => new UpstreamStatusError({ provider: "p" }, s, retryAfterMs === undefined ? {} : { retryAfterMs });

  it("retries with backoff, then falls back", async () => {
    const r = rig({ a: [status(500), status(503)], b: [() => ok] });
    const out = await execute(r.rt, decision, r.options);
    expect(out.kind).toBe("completion");
    expect(attemptsHeader(out.attempts)).toBe("a:500,a:503,b:200");
    expect(r.sleeps).toEqual([75]); // 100ms base, equal jitter at 0.5
  });

  it("waits for Retry-After when it is longer than the backoff", async () => {
    const r = rig({ a: [status(429, 1500), () => ok], b: [] });
    const out = await execute(r.rt, decision, r.options);
    expect(out.kind).toBe("completion");
    expect(r.sleeps).toEqual([1500]);
  });

  it("gives each try at most the time left before the deadline, and stops at it", async () => {
    const r = rig({
      a: [
        (a) => {
          r.advance(a.timeoutMs!);
          return new UpstreamTimeoutError({ provider: "p" }, a.timeoutMs!, "waiting");
        },
        (a) => {
          r.advance(a.timeoutMs!);
          return new UpstreamTimeoutError({ provider: "p" }, a.timeoutMs!, "waiting");
        },
      ],
      b: [],
    });
    r.options.deadlineAt = 3000;
    const out = await execute(r.rt, decision, r.options);
    expect(r.calls.map((c) => c.timeoutMs)).toEqual([2000, 925]);
    expect(out.kind).toBe("failed");
    if (out.kind === "failed") expect(out.error.status).toBe(504);
  });

  it("stops when the client goes away", async () => {
    const r = rig({ a: [status(500)], b: [() => ok] });
    r.options.sleep = async () => {
      r.controller.abort();
      throw new Error("aborted");
    };
    const out = await execute(r.rt, decision, r.options);
    expect(out.kind).toBe("aborted");
    expect(r.calls).toHaveLength(1);
  });
});
