/**
 * bench/proxy-health: what the health scenario (bench/scenarios/health.ts)
 * serves and the upstream it fails with. The route sends to `primary`, on a
 * flaky upstream in the orchestrator, and falls back to `backup`, on the
 * bench's mock upstream; with `health` on, the route names a health policy
 * with short ejections so that recovery happens within one run.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** How often a shared health policy syncs with the state store in the bench. */
export const SHARED_SYNC_MS = 100;

/**
 * The policy: with `health`, the route is under `health upstream`; with
 * `sharedDb` (a SQLite file), that policy is shared through it.
 */
export function healthPolicy(flaky: string, upstream: string, keyHash: string, health: boolean, sharedDb?: string): string {
  return `
gateway { auth keys${sharedDb !== undefined ? ` state sqlite(${JSON.stringify(sharedDb)})` : ""} }
provider flaky { api openai base_url "${flaky}/v1" timeout 10s }
provider up { api openai base_url "${upstream}/v1" timeout 10s }
keys { "${keyHash}" team "bench" }
model primary = flaky/"gpt-4o-mini"
model backup = up/"gpt-4o"
health upstream { on [5xx, timeout, connection]  consecutive 5  eject 500ms  max_eject 2s${sharedDb !== undefined ? `  shared ${SHARED_SYNC_MS}ms` : ""} }
route chat {
  when model == "chat"
  to primary
  fallback backup on 5xx, timeout
${health ? "  health upstream" : ""}
}
`;
}

/** A provider that answers, or fails with 503 after `failDelayMs` while failing is on; it counts what it received. */
export interface FlakyUpstream {
  readonly base: string;
  /** Requests received, and those answered 503. */
  requests: number;
  readonly failed: number;
  failing: boolean;
  close(): Promise<void>;
}

const COMPLETION = JSON.stringify({
  id: "chatcmpl-flaky",
  object: "chat.completion",
  created: 0,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "hello from the flaky upstream" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 250, completion_tokens: 64, total_tokens: 314 },
});
const OVERLOADED = JSON.stringify({ error: { message: "overloaded", type: "server_error", code: "overloaded" } });

/**
 * Starts the flaky upstream on 127.0.0.1. A failing provider usually takes
 * a while to say so (`failDelayMs`): that is what every request pays for a
 * failed first try.
 */
export async function startFlaky(failDelayMs: number): Promise<FlakyUpstream> {
  const state = { requests: 0, failed: 0, failing: false };
  const server: Server = createServer((req, res) => {
    state.requests++;
    req.resume();
    req.on("end", () => {
      if (!state.failing) {
        res.writeHead(200, { "content-type": "application/json" }).end(COMPLETION);
        return;
      }
      state.failed++;
      setTimeout(() => res.writeHead(503, { "content-type": "application/json" }).end(OVERLOADED), failDelayMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    set requests(n: number) {
      state.requests = n;
    },
    get failed() {
      return state.failed;
    },
    get failing() {
      return state.failing;
    },
    set failing(on: boolean) {
      state.failing = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
