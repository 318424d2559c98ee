/**
 * A fake Azure OpenAI resource on 127.0.0.1, strict per Azure's data-plane
 * reference (2024-10-21): `POST /openai/deployments/{deployment}/chat/completions`
 * and `/embeddings` with an `api-version` query parameter, authenticated by
 * an `api-key` header or an Entra ID `Authorization: Bearer` token; a body
 * that names no `model` (the deployment does). Replies are OpenAI's with
 * Azure's content-filter annotations (`prompt_filter_results` on the reply
 * and on a first stream chunk that has no choices, `content_filter_results`
 * per choice), errors Azure's `{ error: { code, message, … } }`, a filtered
 * prompt a 400 with `code: content_filter` and
 * `innererror.code: ResponsibleAIPolicyViolation`.
 */

import type { ServerResponse } from "node:http";
import { replyEvents, replyJson, type ReplySpec } from "./upstreams.js";
import { sendJson, startStrictServer, type StrictRequest, type StrictServer } from "./strict-upstream.js";

export type AzureBehaviour =
  | { kind: "reply"; reply: ReplySpec; filtered?: boolean }
  | { kind: "status"; status: number; code?: string; echoAuth?: boolean }
  | { kind: "content-filter" }
  | { kind: "stall" };

export const azureBehave = {
  reply: (reply: ReplySpec = {}): AzureBehaviour => ({ kind: "reply", reply }),
  /** A reply the output filter cut: `finish_reason: content_filter`, a filtered category. */
  filteredReply: (): AzureBehaviour => ({ kind: "reply", reply: { text: "partial" }, filtered: true }),
  fail: (status: number, opts: { code?: string; echoAuth?: boolean } = {}): AzureBehaviour => ({ kind: "status", status, ...opts }),
  /** The prompt was filtered: 400, `content_filter`, ResponsibleAIPolicyViolation. */
  contentFilter: (): AzureBehaviour => ({ kind: "content-filter" }),
  stall: (): AzureBehaviour => ({ kind: "stall" }),
};

export interface AzureUpstream extends StrictServer<AzureBehaviour> {
  /** The resource endpoint, what `base_url` takes. */
  readonly baseUrl: string;
  /** Problems found in requests (a test fails when any is unexpected). */
  readonly violations: string[];
}

const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;
const PATH = /^\/openai\/deployments\/([^/?]+)\/(chat\/completions|embeddings)$/;

const SAFE = { filtered: false, severity: "safe" };
const FILTERS = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
const PROMPT_FILTERS = [{ prompt_index: 0, content_filter_results: FILTERS }];

function azureError(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, unknown> = {}): void {
  sendJson(res, status, { error: { code, message, ...extra } }, status === 429 ? { "retry-after": "1", "retry-after-ms": "1000" } : {});
}

export async function startAzureUpstream(auth: { apiKey?: string; token?: string; deployments: string[] }): Promise<AzureUpstream> {
  const violations: string[] = [];
  const server = await startStrictServer<AzureBehaviour>(azureBehave.reply(), (req, behaviour, res) => handle(req, behaviour, res));

  function handle(req: StrictRequest, b: AzureBehaviour, res: ServerResponse): void {
    const url = new URL(req.url, "http://x");
    const path = PATH.exec(url.pathname);
    const version = url.searchParams.get("api-version");
    if (req.method !== "POST" || path === null) return azureError(res, 404, "404", "Resource not found");
    if (version === null || !API_VERSION.test(version)) {
      violations.push(`api-version ${String(version)}`);
      return azureError(res, 404, "404", "Resource not found");
    }
    const keyOk = auth.apiKey !== undefined && req.headers["api-key"] === auth.apiKey;
    const tokenOk = auth.token !== undefined && req.headers["authorization"] === `Bearer ${auth.token}`;
    if (!keyOk && !tokenOk) {
      violations.push("auth");
      return azureError(res, 401, "401", "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.");
    }
    const deployment = decodeURIComponent(path[1]!);
    if (!auth.deployments.includes(deployment)) {
      return azureError(res, 404, "DeploymentNotFound", "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.");
    }
    const body = req.json as Record<string, unknown> | undefined;
    if (req.headers["content-type"] !== "application/json" || typeof body !== "object" || body === null) {
      violations.push("body is not JSON");
      return azureError(res, 400, "BadRequest", "the request body is not JSON");
    }
    if ("model" in body) violations.push("the body names a model; Azure takes the deployment from the path");
    if (path[2] === "embeddings") return embeddings(body, deployment, res);
    if (!Array.isArray(body["messages"]) || body["messages"].length === 0) {
      violations.push("no messages");
      return azureError(res, 400, "BadRequest", "'messages' is a required property");
    }
    switch (b.kind) {
      case "stall":
        return;
      case "status": {
        const echoed = b.echoAuth ? ` (credential ${String(req.headers["api-key"] ?? req.headers["authorization"])})` : "";
        return azureError(res, b.status, b.code ?? String(b.status), `the service failed${echoed}`);
      }
      case "content-filter":
        return azureError(
          res,
          400,
          "content_filter",
          "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
          { param: "prompt", status: 400, type: null, innererror: { code: "ResponsibleAIPolicyViolation", content_filter_result: { ...FILTERS, violence: { filtered: true, severity: "high" } } } },
        );
      case "reply":
        return reply(body, deployment, b, res);
    }
  }

  function reply(body: Record<string, unknown>, deployment: string, b: Extract<AzureBehaviour, { kind: "reply" }>, res: ServerResponse): void {
    const spec: ReplySpec = { model: deployment, ...b.reply };
    const choiceFilters = b.filtered ? { ...FILTERS, violence: { filtered: true, severity: "medium" } } : FILTERS;
    if (body["stream"] !== true) {
      const json = replyJson("openai", body, spec) as { choices: Record<string, unknown>[] } & Record<string, unknown>;
      for (const c of json.choices) {
        c["content_filter_results"] = choiceFilters;
        if (b.filtered) c["finish_reason"] = "content_filter";
      }
      return sendJson(res, 200, { ...json, prompt_filter_results: PROMPT_FILTERS });
    }
    const events = replyEvents("openai", body, spec).map((e) => (b.filtered ? e.replace('"finish_reason":"stop"', '"finish_reason":"content_filter"') : e));
    const first = `data: ${JSON.stringify({ choices: [], created: 0, id: "", model: "", object: "", prompt_filter_results: PROMPT_FILTERS })}\n\n`;
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    res.end([first, ...events].join(""));
  }

  function embeddings(body: Record<string, unknown>, deployment: string, res: ServerResponse): void {
    const input = body["input"];
    const inputs = Array.isArray(input) ? input : [input];
    if (inputs.length === 0 || inputs.some((i) => typeof i !== "string")) return azureError(res, 400, "BadRequest", "'input' is invalid");
    const data = inputs.map((_, index) => ({ object: "embedding", index, embedding: [0.1, 0.2, 0.3] }));
    return sendJson(res, 200, { object: "list", data, model: `${deployment}-embedding`, usage: { prompt_tokens: 4 * inputs.length, total_tokens: 4 * inputs.length } });
  }

  return Object.assign(server, { baseUrl: server.origin, violations });
}
