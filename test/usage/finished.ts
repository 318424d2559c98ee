/**
 * A finished request as the observer hands it to its sinks, for the ledger
 * and recent-requests tests: a caller of team search on route chat answered
 * by `mini` with 1000 prompt and 500 completion tokens; `over` and `extra`
 * set what differs.
 */
import { compileSources } from "../../compiler/index.js";
import type { FinishedRequest, RequestView } from "../../runtime/observe/index.js";
import { hashKey } from "../../runtime/pipeline/auth.js";

export const KEY = "sk-ledger-secret-0001";
export const graph = compileSources([
  {
    path: "main.route",
    text: `gateway { auth keys }
provider up { api mock }
keys { "${hashKey(KEY)}" team "search" user "ana" }
model mini = up/"gpt-4o-mini" { input $1/Mtok  output $2/Mtok }
model big = up/"gpt-4o" { input $10/Mtok  output $30/Mtok }
route chat { when model == "chat"  to mini  fallback big }
`,
  },
]).graph!;

export const T0 = Date.UTC(2026, 11, 7, 10, 0, 0);

/** A finished request as the observer hands it over; `over` sets what differs. */
export function finished(over: Partial<RequestView> = {}, extra: Partial<FinishedRequest> = {}): FinishedRequest {
  const view: RequestView = {
    requestId: "r",
    attempts: [{ model: "mini", cause: "ok", retry: 0 }] as RequestView["attempts"],
    status: 200,
    redacted: [],
    flagged: [],
    tries: [],
    caller: { key: hashKey(KEY), team: "search", user: "ana" },
    team: "search",
    route: "chat",
    target: "mini",
    model: "caller-chose-this-name",
    request: { api: "openai.chat" } as RequestView["request"],
    ...over,
  };
  return {
    graph,
    prepared: {} as FinishedRequest["prepared"],
    method: "POST",
    path: "/v1/chat/completions",
    view,
    written: { status: view.status, aborted: false },
    status: view.status,
    totalMs: 120,
    ttfbMs: 100,
    upstreamMs: 119.9,
    overheadMs: 0.1,
    usage: { promptTokens: 1000, completionTokens: 500 },
    cost: undefined,
    saved: undefined,
    ...extra,
  };
}

