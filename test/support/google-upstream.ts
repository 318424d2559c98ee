/**
 * A fake Google generative-AI upstream on 127.0.0.1: the Gemini API
 * (`/v1beta/models/{model}:generateContent`, `:streamGenerateContent?alt=sse`,
 * `:batchEmbedContents`, key in `x-goog-api-key`) or Vertex AI
 * (`/v1/projects/{p}/locations/{l}/publishers/google/models/{model}:…`,
 * a bearer token the fake token endpoint issued; Claude at
 * `publishers/anthropic/models/{model}:rawPredict` in the Messages wire,
 * answered by the Anthropic fake's reply builders). It validates requests
 * strictly, after the REST reference of `GenerateContentRequest`: unknown
 * fields anywhere, snake_case names, a content without a known role, a part
 * with no data or two kinds of data, a schema type not in capitals, an
 * OBJECT schema without properties, `allowedFunctionNames` without mode
 * ANY, a response schema without the JSON MIME type are all a 400
 * `INVALID_ARGUMENT` in Google's error shape `{ error: { code, message,
 * status } }`. Replies are `GenerateContentResponse`s (JSON, or SSE events
 * of partial responses separated by `\r\n\r\n`, ending with the connection).
 */

import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { replyEvents, replyJson, type ReplySpec } from "./upstreams.js";

export type GoogleKind = "gemini" | "vertex";

export interface GoogleReply {
  /** Default `fine, thanks`; empty for none. */
  text?: string;
  toolCalls?: { name: string; args: Record<string, unknown>; id?: string }[];
  /** Default STOP. */
  finishReason?: string;
  /** The prompt was blocked: no candidates, `promptFeedback.blockReason`. */
  blockReason?: string;
  usage?: { prompt: number; candidates: number; cached?: number; thoughts?: number };
  /** A thought summary part before the answer. */
  thought?: string;
  candidates?: number;
}

export type GoogleBehaviour =
  | { kind: "reply"; reply: GoogleReply }
  | { kind: "fail"; status: number; message?: string; echoAuth?: boolean }
  | { kind: "stall" }
  /** A stream whose first event arrives, then an `{ error }` event. */
  | { kind: "stream-error"; status: number }
  /** A stream that ends without a finish reason. */
  | { kind: "cut" };

export interface GoogleRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
  aborted: Promise<void>;
}

export interface GoogleUpstream {
  readonly kind: GoogleKind;
  /** What a provider's `base_url` takes: `…/v1beta` for Gemini, the origin for Vertex. */
  readonly baseUrl: string;
  readonly requests: GoogleRequest[];
  next(...b: GoogleBehaviour[]): void;
  waitForRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

const STATUS: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

export interface GoogleUpstreamOptions {
  /** Gemini: the API key expected in `x-goog-api-key`. */
  apiKey?: string;
  /** Vertex: is this bearer token valid? */
  tokenValid?: (token: string) => boolean;
  /** Vertex: the project and location the path must name. */
  project?: string;
  location?: string;
}

/** Starts a fake of `kind`. */
export async function startGoogleUpstream(kind: GoogleKind, opts: GoogleUpstreamOptions): Promise<GoogleUpstream> {
  const sockets = new Set<Socket>();
  const queue: GoogleBehaviour[] = [];
  const requests: GoogleRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const route =
    kind === "gemini"
      ? /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)(\?.*)?$/
      : new RegExp(`^/v1/projects/${opts.project}/locations/${opts.location}/publishers/google/models/([^/:]+):(generateContent|streamGenerateContent)(\\?.*)?$`);

  const anthropicRoute = new RegExp(`^/v1/projects/${opts.project}/locations/${opts.location}/publishers/anthropic/models/([^/:]+):(rawPredict|streamRawPredict)$`);

  /** Claude on Vertex: the Messages wire, `anthropic_version` in the body and the model in the URL only. */
  function anthropicOnVertex(model: string, method: string, body: unknown, headers: IncomingHttpHeaders, res: import("node:http").ServerResponse, error: (status: number, message: string) => void): void {
    const auth = authProblem(kind, headers, opts);
    if (auth) return error(auth.status, auth.message);
    const b = isObj(body) ? body : {};
    if (b["anthropic_version"] !== "vertex-2023-10-16") return error(400, "anthropic_version: Input should be 'vertex-2023-10-16'");
    if ("model" in b) return error(400, "model: Extra inputs are not permitted (the model is named in the URL)");
    if (!Array.isArray(b["messages"]) || b["messages"].length === 0 || !Number.isInteger(b["max_tokens"])) return error(400, "messages and max_tokens are required");
    if ((method === "streamRawPredict") !== (b["stream"] === true)) return error(400, "streamRawPredict needs `stream: true`, rawPredict none");
    const behaviour = queue.shift() ?? { kind: "reply", reply: {} };
    if (behaviour.kind === "stall") return;
    if (behaviour.kind === "fail") return error(behaviour.status, (behaviour.message ?? `simulated ${behaviour.status}`) + (behaviour.echoAuth ? ` (saw ${headers["authorization"] ?? ""})` : ""));
    const r = behaviour.kind === "reply" ? behaviour.reply : {};
    const spec: ReplySpec = { model, text: r.text ?? (r.toolCalls ? "" : "fine, thanks"), toolCalls: (r.toolCalls ?? []).map((t) => ({ ...(t.id ? { id: t.id } : {}), name: t.name, arguments: t.args })) };
    if (method === "rawPredict") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(replyJson("anthropic", b, spec)));
    res.writeHead(200, { "content-type": "text/event-stream" }).end(replyEvents("anthropic", b, spec).join(""));
  }

  const server: Server = createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (raw += c));
    req.on("end", () => {
      let markAborted!: () => void;
      const aborted = new Promise<void>((r) => (markAborted = r));
      res.on("close", () => {
        if (!res.writableFinished) markAborted();
      });
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // kept as text; refused below
      }
      requests.push({ path: req.url ?? "", headers: req.headers, body, aborted });
      for (const w of waiters.filter((w) => requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      const error = (status: number, message: string) =>
        res.writeHead(status, { "content-type": "application/json; charset=UTF-8" }).end(JSON.stringify({ error: { code: status, message, status: STATUS[status] ?? "UNKNOWN" } }));
      const claude = kind === "vertex" && req.method === "POST" ? anthropicRoute.exec(req.url ?? "") : null;
      if (claude) return void anthropicOnVertex(claude[1]!, claude[2]!, body, req.headers, res, error);
      const m = req.method === "POST" ? route.exec(req.url ?? "") : null;
      if (!m) return error(404, `The requested URL ${req.url} was not found on this server.`);
      const [, model, method, query] = m as unknown as [string, string, string, string | undefined];
      const params = new URLSearchParams(query?.slice(1) ?? "");
      if (params.has("key")) return error(400, "API keys in the URL are not accepted by this fake (they end up in logs)");
      const auth = authProblem(kind, req.headers, opts);
      if (auth) return error(auth.status, auth.message);
      if (!String(req.headers["content-type"]).startsWith("application/json")) return error(400, "expected application/json");
      if (typeof body !== "object" || body === null) return error(400, "Invalid JSON payload received.");
      const problem = method === "batchEmbedContents" ? checkEmbed(body, model) : checkRequest(body, kind) ?? checkSignatures(body, model);
      if (problem) return error(400, problem);
      const b = queue.shift() ?? { kind: "reply", reply: {} };
      kindOfReplies = kind;
      if (b.kind === "stall") return; // never answered
      if (b.kind === "fail") {
        const message = (b.message ?? `simulated ${b.status}`) + (b.echoAuth ? ` (saw ${req.headers["x-goog-api-key"] ?? ""} ${req.headers["authorization"] ?? ""})` : "");
        return error(b.status, message);
      }
      if (method === "batchEmbedContents") return embed(res, body as { requests: { content: { parts: { text: string }[] } }[] });
      const streaming = method === "streamGenerateContent";
      if (streaming && params.get("alt") !== "sse") return error(400, "this fake streams with alt=sse only");
      const reply = b.kind === "reply" ? b.reply : {};
      if (!streaming) {
        return res.writeHead(200, { "content-type": "application/json; charset=UTF-8" }).end(JSON.stringify(whole(reply, model)));
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const events = streamed(reply, model);
      if (b.kind === "stream-error") {
        res.write(`data: ${JSON.stringify(events[0])}\r\n\r\n`);
        res.end(`data: ${JSON.stringify({ error: { code: b.status, message: "simulated mid-stream failure", status: STATUS[b.status] } })}\r\n\r\n`);
        return;
      }
      const sent = b.kind === "cut" ? events.slice(0, 1) : events;
      res.end(sent.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join(""));
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    kind,
    baseUrl: kind === "gemini" ? `${origin}/v1beta` : origin,
    requests,
    next: (...b) => void queue.push(...b),
    waitForRequests: (count) => (requests.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

function authProblem(kind: GoogleKind, headers: IncomingHttpHeaders, opts: GoogleUpstreamOptions): { status: number; message: string } | undefined {
  if (kind === "gemini") {
    const key = headers["x-goog-api-key"];
    if (key === undefined) return { status: 403, message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API." };
    if (key !== opts.apiKey) return { status: 400, message: "API key not valid. Please pass a valid API key." };
    return undefined;
  }
  const auth = String(headers["authorization"] ?? "");
  const token = auth.startsWith("Bearer ") ? auth.slice(7) : "";
  if (token === "" || !opts.tokenValid?.(token)) return { status: 401, message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential." };
  return undefined;
}

// ---------------------------------------------------------------- request validation

const REQUEST_FIELDS = ["contents", "systemInstruction", "tools", "toolConfig", "generationConfig", "safetySettings", "cachedContent"];
const VERTEX_ONLY = ["labels"];
const GENERATION_FIELDS = [
  "stopSequences",
  "responseMimeType",
  "responseSchema",
  "responseJsonSchema",
  "candidateCount",
  "maxOutputTokens",
  "temperature",
  "topP",
  "topK",
  "seed",
  "presencePenalty",
  "frequencyPenalty",
  "responseLogprobs",
  "logprobs",
  "thinkingConfig",
];
const SCHEMA_FIELDS = ["type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems", "properties", "required", "minProperties", "maxProperties", "minLength", "maxLength", "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum"];
const SCHEMA_TYPES = ["STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"];
const PART_DATA = ["text", "inlineData", "functionCall", "functionResponse", "fileData", "executableCode", "codeExecutionResult"];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Google's message for an unknown field: `Invalid JSON payload received. Unknown name "x" at 'y': Cannot find field.` */
function unknownField(o: Obj, allowed: readonly string[], at: string): string | undefined {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) return `Invalid JSON payload received. Unknown name "${k}" at '${at}': Cannot find field.`;
  return undefined;
}

function checkRequest(body: unknown, kind: GoogleKind): string | undefined {
  if (!isObj(body)) return "Invalid JSON payload received.";
  const top = unknownField(body, kind === "vertex" ? [...REQUEST_FIELDS, ...VERTEX_ONLY] : REQUEST_FIELDS, "");
  if (top) return top;
  if (!Array.isArray(body["contents"]) || body["contents"].length === 0) return "* GenerateContentRequest.contents: contents is not specified";
  for (const [i, c] of body["contents"].entries()) {
    const p = checkContent(c, `contents[${i}]`, kind === "vertex");
    if (p) return p;
  }
  if (body["systemInstruction"] !== undefined) {
    const p = checkContent(body["systemInstruction"], "system_instruction", false);
    if (p) return p;
  }
  const names: string[] = [];
  if (body["tools"] !== undefined) {
    if (!Array.isArray(body["tools"])) return "tools must be a list";
    for (const [i, t] of body["tools"].entries()) {
      if (!isObj(t)) return `tools[${i}] must be an object`;
      const p = unknownField(t, ["functionDeclarations", "googleSearch", "codeExecution"], `tools[${i}]`);
      if (p) return p;
      for (const [j, d] of ((t["functionDeclarations"] as unknown[]) ?? []).entries()) {
        if (!isObj(d)) return `tools[${i}].function_declarations[${j}] must be an object`;
        const q = unknownField(d, ["name", "description", "parameters", "parametersJsonSchema", "response"], `tools[${i}].function_declarations[${j}]`);
        if (q) return q;
        if (typeof d["name"] !== "string" || !/^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/.test(d["name"])) return `* GenerateContentRequest.tools[${i}].function_declarations[${j}].name: Invalid function name.`;
        names.push(d["name"]);
        if (d["parameters"] !== undefined) {
          const s = checkSchema(d["parameters"], `tools[${i}].function_declarations[${j}].parameters`);
          if (s) return s;
        }
      }
    }
  }
  if (body["toolConfig"] !== undefined) {
    const tc = body["toolConfig"];
    if (!isObj(tc) || !isObj(tc["functionCallingConfig"])) return "tool_config.function_calling_config must be an object";
    const p = unknownField(tc, ["functionCallingConfig"], "tool_config") ?? unknownField(tc["functionCallingConfig"], ["mode", "allowedFunctionNames"], "tool_config.function_calling_config");
    if (p) return p;
    const fc = tc["functionCallingConfig"];
    if (!["AUTO", "ANY", "NONE", "VALIDATED"].includes(String(fc["mode"]))) return `Invalid value at 'tool_config.function_calling_config.mode' (${String(fc["mode"])})`;
    if (fc["allowedFunctionNames"] !== undefined) {
      if (fc["mode"] !== "ANY") return "* GenerateContentRequest.tool_config.function_calling_config.allowed_function_names: only allowed when mode is ANY";
      for (const n of fc["allowedFunctionNames"] as string[]) if (!names.includes(n)) return `* allowed_function_names: \`${n}\` is not a declared function`;
    }
  }
  if (body["generationConfig"] !== undefined) {
    const g = body["generationConfig"];
    if (!isObj(g)) return "generation_config must be an object";
    const p = unknownField(g, GENERATION_FIELDS, "generation_config");
    if (p) return p;
    if (g["responseSchema"] !== undefined) {
      if (g["responseMimeType"] !== "application/json") return "* GenerateContentRequest.generation_config.response_schema: response_mime_type must be application/json";
      const s = checkSchema(g["responseSchema"], "generation_config.response_schema");
      if (s) return s;
    }
    if (g["thinkingConfig"] !== undefined) {
      const t = g["thinkingConfig"];
      if (!isObj(t)) return "thinking_config must be an object";
      const q = unknownField(t, ["thinkingBudget", "includeThoughts", "thinkingLevel"], "generation_config.thinking_config");
      if (q) return q;
      if (!Number.isInteger(t["thinkingBudget"])) return "thinking_budget must be an integer";
    }
    for (const k of ["temperature", "topP", "presencePenalty", "frequencyPenalty"]) if (g[k] !== undefined && typeof g[k] !== "number") return `generation_config.${k} must be a number`;
    for (const k of ["maxOutputTokens", "candidateCount", "seed", "topK"]) if (g[k] !== undefined && !Number.isInteger(g[k])) return `generation_config.${k} must be an integer`;
  }
  return undefined;
}

/**
 * Gemini 3 signs its function calls and refuses a conversation that sends
 * one back without its `thoughtSignature` (the fake's signature is the
 * base64 of the call's name).
 */
function checkSignatures(body: unknown, model: string): string | undefined {
  if (!model.startsWith("gemini-3")) return undefined;
  for (const [i, c] of ((body as Obj)["contents"] as Obj[]).entries()) {
    for (const [j, p] of (c["parts"] as Obj[]).entries()) {
      const call = p["functionCall"] as Obj | undefined;
      if (call && p["thoughtSignature"] !== signatureOf(String(call["name"]))) {
        return `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly. Additional data, function call \`default_api:${String(call["name"])}\` , position ${i}.${j}.`;
      }
    }
  }
  return undefined;
}

const signatureOf = (name: string): string => Buffer.from(`sig:${name}:${"x".repeat(40)}`).toString("base64");

function checkContent(c: unknown, at: string, roleRequired: boolean): string | undefined {
  if (!isObj(c)) return `${at} must be an object`;
  const p = unknownField(c, ["role", "parts"], at);
  if (p) return p;
  if (c["role"] === undefined ? roleRequired : c["role"] !== "user" && c["role"] !== "model") {
    return `* GenerateContentRequest.${at}.role: Please use a valid role: user, model.`;
  }
  if (!Array.isArray(c["parts"]) || c["parts"].length === 0) return `* GenerateContentRequest.${at}.parts: contents.parts must not be empty.`;
  for (const [i, part] of c["parts"].entries()) {
    if (!isObj(part)) return `${at}.parts[${i}] must be an object`;
    const q = unknownField(part, [...PART_DATA, "thought", "thoughtSignature", "videoMetadata"], `${at}.parts[${i}]`);
    if (q) return q;
    const kinds = PART_DATA.filter((k) => part[k] !== undefined);
    if (kinds.length !== 1) return `* GenerateContentRequest.${at}.parts[${i}].data: required oneof field 'data' must have one initialized field`;
    const d = part[kinds[0]!];
    if (kinds[0] === "text" && typeof d !== "string") return `${at}.parts[${i}].text must be a string`;
    if (kinds[0] === "inlineData") {
      if (!isObj(d) || typeof d["mimeType"] !== "string" || typeof d["data"] !== "string") return `${at}.parts[${i}].inline_data needs mime_type and data`;
      const r = unknownField(d, ["mimeType", "data"], `${at}.parts[${i}].inline_data`);
      if (r) return r;
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(d["data"])) return `Invalid value at '${at}.parts[${i}].inline_data.data' (TYPE_BYTES), Base64 decoding failed`;
    }
    if (kinds[0] === "functionCall" || kinds[0] === "functionResponse") {
      if (!isObj(d) || typeof d["name"] !== "string") return `${at}.parts[${i}].${kinds[0]} needs a name`;
      const r = unknownField(d, kinds[0] === "functionCall" ? ["id", "name", "args"] : ["id", "name", "response"], `${at}.parts[${i}]`);
      if (r) return r;
      if (kinds[0] === "functionResponse" && !isObj(d["response"])) return `${at}.parts[${i}].function_response.response must be an object`;
      if (kinds[0] === "functionCall" && d["args"] !== undefined && !isObj(d["args"])) return `${at}.parts[${i}].function_call.args must be an object`;
    }
  }
  return undefined;
}

function checkSchema(s: unknown, at: string): string | undefined {
  if (!isObj(s)) return `${at} must be an object`;
  const p = unknownField(s, SCHEMA_FIELDS, at);
  if (p) return p;
  if (s["type"] !== undefined && !SCHEMA_TYPES.includes(String(s["type"]))) return `Invalid value at '${at}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), "${String(s["type"])}"`;
  if (s["type"] === "OBJECT" && (!isObj(s["properties"]) || Object.keys(s["properties"]).length === 0)) return `* GenerateContentRequest.${at}.properties: should be non-empty for OBJECT type`;
  if (s["enum"] !== undefined && !(Array.isArray(s["enum"]) && s["enum"].every((e) => typeof e === "string"))) return `${at}.enum must list strings`;
  for (const [k, v] of Object.entries(isObj(s["properties"]) ? s["properties"] : {})) {
    const q = checkSchema(v, `${at}.properties[${k}].value`);
    if (q) return q;
  }
  if (s["items"] !== undefined) return checkSchema(s["items"], `${at}.items`);
  for (const [i, v] of (Array.isArray(s["anyOf"]) ? s["anyOf"] : []).entries()) {
    const q = checkSchema(v, `${at}.any_of[${i}]`);
    if (q) return q;
  }
  return undefined;
}

function checkEmbed(body: unknown, model: string): string | undefined {
  if (!isObj(body)) return "Invalid JSON payload received.";
  const p = unknownField(body, ["requests"], "");
  if (p) return p;
  if (!Array.isArray(body["requests"]) || body["requests"].length === 0) return "* BatchEmbedContentsRequest.requests: requests must not be empty";
  for (const [i, r] of body["requests"].entries()) {
    if (!isObj(r)) return `requests[${i}] must be an object`;
    const q = unknownField(r, ["model", "content", "taskType", "title", "outputDimensionality"], `requests[${i}]`);
    if (q) return q;
    if (r["model"] !== `models/${model}`) return `* BatchEmbedContentsRequest.requests[${i}].model: the model must be models/${model}`;
    const c = checkContent(r["content"], `requests[${i}].content`, false);
    if (c) return c;
  }
  return undefined;
}

// ---------------------------------------------------------------- replies

/** Set by each server before it answers; both kinds share these reply builders. */
let kindOfReplies: GoogleKind = "gemini";

function usageOf(r: GoogleReply): Record<string, unknown> {
  const u = r.usage ?? { prompt: 11, candidates: 7 };
  const out: Record<string, number> = { promptTokenCount: u.prompt, candidatesTokenCount: u.candidates, totalTokenCount: u.prompt + u.candidates + (u.thoughts ?? 0) };
  if (u.cached !== undefined) out["cachedContentTokenCount"] = u.cached;
  if (u.thoughts !== undefined) out["thoughtsTokenCount"] = u.thoughts;
  // As Google sends them: per-modality details, and on Vertex the traffic type.
  return { ...out, promptTokensDetails: [{ modality: "TEXT", tokenCount: u.prompt }], ...(kindOfReplies === "vertex" ? { trafficType: "ON_DEMAND" } : {}) };
}

function partsOf(r: GoogleReply, model: string): Obj[] {
  const parts: Obj[] = [];
  if (r.thought) parts.push({ text: r.thought, thought: true });
  const text = r.text ?? (r.toolCalls ? "" : "fine, thanks");
  if (text !== "") parts.push({ text });
  for (const t of r.toolCalls ?? []) {
    const signed = model.startsWith("gemini-3") ? { thoughtSignature: signatureOf(t.name) } : {};
    parts.push({ functionCall: { ...(t.id ? { id: t.id } : {}), name: t.name, args: t.args }, ...signed });
  }
  return parts;
}

let responses = 0;

function whole(r: GoogleReply, model: string): Obj {
  const base = { usageMetadata: usageOf(r), modelVersion: model, responseId: `resp-${++responses}` };
  if (r.blockReason) return { promptFeedback: { blockReason: r.blockReason }, ...base };
  const candidates = Array.from({ length: r.candidates ?? 1 }, (_, index) => ({ content: { role: "model", parts: partsOf(r, model) }, finishReason: r.finishReason ?? "STOP", index }));
  return { candidates, ...base };
}

/** The text in two events, tool calls whole in the next, the finish reason and full usage in the last. */
function streamed(r: GoogleReply, model: string): Obj[] {
  const id = `resp-${++responses}`;
  const usage = usageOf(r);
  const meta = { modelVersion: model, responseId: id };
  if (r.blockReason) return [{ promptFeedback: { blockReason: r.blockReason }, usageMetadata: usage, ...meta }];
  const parts = partsOf(r, model);
  const events: Obj[] = [];
  const early = { promptTokenCount: usage["promptTokenCount"], totalTokenCount: usage["promptTokenCount"] };
  for (const p of parts) {
    if (typeof p["text"] === "string" && p["thought"] !== true && (p["text"] as string).length > 1) {
      const t = p["text"] as string;
      const cut = Math.ceil(t.length / 2);
      events.push({ candidates: [{ content: { role: "model", parts: [{ text: t.slice(0, cut) }] }, index: 0 }], usageMetadata: early, ...meta });
      events.push({ candidates: [{ content: { role: "model", parts: [{ text: t.slice(cut) }] }, index: 0 }], usageMetadata: early, ...meta });
    } else events.push({ candidates: [{ content: { role: "model", parts: [p] }, index: 0 }], usageMetadata: early, ...meta });
  }
  events.push({ candidates: [{ content: { role: "model", parts: [{ text: "" }] }, finishReason: r.finishReason ?? "STOP", index: 0 }], usageMetadata: usage, ...meta });
  return events;
}

function embed(res: import("node:http").ServerResponse, body: { requests: { content: { parts: { text: string }[] } }[] }): void {
  const embeddings = body.requests.map((r) => {
    const text = r.content.parts.map((p) => p.text).join("");
    return { values: [text.length, text.charCodeAt(0) || 0, 0.5] };
  });
  res.writeHead(200, { "content-type": "application/json; charset=UTF-8" }).end(JSON.stringify({ embeddings }));
}
