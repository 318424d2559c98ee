/**
 * The reply side of the Responses API: what the gateway answers a caller of
 * `POST /v1/responses` whatever provider answered. `responseObject` turns a
 * chat completion into a Response (a `message` output item with
 * `output_text`, a `function_call` item per tool call, usage in Responses'
 * terms); `ResponsesStreamEncoder` turns completion chunks into the
 * Responses event sequence (response.created, response.in_progress,
 * response.output_item.added, response.content_part.added,
 * response.output_text.delta/done, response.function_call_arguments.delta/done,
 * response.output_item.done, response.completed with usage). Errors use
 * OpenAI's shape, as on chat. Nothing is stored: every Response says
 * `store: false`. Pure.
 */
import type { ChatCompletion, ChatCompletionChunk, FinishReason, WireUsage } from "./openai-wire.js";

type Json = Record<string, unknown>;

/** What the Response object repeats of the request. */
export interface ResponseEcho {
  /** `instructions`, `max_output_tokens`, `temperature`, `top_p`, `tools`, `tool_choice`, `parallel_tool_calls`, `text`, `reasoning`, `metadata`, `user`. */
  readonly fields: Readonly<Json>;
  /** Seconds since the epoch. */
  readonly createdAt: number;
}

/** Responses' usage from OpenAI chat usage. */
export function responsesUsage(u: WireUsage | null | undefined): Json {
  const input = u?.prompt_tokens ?? 0;
  const output = u?.completion_tokens ?? 0;
  const cached = (u?.["prompt_tokens_details"] as { cached_tokens?: number } | undefined)?.cached_tokens ?? 0;
  const reasoning = (u?.["completion_tokens_details"] as { reasoning_tokens?: number } | undefined)?.reasoning_tokens ?? 0;
  return { input_tokens: input, input_tokens_details: { cached_tokens: cached }, output_tokens: output, output_tokens_details: { reasoning_tokens: reasoning }, total_tokens: input + output };
}

/** A Response from a chat completion (its first choice: Responses has no `n`). */
export function responseObject(c: ChatCompletion, echo: ResponseEcho): Json {
  const choice = c.choices[0];
  const m = choice?.message;
  const output: Json[] = [];
  const id = responseId(c.id);
  const text = typeof m?.content === "string" ? m.content : "";
  if (text !== "" || typeof m?.refusal === "string" || (m?.tool_calls ?? []).length === 0) {
    const part = typeof m?.refusal === "string" && m.refusal !== "" ? { type: "refusal", refusal: m.refusal } : { type: "output_text", text, annotations: [], logprobs: [] };
    output.push({ type: "message", id: `msg_${id}`, status: "completed", role: "assistant", content: [part] });
  }
  for (const call of m?.tool_calls ?? []) output.push({ type: "function_call", id: `fc_${call.id}`, call_id: call.id, name: call.function.name, arguments: call.function.arguments, status: "completed" });
  return shell(id, c.model, echo, statusOf(choice?.finish_reason), output, responsesUsage(c.usage));
}

function statusOf(finish: FinishReason | null | undefined): { status: string; incomplete_details: Json | null } {
  if (finish === "length") return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
  if (finish === "content_filter") return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
  return { status: "completed", incomplete_details: null };
}

function shell(id: string, model: string, echo: ResponseEcho, status: { status: string; incomplete_details: Json | null }, output: Json[], usage: Json | null): Json {
  const text = output.filter((o) => o["type"] === "message").flatMap((o) => (o["content"] as Json[]).map((p) => (typeof p["text"] === "string" ? p["text"] : ""))).join("");
  return {
    id: `resp_${id}`,
    object: "response",
    created_at: echo.createdAt,
    status: status.status,
    error: null,
    incomplete_details: status.incomplete_details,
    instructions: null,
    max_output_tokens: null,
    model,
    output,
    output_text: text,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: null,
    text: { format: { type: "text" } },
    tool_choice: "auto",
    tools: [],
    top_p: null,
    truncation: "disabled",
    usage,
    user: null,
    metadata: {},
    ...echo.fields,
  };
}

function responseId(chatId: string): string {
  return chatId.replace(/^chatcmpl-/, "").replace(/[^A-Za-z0-9_-]/g, "") || "aigw";
}

/**
 * Chat completion chunks in, Responses events out: feed every chunk to
 * `chunk`, then call `end` (or `error` when the stream failed). The text is
 * one `message` item opened at its first delta; each tool call a
 * `function_call` item; items are closed (`.done`) when the next opens or
 * the stream ends. Usage arrives last on chat streams, so
 * response.completed carries it.
 */
export class ResponsesStreamEncoder {
  #seq = 0;
  #id = "";
  #model = "";
  #output: Json[] = [];
  #open: { kind: "text"; index: number; text: string } | { kind: "call"; index: number; call: number; item: Json } | undefined;
  #finish: FinishReason | null = null;
  #usage: WireUsage | undefined;

  constructor(private readonly echo: ResponseEcho) {}

  chunk(c: ChatCompletionChunk): string {
    let out = "";
    if (this.#seq === 0) {
      this.#id = responseId(c.id);
      this.#model = c.model;
      const response = this.#response("in_progress", null);
      out += this.#event("response.created", { response }) + this.#event("response.in_progress", { response });
    }
    if (c.usage) this.#usage = c.usage;
    const choice = c.choices.find((ch) => ch.index === 0);
    if (choice === undefined) return out;
    const d = choice.delta;
    const text = typeof d.content === "string" ? d.content : "";
    if (text !== "") {
      if (this.#open?.kind !== "text") out += this.#openText();
      const open = this.#open as { kind: "text"; index: number; text: string };
      open.text += text;
      out += this.#event("response.output_text.delta", { item_id: `msg_${this.#id}`, output_index: open.index, content_index: 0, delta: text, logprobs: [] });
    }
    for (const t of d.tool_calls ?? []) {
      if (this.#open?.kind !== "call" || this.#open.call !== t.index) out += this.#openCall(t.index, t.id ?? "", t.function?.name ?? "");
      const open = this.#open as { kind: "call"; index: number; item: Json };
      const args = t.function?.arguments;
      if (args) {
        open.item["arguments"] = String(open.item["arguments"]) + args;
        out += this.#event("response.function_call_arguments.delta", { item_id: open.item["id"], output_index: open.index, delta: args });
      }
    }
    if (choice.finish_reason) this.#finish = choice.finish_reason;
    return out;
  }

  end(): string {
    const out = this.#close();
    const s = statusOf(this.#finish);
    const response = this.#response(s.status, responsesUsage(this.#usage), s.incomplete_details);
    return out + this.#event(s.status === "completed" ? "response.completed" : "response.incomplete", { response });
  }

  /** The event that ends a stream which failed after its first byte (OpenAI's `error` event). */
  error(code: string, message: string): string {
    return this.#event("error", { code, message, param: null });
  }

  #response(status: string, usage: Json | null, incomplete: Json | null = null): Json {
    return shell(this.#id, this.#model, this.echo, { status, incomplete_details: incomplete }, this.#output, usage);
  }

  #openText(): string {
    let out = this.#close();
    const index = this.#output.length;
    const item = { type: "message", id: `msg_${this.#id}`, status: "in_progress", role: "assistant", content: [] };
    this.#output.push(item);
    this.#open = { kind: "text", index, text: "" };
    out += this.#event("response.output_item.added", { output_index: index, item });
    out += this.#event("response.content_part.added", { item_id: item.id, output_index: index, content_index: 0, part: { type: "output_text", text: "", annotations: [], logprobs: [] } });
    return out;
  }

  #openCall(call: number, callId: string, name: string): string {
    const out = this.#close();
    const index = this.#output.length;
    const item: Json = { type: "function_call", id: `fc_${callId}`, call_id: callId, name, arguments: "", status: "in_progress" };
    this.#output.push(item);
    this.#open = { kind: "call", index, call, item };
    return out + this.#event("response.output_item.added", { output_index: index, item: { ...item } });
  }

  #close(): string {
    const o = this.#open;
    if (o === undefined) return "";
    this.#open = undefined;
    if (o.kind === "text") {
      const part = { type: "output_text", text: o.text, annotations: [], logprobs: [] };
      const item = { type: "message", id: `msg_${this.#id}`, status: "completed", role: "assistant", content: [part] };
      this.#output[o.index] = item;
      return (
        this.#event("response.output_text.done", { item_id: item.id, output_index: o.index, content_index: 0, text: o.text, logprobs: [] }) +
        this.#event("response.content_part.done", { item_id: item.id, output_index: o.index, content_index: 0, part }) +
        this.#event("response.output_item.done", { output_index: o.index, item })
      );
    }
    o.item["status"] = "completed";
    return (
      this.#event("response.function_call_arguments.done", { item_id: o.item["id"], output_index: o.index, arguments: o.item["arguments"] }) +
      this.#event("response.output_item.done", { output_index: o.index, item: { ...o.item } })
    );
  }

  #event(type: string, data: Json): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.#seq++, ...data })}\n\n`;
  }
}
