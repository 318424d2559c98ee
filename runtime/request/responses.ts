/**
 * The codec of OpenAI's Responses request (`POST /v1/responses`), stateless:
 * `decodeResponses` checks a parsed body and turns it into the canonical
 * request, `encodeResponses` writes it back. `encodeResponses(decodeResponses(b))`
 * is `b` for the bodies the API accepts (test/request/responses.test.ts).
 *
 * The mapping: `instructions` is the leading system message (and its own
 * text stays in passthrough as the mark that it was one); `input` as a
 * string is one plain user message; input items are messages
 * (`input_text`/`output_text` parts as text, `input_image` as images,
 * `input_file` as files), a `function_call` is a tool call of the assistant
 * message before it, a `function_call_output` a `tool` message; function
 * tools are tools; `text.format` is the output format in chat's
 * `response_format` shape; `reasoning.effort` is the reasoning effort.
 *
 * Refused with a 400 naming the field, because the gateway keeps no state:
 * `previous_response_id`, `conversation`, `background`, `item_reference`
 * items. Tools other than functions are refused too (no provider but
 * OpenAI runs them). Replies are responses-reply.ts.
 */
import { CodecError, isObject, need, pick, rest, type Mutable } from "./codec-error.js";
import type { CanonicalRequest, ContentBlock, Extra, Message, Role, Tool, ToolChoice } from "./model.js";

type Json = Record<string, unknown>;

/** Body fields the canonical model names; the rest is passthrough. */
const MODELED = ["model", "input", "tools", "tool_choice", "parallel_tool_calls", "max_output_tokens", "temperature", "top_p", "text", "reasoning", "stream", "user", "metadata"];

/** Fields that need state the gateway does not keep. */
const STATEFUL: Record<string, string> = {
  previous_response_id: "`previous_response_id` is not supported: aigw keeps no responses; send the whole conversation in `input`",
  conversation: "`conversation` is not supported: aigw keeps no conversations; send the whole conversation in `input`",
};

/** The canonical request of a Responses body; throws a {@link CodecError} naming a field it cannot take. */
export function decodeResponses(v: unknown): CanonicalRequest {
  const body = need.object(v, "body");
  for (const [k, why] of Object.entries(STATEFUL)) if (body[k] !== undefined && body[k] !== null) throw new CodecError(k, why);
  if (body.background === true) throw new CodecError("background", "`background` is not supported: aigw answers every response in the request that asked for it");
  const model = need.string(body.model, "model");
  if (model === "") throw new CodecError("model", "`model` must be a non-empty string");
  const messages: Message[] = [];
  const fields: Json = {};
  for (const k of Object.keys(body)) if (!MODELED.includes(k)) fields[k] = body[k];
  const instructions = need.optString(fields["instructions"], "instructions");
  if (instructions !== undefined) messages.push({ role: "system", content: [{ kind: "text", text: instructions }], plain: true });
  else delete fields["instructions"];
  if (typeof body.input === "string") messages.push({ role: "user", content: [{ kind: "text", text: body.input }], plain: true });
  else need.array(body.input, "input").forEach((item, i) => decodeItem(item, `input[${i}]`, messages));
  if (messages.length === 0) throw new CodecError("input", "`input` must hold at least one item");

  const req: Mutable<CanonicalRequest> = {
    operation: "chat",
    api: "openai.responses",
    model,
    messages,
    tools: body.tools == null ? [] : need.array(body.tools, "tools").map((t, i) => decodeTool(t, `tools[${i}]`)),
    output: pick({ maxTokens: need.optInt(body.max_output_tokens, "max_output_tokens", 1, 10_000_000) }),
    sampling: pick({ temperature: need.optNumber(body.temperature, "temperature", 0, 2), topP: need.optNumber(body.top_p, "top_p", 0, 1) }),
    passthrough: { api: "openai.responses", fields },
  };
  // An empty list says nothing the model can hold: kept as sent, for the same wire.
  if (Array.isArray(body.tools) && body.tools.length === 0) fields["tools"] = [];
  if (body.tool_choice != null) req.toolChoice = decodeToolChoice(body.tool_choice);
  const parallel = need.optBool(body.parallel_tool_calls, "parallel_tool_calls");
  if (parallel !== undefined) req.parallelToolCalls = parallel;
  if (need.optBool(body.stream, "stream") === true) req.stream = { includeUsage: true };
  else if (body.stream !== undefined) fields["stream"] = body.stream;
  const user = need.optString(body.user, "user");
  if (user !== undefined) req.user = user;
  if (body.metadata != null) req.metadata = stringMap(body.metadata, "metadata");
  if (body.text != null) decodeText(need.object(body.text, "text"), req, fields);
  if (body.reasoning != null) {
    const r = need.object(body.reasoning, "reasoning");
    const effort = need.optString(r.effort, "reasoning.effort");
    if (effort !== undefined) req.reasoning = { effort };
    const more = rest(r, ["effort"]);
    if (more !== undefined || effort === undefined) fields["reasoning"] = more ?? r;
  }
  return req;
}

/** A Responses body for `model` (the upstream's name) from a canonical request. */
export function encodeResponses(req: CanonicalRequest, model = req.model): Json {
  const own = req.passthrough.api === "openai.responses" ? req.passthrough.fields : {};
  const body: Json = { model };
  let msgs = req.messages;
  if ("instructions" in own && msgs[0]?.role === "system") {
    body["instructions"] = msgs[0].content.map((b) => (b.kind === "text" ? b.text : "")).join("");
    msgs = msgs.slice(1);
  }
  const [only] = msgs;
  if (msgs.length === 1 && only?.role === "user" && only.plain === true && only.content.length === 1 && only.content[0]!.kind === "text" && only.extra === undefined) body["input"] = only.content[0]!.text;
  else body["input"] = msgs.flatMap(encodeMessage);
  if (req.tools.length > 0) body["tools"] = req.tools.map((t) => ({ type: "function", name: t.name, ...pick({ description: t.description, parameters: t.parameters, strict: t.strict }), ...t.extra }));
  if (req.toolChoice !== undefined) body["tool_choice"] = req.toolChoice.kind === "tool" ? { type: "function", name: req.toolChoice.name } : req.toolChoice.kind;
  if (req.parallelToolCalls !== undefined) body["parallel_tool_calls"] = req.parallelToolCalls;
  if (req.output.maxTokens !== undefined) body["max_output_tokens"] = req.output.maxTokens;
  if (req.sampling.temperature !== undefined) body["temperature"] = req.sampling.temperature;
  if (req.sampling.topP !== undefined) body["top_p"] = req.sampling.topP;
  if (req.stream !== undefined) body["stream"] = true;
  if (req.user !== undefined) body["user"] = req.user;
  if (req.metadata !== undefined) body["metadata"] = req.metadata;
  const format = req.output.format === undefined ? undefined : textFormat(req.output.format);
  if (format !== undefined || isObject(own["text"])) body["text"] = { ...(own["text"] as Json | undefined), ...(format === undefined ? {} : { format }) };
  if (req.reasoning?.effort !== undefined || isObject(own["reasoning"])) body["reasoning"] = { ...(own["reasoning"] as Json | undefined), ...pick({ effort: req.reasoning?.effort }) };
  const { instructions: _, text: __, reasoning: ___, ...others } = own;
  return { ...body, ...others };
}

function decodeItem(v: unknown, at: string, out: Message[]): void {
  const item = need.object(v, at);
  const type = item.type ?? "message";
  switch (type) {
    case "message": {
      const role = item.role;
      if (role !== "user" && role !== "assistant" && role !== "system" && role !== "developer") throw new CodecError(`${at}.role`, "`role` must be `user`, `assistant`, `system` or `developer`");
      const extra = rest(item, ["role", "content"]);
      if (typeof item.content === "string") out.push(pick({ role: role as Role, content: [{ kind: "text" as const, text: item.content }], plain: true, extra }));
      else out.push(pick({ role: role as Role, content: need.array(item.content, `${at}.content`).map((p, j) => decodePart(p, `${at}.content[${j}]`)), extra }));
      return;
    }
    case "function_call": {
      const call: ContentBlock = withExtra(
        { kind: "tool_call", id: need.string(item.call_id, `${at}.call_id`), name: need.string(item.name, `${at}.name`), arguments: need.string(item.arguments, `${at}.arguments`) },
        item,
        ["type", "call_id", "name", "arguments"],
      );
      const last = out[out.length - 1];
      // The calls of one assistant turn are items after its message: one canonical message.
      if (last?.role === "assistant" && last.extra?.["type"] !== "reasoning") out[out.length - 1] = { ...last, content: [...last.content, call] };
      else out.push({ role: "assistant", content: [call] });
      return;
    }
    case "function_call_output": {
      const id = need.string(item.call_id, `${at}.call_id`);
      const extra = rest(item, ["type", "call_id", "output"]);
      const plain = typeof item.output === "string";
      const content: ContentBlock[] =
        typeof item.output === "string" ? [{ kind: "text", text: item.output }] : need.array(item.output, `${at}.output`).map((p, j) => decodePart(p, `${at}.output[${j}]`));
      out.push(pick({ role: "tool" as const, content: [pick({ kind: "tool_result" as const, toolCallId: id, content, extra })], plain: plain || undefined }));
      return;
    }
    case "reasoning":
      // Another model's reasoning, kept whole for an OpenAI Responses upstream (its encrypted content is only theirs).
      out.push({ role: "assistant", content: [{ kind: "reasoning", text: summaryText(item), extra: { item } }], extra: { type: "reasoning" } });
      return;
    case "item_reference":
      throw new CodecError(`${at}.type`, "`item_reference` items are not supported: aigw keeps no items; send the item itself");
    default:
      throw new CodecError(`${at}.type`, `input items of type \`${String(type)}\` are not supported`);
  }
}

function encodeMessage(m: Message): Json[] {
  if (m.extra?.["type"] === "reasoning") return m.content.map((b) => (b.extra?.["item"] ?? { type: "reasoning", summary: [] }) as Json);
  if (m.role === "tool") {
    return m.content.map((r) => {
      if (r.kind !== "tool_result") return { type: "function_call_output", call_id: "", output: "" };
      const [first] = r.content;
      const output = m.plain === true && r.content.length === 1 && first?.kind === "text" ? first.text : r.content.map((b) => encodePart(b, "user"));
      return { type: "function_call_output", call_id: r.toolCallId, output, ...r.extra };
    });
  }
  const parts = m.content.filter((b) => b.kind !== "tool_call");
  const calls = m.content.filter((b) => b.kind === "tool_call");
  const out: Json[] = [];
  if (parts.length > 0 || calls.length === 0) {
    const [first] = parts;
    const content = m.plain === true && parts.length === 1 && first?.kind === "text" && first.extra === undefined ? first.text : parts.map((b) => encodePart(b, m.role));
    out.push({ role: m.role, content, ...m.extra });
  }
  for (const c of calls) if (c.kind === "tool_call") out.push({ type: "function_call", call_id: c.id, name: c.name, arguments: c.arguments, ...c.extra });
  return out;
}

function decodePart(v: unknown, at: string): ContentBlock {
  const p = need.object(v, at);
  switch (p.type) {
    case "input_text":
    case "output_text":
      return withExtra({ kind: "text", text: need.string(p.text, `${at}.text`) }, p, ["type", "text"]);
    case "refusal":
      return withExtra({ kind: "refusal", text: need.string(p.refusal, `${at}.refusal`) }, p, ["type", "refusal"]);
    case "input_image": {
      if (typeof p.image_url !== "string") throw new CodecError(`${at}.image_url`, "`input_image` needs an `image_url` (a file id cannot be read by other providers)");
      return withExtra(pick({ kind: "image" as const, url: p.image_url, detail: need.optString(p.detail, `${at}.detail`) }), p, ["type", "image_url", "detail"]);
    }
    case "input_file":
      return withExtra(
        pick({ kind: "file" as const, data: need.optString(p.file_data, `${at}.file_data`), fileId: need.optString(p.file_id, `${at}.file_id`), filename: need.optString(p.filename, `${at}.filename`) }),
        p,
        ["type", "file_data", "file_id", "filename"],
      );
    default:
      throw new CodecError(`${at}.type`, `content parts of type \`${String(p.type)}\` are not supported`);
  }
}

function encodePart(b: ContentBlock, role: string): Json {
  const extra = b.extra ?? {};
  switch (b.kind) {
    case "text": {
      // A part's own type is kept when it came from this wire; from another, the role decides.
      const type = extra["type"] ?? (role === "assistant" ? "output_text" : "input_text");
      const { type: _, ...more } = extra;
      return { type, text: b.text, ...more };
    }
    case "refusal":
      return { type: "refusal", refusal: b.text, ...extra };
    case "image":
      return { type: "input_image", image_url: b.url, ...pick({ detail: b.detail }), ...extra };
    case "file":
      return { type: "input_file", ...pick({ file_data: b.data, file_id: b.fileId, filename: b.filename }), ...extra };
    default:
      return { type: "input_text", text: b.kind === "reasoning" ? b.text : "" };
  }
}

function decodeTool(v: unknown, at: string): Tool {
  const t = need.object(v, at);
  if (t.type !== "function") throw new CodecError(`${at}.type`, `tools of type \`${String(t.type)}\` are not supported: only \`function\` tools can be routed to any provider`);
  const parameters = t.parameters == null ? undefined : need.object(t.parameters, `${at}.parameters`);
  return pick({ name: need.string(t.name, `${at}.name`), description: need.optString(t.description, `${at}.description`), parameters, strict: need.optBool(t.strict, `${at}.strict`), extra: rest(t, ["type", "name", "description", "parameters", "strict"]) });
}

function decodeToolChoice(v: unknown): ToolChoice {
  if (v === "auto" || v === "none" || v === "required") return { kind: v };
  const c = need.object(v, "tool_choice");
  if (c.type !== "function") throw new CodecError("tool_choice", "`tool_choice` must be `auto`, `none`, `required` or a function");
  return { kind: "tool", name: need.string(c.name, "tool_choice.name") };
}

/** `text.format` in chat's `response_format` shape; the rest of `text` (`verbosity`) stays in passthrough. */
function decodeText(text: Json, req: Mutable<CanonicalRequest>, fields: Json): void {
  const more = rest(text, ["format"]);
  if (more !== undefined) fields["text"] = more;
  if (text.format == null) return;
  const f = need.object(text.format, "text.format");
  if (f.type === "text" || f.type === "json_object") req.output = { ...req.output, format: { type: f.type, ...rest(f, ["type"]) } };
  else if (f.type === "json_schema") req.output = { ...req.output, format: { type: "json_schema", json_schema: rest(f, ["type"]) ?? {} } };
  else throw new CodecError("text.format.type", "`text.format.type` must be `text`, `json_object` or `json_schema`");
}

function textFormat(f: Readonly<Record<string, unknown>>): Json {
  if (f["type"] === "json_schema" && isObject(f["json_schema"])) return { type: "json_schema", ...f["json_schema"] };
  return { ...f };
}

function summaryText(item: Json): string {
  const s = Array.isArray(item.summary) ? item.summary : [];
  return s.map((p) => (isObject(p) && typeof p.text === "string" ? p.text : "")).join("\n");
}

function stringMap(v: unknown, at: string): Record<string, string> {
  const o = need.object(v, at);
  for (const [k, x] of Object.entries(o)) need.string(x, `${at}.${k}`);
  return o as Record<string, string>;
}

function withExtra<B extends ContentBlock>(block: B, wire: Json, known: readonly string[]): B {
  const extra = rest(wire, known);
  return extra === undefined ? block : { ...block, extra: extra as Extra };
}
