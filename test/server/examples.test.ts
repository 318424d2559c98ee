/**
 * The examples' policy tests and the live server agree: for each test whose
 * request the server can reproduce (no `given`s, a caller it can
 * authenticate), a request sent to the real gateway gets the route, target,
 * attempts, status, block or redaction the test expects from `aigw check`.
 * Providers are swapped for the built-in mock (answering, as targets do in
 * policy tests unless a `given` says otherwise), so nothing leaves the machine.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { Graph, ProviderNode, TestCase } from "../../compiler/graph.js";
import { loadAndCompile } from "../../cli/policy.js";
import { CHAT_ENDPOINT } from "../../runtime/engine/index.js";
import { hashKey } from "../../runtime/pipeline/auth.js";
import { closeGateways, serve } from "./helpers.js";

afterAll(closeGateways);

/** Raw keys published in the policy's comments, found by hashing every word of its sources. */
function publishedKeys(graph: Graph, texts: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const text of texts) {
    for (const word of text.match(/[A-Za-z0-9_.-]{8,}/g) ?? []) {
      const h = hashKey(word);
      if (Object.hasOwn(graph.keys, h)) out.set(h, word);
    }
  }
  return out;
}

/** The graph with every provider replaced by a mock that answers at once. */
function mocked(graph: Graph): Graph {
  const providers: Record<string, ProviderNode> = {};
  for (const [name, p] of Object.entries(graph.providers)) {
    providers[name] = { api: "mock", timeoutMs: p.timeoutMs, mock: { latencyMs: 0, failRate: 0, failStatus: 500 }, span: p.span };
  }
  return { ...graph, providers, keys: { ...graph.keys } };
}

interface Live {
  status: number;
  route: string | null;
  target: string | null;
  attempts: string[];
  body: { error?: { code: string; message: string }; choices?: { message: { content: string } }[] };
}

for (const example of ["examples/quickstart", "examples/production"]) {
  describe(`${example}: policy tests agree with the live server`, () => {
    const loaded = loadAndCompile([example], {});
    const graph = loaded.graph!;
    const keys = publishedKeys(graph, loaded.texts.values());
    const live = mocked(graph);
    const token = new Map<TestCase, string | undefined>();
    const runnable: TestCase[] = [];
    for (const t of loaded.tests) {
      const r = t.request;
      if (t.given.length > 0 || r.inputTokens !== undefined || r.tools || r.images || (r.endpoint ?? CHAT_ENDPOINT) !== CHAT_ENDPOINT) continue;
      if (r.key !== undefined) {
        if (!keys.has(r.key) || r.team !== undefined || r.user !== undefined) continue;
        token.set(t, keys.get(r.key));
      } else if (r.team !== undefined || r.user !== undefined) {
        // a caller with exactly these labels, as `factsFromTestRequest` builds them
        const synthetic = `aigw-test-caller-${runnable.length}`;
        const labels: Record<string, string> = {};
        if (r.team !== undefined) labels.team = r.team;
        if (r.user !== undefined) labels.user = r.user;
        live.keys[hashKey(synthetic)] = { ...(r.team !== undefined ? { team: r.team } : {}), ...(r.user !== undefined ? { user: r.user } : {}), labels };
        token.set(t, synthetic);
      } else if (graph.gateway.auth === "keys") continue;
      runnable.push(t);
    }

    it("compiles and has tests the server can reproduce", () => {
      expect(loaded.graph).toBeDefined();
      expect(runnable.length).toBeGreaterThanOrEqual(3);
    });

    /** Whether the route the test names picks its target without chance (a `to`, not a split). */
    const fixedTarget = (route: string | null) => live.routes.find((r) => r.name === route)?.target.kind === "to";

    it.each(runnable.map((t) => [t.name, t] as const))("%s", async (_name, t) => {
      const { base } = await serve(live);
      const r = t.request;
      const headers: Record<string, string> = { "content-type": "application/json", ...r.headers };
      const tok = token.get(t);
      if (tok !== undefined) headers.authorization = `Bearer ${tok}`;
      const body: Record<string, unknown> = { model: r.model, messages: [{ role: "user", content: r.input ?? "" }] };
      if (Object.keys(r.metadata).length > 0) body.metadata = r.metadata;
      // What a test states of the request's needs (lang/SPEC.md §7.8) is sent as the fields that carry it.
      if (r.maxTokens !== undefined) body.max_tokens = r.maxTokens;
      if (r.jsonSchema) body.response_format = { type: "json_schema", json_schema: { name: "answer", schema: { type: "object" } } };
      const res = await fetch(`${base}/v1/chat/completions`, { method: "POST", headers, body: JSON.stringify(body) });
      const got: Live = {
        status: res.status,
        route: res.headers.get("x-aigw-route"),
        target: res.headers.get("x-aigw-target"),
        attempts: (res.headers.get("x-aigw-attempts") ?? "").split(",").filter(Boolean).map((a) => a.slice(0, a.lastIndexOf(":"))),
        body: (await res.json()) as Live["body"],
      };
      for (const e of t.expect) {
        switch (e.kind) {
          case "route":
            expect(got.route, "route").toBe(e.route);
            break;
          case "no-route":
            expect(got.status).toBe(404);
            break;
          case "status":
            expect(got.status, "status").toBe(e.status);
            break;
          case "blocked":
            expect(got.status).toBe(400);
            expect(got.body.error?.message).toContain(`\`${e.guardrail}\``);
            break;
          case "redacted":
            // the mock answers `mock: <last user message>`: what it saw is what the provider got
            expect(got.body.choices?.[0]?.message.content).toBe(`mock: ${e.text}`);
            break;
          case "target":
            // A wildcard answers as its table's row (`openai-any/o3`), which `expect target openai-any` names (lang/SPEC.md §4.3).
            if (fixedTarget(got.route)) expect(got.target?.startsWith(`${e.target}/`) ? e.target : got.target, "target").toBe(e.target);
            break;
          case "target-in":
            expect(e.targets).toContain(got.target);
            break;
          case "attempts":
            if (fixedTarget(got.route)) expect(got.attempts, "attempts").toEqual(e.targets);
            break;
          default:
            break; // flagged, retries: not visible in a response
        }
      }
    });
  });
}

