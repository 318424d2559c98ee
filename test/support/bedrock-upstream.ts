/**
 * A fake Amazon Bedrock runtime on 127.0.0.1, strict per the Converse /
 * ConverseStream API reference. Every request's SigV4 signature is checked
 * with `aws4`, a different library from the adapter's signer
 * (`@smithy/signature-v4`): same credential scope, same signed headers,
 * same signature, a date within AWS's 15 minutes, the session token sent
 * (and signed) when the credentials have one. Bodies are validated the way
 * Bedrock does: known top-level fields only, no `modelId` in the body,
 * alternating roles starting with the user, exactly one member per content
 * block, non-blank text, image formats, tool blocks only with a
 * `toolConfig`, `toolChoice` with exactly one member. Replies are Converse
 * JSON; streams are AWS's binary event stream (prelude, typed headers,
 * CRCs) encoded with `@smithy/core`'s codec, each payload padded with the
 * `p` field real Bedrock adds; errors carry `x-amzn-errortype` and
 * `{ "message" }`.
 */

import type { ServerResponse } from "node:http";
import aws4 from "aws4";
import { EventStreamCodec, type MessageHeaders } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { createHash } from "node:crypto";
import { sendJson, startStrictServer, type StrictRequest, type StrictServer } from "./strict-upstream.js";

export interface BedrockReply {
  text?: string;
  toolCalls?: { id?: string; name: string; arguments: Record<string, unknown> }[];
  stopReason?: string;
  usage?: { input: number; output: number; cacheRead?: number; cacheWrite?: number };
  omitUsage?: boolean;
}

export type BedrockBehaviour =
  | { kind: "reply"; reply: BedrockReply }
  | { kind: "status"; status: number; type: string; message?: string; echoAuth?: boolean }
  /** A stream that sends `after` events, then an exception message (`:message-type: exception`). */
  | { kind: "stream-exception"; after: number; type: string; message: string }
  /** A stream whose `at`-th message has a broken CRC, or that ends mid-message. */
  | { kind: "broken-stream"; how: "crc" | "cut" }
  | { kind: "stall" };

export const bedrockBehave = {
  reply: (reply: BedrockReply = {}): BedrockBehaviour => ({ kind: "reply", reply }),
  fail: (status: number, type: string, opts: { message?: string; echoAuth?: boolean } = {}): BedrockBehaviour => ({ kind: "status", status, type, ...opts }),
  streamException: (type: string, message: string, after = 2): BedrockBehaviour => ({ kind: "stream-exception", after, type, message }),
  brokenStream: (how: "crc" | "cut"): BedrockBehaviour => ({ kind: "broken-stream", how }),
  stall: (): BedrockBehaviour => ({ kind: "stall" }),
};

export interface BedrockCredentials {
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface BedrockUpstream extends StrictServer<BedrockBehaviour> {
  readonly baseUrl: string;
  /** Requests that broke the API's rules (a test fails when any is unexpected). */
  readonly violations: string[];
  /** Model ids as Bedrock saw them (decoded from the path). */
  readonly modelIds: string[];
}

const TOP_LEVEL = new Set([
  "messages",
  "system",
  "inferenceConfig",
  "toolConfig",
  "guardrailConfig",
  "additionalModelRequestFields",
  "promptVariables",
  "additionalModelResponseFieldPaths",
  "requestMetadata",
  "performanceConfig",
]);
const BLOCK_KINDS = new Set(["text", "image", "document", "video", "toolUse", "toolResult", "guardContent", "cachePoint", "reasoningContent"]);
const INFERENCE = new Set(["maxTokens", "temperature", "topP", "stopSequences"]);
const IMAGE_FORMATS = new Set(["png", "jpeg", "gif", "webp"]);
const PATH = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/;

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** One event-stream message; `p` pads the payload as Bedrock does (clients must ignore it). */
export function eventFrame(type: string, payload: Record<string, unknown>): Uint8Array {
  const headers: MessageHeaders = {
    ":event-type": { type: "string", value: type },
    ":content-type": { type: "string", value: "application/json" },
    ":message-type": { type: "string", value: "event" },
  };
  return codec.encode({ headers, body: fromUtf8(JSON.stringify({ ...payload, p: "abcdefghijklmnopqrstuvwxyzABCDEF".slice(0, 5 + (type.length % 20)) })) });
}

export function exceptionFrame(type: string, message: string): Uint8Array {
  const headers: MessageHeaders = {
    ":exception-type": { type: "string", value: type },
    ":content-type": { type: "string", value: "application/json" },
    ":message-type": { type: "string", value: "exception" },
  };
  return codec.encode({ headers, body: fromUtf8(JSON.stringify({ message })) });
}

/** Checks `req`'s SigV4 signature with aws4; returns what is wrong, or undefined. */
export function verifySignature(req: StrictRequest, creds: BedrockCredentials, nowMs: number): string | undefined {
  const auth = req.headers["authorization"];
  if (typeof auth !== "string") return "no Authorization header";
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return "malformed Authorization header";
  const [, akid, date, region, service, signedHeaders] = m;
  if (akid !== creds.accessKeyId) return "unknown access key";
  if (region !== creds.region || service !== "bedrock") return `credential scope ${region}/${service}`;
  const amzDate = req.headers["x-amz-date"];
  if (typeof amzDate !== "string" || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date) return "x-amz-date missing or not the scope's date";
  const signedAt = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
  if (Math.abs(nowMs - signedAt) > 15 * 60_000) return "signature expired";
  const names = signedHeaders!.split(";");
  for (const required of ["host", "x-amz-date", "content-type"]) if (!names.includes(required)) return `\`${required}\` is not signed`;
  if (creds.sessionToken !== undefined) {
    if (req.headers["x-amz-security-token"] !== creds.sessionToken) return "x-amz-security-token missing or wrong";
    if (!names.includes("x-amz-security-token")) return "x-amz-security-token is not signed";
  } else if (req.headers["x-amz-security-token"] !== undefined) return "a session token was sent for long-term credentials";
  const sha = req.headers["x-amz-content-sha256"];
  if (sha !== undefined && sha !== createHash("sha256").update(req.text).digest("hex")) return "x-amz-content-sha256 is not the body's hash";
  const headers: Record<string, string> = {};
  for (const name of names) {
    const v = req.headers[name];
    if (typeof v !== "string") return `signed header \`${name}\` was not sent`;
    headers[name] = v;
  }
  // aws4 would add and sign a Content-Length; the adapter's signer does not sign it, nor does AWS require it.
  const request: aws4.Request & { extraHeadersToIgnore: Record<string, boolean> } = {
    host: headers["host"],
    method: req.method,
    path: req.url,
    service: "bedrock",
    region: creds.region,
    headers,
    body: req.text,
    extraHeadersToIgnore: { "content-length": true },
  };
  const expected = aws4.sign(
    request,
    { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, ...(creds.sessionToken ? { sessionToken: creds.sessionToken } : {}) },
  ).headers?.["Authorization"];
  return expected === auth ? undefined : "signature mismatch";
}

/** What Bedrock's validation would refuse in a Converse body, or undefined. */
export function validateConverse(body: unknown): string | undefined {
  if (!isObject(body)) return "the body is not a JSON object";
  for (const k of Object.keys(body)) if (!TOP_LEVEL.has(k)) return `unknown field \`${k}\``;
  const messages = body["messages"];
  if (!Array.isArray(messages) || messages.length === 0) return "`messages` must be a non-empty list";
  let usesTools = false;
  for (const [i, msg] of messages.entries()) {
    if (!isObject(msg) || (msg["role"] !== "user" && msg["role"] !== "assistant")) return `messages.${i}: role must be user or assistant`;
    if (i === 0 && msg["role"] !== "user") return "A conversation must start with a user message.";
    if (i > 0 && (messages[i - 1] as Record<string, unknown>)["role"] === msg["role"]) return "A conversation must alternate between user and assistant roles.";
    const content = msg["content"];
    if (!Array.isArray(content) || content.length === 0) return `messages.${i}.content must be a non-empty list`;
    for (const block of content) {
      if (!isObject(block) || Object.keys(block).length !== 1 || !BLOCK_KINDS.has(Object.keys(block)[0]!)) return `messages.${i}: a content block has exactly one known member`;
      const problem = validateBlock(block, `messages.${i}`);
      if (problem) return problem;
      if ("toolUse" in block || "toolResult" in block) usesTools = true;
    }
  }
  if (body["system"] !== undefined) {
    if (!Array.isArray(body["system"]) || body["system"].some((s) => !isObject(s) || typeof s["text"] !== "string" || s["text"].trim() === "")) return "`system` must be a list of non-blank text blocks";
  }
  const inference = body["inferenceConfig"];
  if (inference !== undefined) {
    if (!isObject(inference)) return "`inferenceConfig` must be an object";
    for (const k of Object.keys(inference)) if (!INFERENCE.has(k)) return `unknown field \`inferenceConfig.${k}\``;
  }
  const toolConfig = body["toolConfig"];
  if (toolConfig !== undefined) {
    if (!isObject(toolConfig) || !Array.isArray(toolConfig["tools"]) || toolConfig["tools"].length === 0) return "`toolConfig.tools` must be a non-empty list";
    for (const t of toolConfig["tools"]) {
      const spec = isObject(t) ? t["toolSpec"] : undefined;
      if (!isObject(spec) || typeof spec["name"] !== "string" || !isObject(spec["inputSchema"]) || !isObject(spec["inputSchema"]["json"])) return "a tool needs `toolSpec.name` and `toolSpec.inputSchema.json`";
    }
    const choice = toolConfig["toolChoice"];
    if (choice !== undefined && (!isObject(choice) || Object.keys(choice).length !== 1 || !["auto", "any", "tool"].includes(Object.keys(choice)[0]!))) return "`toolChoice` has exactly one of auto, any, tool";
  } else if (usesTools) return "The toolConfig field must be defined when using toolUse and toolResult content blocks.";
  return undefined;
}

function validateBlock(block: Record<string, unknown>, where: string): string | undefined {
  if ("text" in block && (typeof block["text"] !== "string" || block["text"].trim() === "")) return `${where}: text content blocks must be non-empty`;
  if ("image" in block) {
    const image = block["image"];
    if (!isObject(image) || !IMAGE_FORMATS.has(String(image["format"])) || !isObject(image["source"]) || typeof image["source"]["bytes"] !== "string") return `${where}: an image needs a format and source.bytes`;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(image["source"]["bytes"])) return `${where}: image bytes are not base64`;
  }
  if ("toolUse" in block) {
    const t = block["toolUse"];
    if (!isObject(t) || typeof t["toolUseId"] !== "string" || typeof t["name"] !== "string" || !isObject(t["input"])) return `${where}: toolUse needs toolUseId, name and an input object`;
  }
  if ("toolResult" in block) {
    const t = block["toolResult"];
    if (!isObject(t) || typeof t["toolUseId"] !== "string" || !Array.isArray(t["content"]) || t["content"].length === 0) return `${where}: toolResult needs toolUseId and content`;
  }
  return undefined;
}

function awsError(res: ServerResponse, status: number, type: string, message: string): void {
  const headers: Record<string, string> = { "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, "x-amzn-requestid": "0f2c5a5e-fake" };
  sendJson(res, status, { message }, headers);
}

export async function startBedrockUpstream(creds: BedrockCredentials, modelIds: string[], now: () => number = Date.now): Promise<BedrockUpstream> {
  const violations: string[] = [];
  const seen: string[] = [];
  const server = await startStrictServer<BedrockBehaviour>(bedrockBehave.reply(), handle);

  async function handle(req: StrictRequest, b: BedrockBehaviour, res: ServerResponse): Promise<void> {
    const path = PATH.exec(req.url);
    if (req.method !== "POST" || path === null) return awsError(res, 404, "UnknownOperationException", "Unknown operation");
    const badSignature = verifySignature(req, creds, now());
    if (badSignature !== undefined) {
      violations.push(badSignature);
      return awsError(res, 403, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.");
    }
    const modelId = decodeURIComponent(path[1]!);
    seen.push(modelId);
    if (!modelIds.includes(modelId)) return awsError(res, 400, "ValidationException", "The provided model identifier is invalid.");
    if (!String(req.headers["content-type"]).startsWith("application/json")) violations.push("content-type");
    if (path[2] === "invoke") return invoke(modelId, req, b, res);
    const invalid = validateConverse(req.json);
    if (invalid !== undefined) {
      violations.push(invalid);
      return awsError(res, 400, "ValidationException", invalid);
    }
    const stream = path[2] === "converse-stream";
    switch (b.kind) {
      case "stall":
        return;
      case "status": {
        const echoed = b.echoAuth ? ` (${String(req.headers["authorization"])} ${String(req.headers["x-amz-security-token"] ?? "")} ${creds.secretAccessKey})` : "";
        return awsError(res, b.status, b.type, `${b.message ?? "the service failed"}${echoed}`);
      }
      case "reply":
        return stream ? writeFrames(res, streamFrames(b.reply)) : sendJson(res, 200, converseJson(b.reply), { "x-amzn-requestid": "0f2c5a5e-fake" });
      case "stream-exception":
        return writeFrames(res, [...streamFrames({}).slice(0, b.after), exceptionFrame(b.type, b.message)]);
      case "broken-stream": {
        const frames = streamFrames({});
        if (b.how === "crc") {
          const bad = Uint8Array.from(frames[1]!);
          bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
          return writeFrames(res, [frames[0]!, bad, ...frames.slice(2)]);
        }
        return writeFrames(res, [frames[0]!, frames[1]!.subarray(0, 10)]);
      }
    }
  }

  /** InvokeModel for the embedding models (Titan Text Embeddings, Cohere Embed), validated per model family. */
  function invoke(modelId: string, req: StrictRequest, b: BedrockBehaviour, res: ServerResponse): void {
    const body = req.json;
    const problem = modelId.includes("titan-embed") ? validateTitan(body) : modelId.includes("cohere.embed") ? validateCohere(body) : "not an embedding model";
    if (problem !== undefined) {
      violations.push(problem);
      return awsError(res, 400, "ValidationException", problem);
    }
    if (b.kind === "status") return awsError(res, b.status, b.type, b.message ?? "the service failed");
    const vector = (seed: string, n: number) => Array.from({ length: n }, (_, i) => ((seed.length + i) % 7) / 7);
    if (modelId.includes("titan-embed")) {
      const t = body as { inputText: string; dimensions?: number };
      return sendJson(res, 200, { embedding: vector(t.inputText, t.dimensions ?? 1024), inputTextTokenCount: t.inputText.split(/\s+/).length, embeddingsByType: {} });
    }
    const c = body as { texts: string[] };
    return sendJson(res, 200, { id: "emb-fake", response_type: "embeddings_floats", texts: c.texts, embeddings: c.texts.map((t) => vector(t, 1024)) });
  }

  return Object.assign(server, { baseUrl: server.origin, violations, modelIds: seen });
}

function validateTitan(body: unknown): string | undefined {
  if (!isObject(body)) return "the body is not a JSON object";
  for (const k of Object.keys(body)) if (!["inputText", "dimensions", "normalize", "embeddingTypes"].includes(k)) return `unknown field \`${k}\``;
  if (typeof body["inputText"] !== "string" || body["inputText"] === "") return "`inputText` must be a non-empty string";
  if (body["dimensions"] !== undefined && ![256, 512, 1024].includes(body["dimensions"] as number)) return "`dimensions` must be 256, 512 or 1024";
  return undefined;
}

function validateCohere(body: unknown): string | undefined {
  if (!isObject(body)) return "the body is not a JSON object";
  for (const k of Object.keys(body)) if (!["texts", "input_type", "truncate", "embedding_types", "images"].includes(k)) return `unknown field \`${k}\``;
  const texts = body["texts"];
  if (!Array.isArray(texts) || texts.length === 0 || texts.length > 96 || texts.some((t) => typeof t !== "string")) return "`texts` must hold 1 to 96 strings";
  if (!["search_document", "search_query", "classification", "clustering"].includes(String(body["input_type"]))) return "`input_type` is required";
  return undefined;
}

function resolved(r: BedrockReply) {
  const toolCalls = (r.toolCalls ?? []).map((t, i) => ({ id: t.id ?? `tooluse_fake${i}`, name: t.name, input: t.arguments }));
  return {
    text: r.text ?? "hello from bedrock",
    toolCalls,
    stopReason: r.stopReason ?? (toolCalls.length > 0 ? "tool_use" : "end_turn"),
    usage: r.omitUsage ? undefined : (r.usage ?? { input: 13, output: 5 }),
  };
}

function usageOf(u: NonNullable<BedrockReply["usage"]>): Record<string, number> {
  const out: Record<string, number> = { inputTokens: u.input, outputTokens: u.output, totalTokens: u.input + u.output + (u.cacheRead ?? 0) + (u.cacheWrite ?? 0) };
  if (u.cacheRead !== undefined) out["cacheReadInputTokens"] = u.cacheRead;
  if (u.cacheWrite !== undefined) out["cacheWriteInputTokens"] = u.cacheWrite;
  return out;
}

export function converseJson(reply: BedrockReply): Record<string, unknown> {
  const r = resolved(reply);
  const content: unknown[] = r.text === "" ? [] : [{ text: r.text }];
  for (const t of r.toolCalls) content.push({ toolUse: { toolUseId: t.id, name: t.name, input: t.input } });
  const out: Record<string, unknown> = { output: { message: { role: "assistant", content } }, stopReason: r.stopReason, metrics: { latencyMs: 321 } };
  if (r.usage) out["usage"] = usageOf(r.usage);
  return out;
}

export function streamFrames(reply: BedrockReply): Uint8Array[] {
  const r = resolved(reply);
  const frames = [eventFrame("messageStart", { role: "assistant" })];
  let index = 0;
  if (r.text !== "") {
    const third = Math.max(1, Math.floor(r.text.length / 3));
    for (let i = 0; i < r.text.length; i += third) frames.push(eventFrame("contentBlockDelta", { contentBlockIndex: index, delta: { text: r.text.slice(i, i + third) } }));
    frames.push(eventFrame("contentBlockStop", { contentBlockIndex: index }));
    index++;
  }
  for (const t of r.toolCalls) {
    frames.push(eventFrame("contentBlockStart", { contentBlockIndex: index, start: { toolUse: { toolUseId: t.id, name: t.name } } }));
    const json = JSON.stringify(t.input);
    const half = Math.floor(json.length / 2);
    for (const part of [json.slice(0, half), json.slice(half)]) frames.push(eventFrame("contentBlockDelta", { contentBlockIndex: index, delta: { toolUse: { input: part } } }));
    frames.push(eventFrame("contentBlockStop", { contentBlockIndex: index }));
    index++;
  }
  frames.push(eventFrame("messageStop", { stopReason: r.stopReason }));
  frames.push(eventFrame("metadata", { ...(r.usage ? { usage: usageOf(r.usage) } : {}), metrics: { latencyMs: 321 } }));
  return frames;
}

/** Writes frames in several TCP writes that cut across message boundaries, as a real network does. */
async function writeFrames(res: ServerResponse, frames: Uint8Array[]): Promise<void> {
  res.writeHead(200, { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": "0f2c5a5e-fake" });
  const all = Buffer.concat(frames);
  const step = 37;
  for (let i = 0; i < all.length; i += step) {
    if (res.destroyed) return;
    res.write(all.subarray(i, i + step));
    if (i % (step * 8) === 0) await new Promise((r) => setImmediate(r));
  }
  res.end();
}
