/**
 * OpenAI's Responses API wire, as a fake upstream speaks it
 * (upstreams.ts, for `POST /v1/responses`): the Response object of a
 * non-streaming reply, and the event sequence of a streaming one
 * (response.created, response.in_progress, per output item
 * response.output_item.added … .done with the text or argument deltas,
 * response.completed or response.incomplete with usage; every event has a
 * `sequence_number`). Written from OpenAI's API reference, independently
 * of the gateway's own encoder (runtime/request/responses-reply.ts).
 */

/** What the reply says, already resolved (upstreams.ts fills the defaults). */
export interface ResponsesReply {
  id: number;
  text: string;
  toolCalls: { id: string; name: string; arguments: Record<string, unknown> }[];
  usage: { prompt: number; completion: number } | undefined;
  finish: "stop" | "length" | "tool_calls" | "content_filter";
  model: string;
}

type Json = Record<string, unknown>;

function usageOf(r: ResponsesReply): Json | null {
  if (r.usage === undefined) return null;
  const { prompt, completion } = r.usage;
  return { input_tokens: prompt, input_tokens_details: { cached_tokens: 0 }, output_tokens: completion, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: prompt + completion };
}

function outputOf(r: ResponsesReply): Json[] {
  const out: Json[] = [];
  if (r.text !== "") out.push({ id: `msg_fake_${r.id}`, type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: r.text, annotations: [], logprobs: [] }] });
  for (const t of r.toolCalls) out.push({ id: `fc_${t.id}`, type: "function_call", status: "completed", call_id: t.id, name: t.name, arguments: JSON.stringify(t.arguments) });
  return out;
}

function response(r: ResponsesReply, status: string, output: Json[], usage: Json | null): Json {
  return {
    id: `resp_fake_${r.id}`,
    object: "response",
    created_at: 1_700_000_000,
    status,
    error: null,
    incomplete_details: status === "incomplete" ? { reason: r.finish === "content_filter" ? "content_filter" : "max_output_tokens" } : null,
    instructions: null,
    max_output_tokens: null,
    model: r.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: 1,
    text: { format: { type: "text" } },
    tool_choice: "auto",
    tools: [],
    top_p: 1,
    truncation: "disabled",
    usage,
    user: null,
    metadata: {},
  };
}

const statusOf = (r: ResponsesReply) => (r.finish === "length" || r.finish === "content_filter" ? "incomplete" : "completed");

/** The Response of a non-streaming request. */
export function responsesJson(r: ResponsesReply): Json {
  return response(r, statusOf(r), outputOf(r), usageOf(r));
}

/** The events of a streaming request, one string per SSE event; `pieces` splits a text into deltas. */
export function responsesEvents(r: ResponsesReply, pieces: (text: string) => string[]): string[] {
  let seq = 0;
  const ev = (type: string, data: Json) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
  const out = [ev("response.created", { response: response(r, "in_progress", [], null) }), ev("response.in_progress", { response: response(r, "in_progress", [], null) })];
  const items = outputOf(r);
  items.forEach((item, index) => {
    const id = item["id"];
    if (item["type"] === "message") {
      out.push(ev("response.output_item.added", { output_index: index, item: { ...item, status: "in_progress", content: [] } }));
      const part = { type: "output_text", text: "", annotations: [], logprobs: [] };
      out.push(ev("response.content_part.added", { item_id: id, output_index: index, content_index: 0, part }));
      for (const p of pieces(r.text)) out.push(ev("response.output_text.delta", { item_id: id, output_index: index, content_index: 0, delta: p, logprobs: [] }));
      out.push(ev("response.output_text.done", { item_id: id, output_index: index, content_index: 0, text: r.text, logprobs: [] }));
      out.push(ev("response.content_part.done", { item_id: id, output_index: index, content_index: 0, part: { ...part, text: r.text } }));
    } else {
      out.push(ev("response.output_item.added", { output_index: index, item: { ...item, status: "in_progress", arguments: "" } }));
      const args = String(item["arguments"]);
      for (const p of pieces(args)) out.push(ev("response.function_call_arguments.delta", { item_id: id, output_index: index, delta: p }));
      out.push(ev("response.function_call_arguments.done", { item_id: id, output_index: index, arguments: args }));
    }
    out.push(ev("response.output_item.done", { output_index: index, item }));
  });
  const status = statusOf(r);
  out.push(ev(`response.${status}`, { response: response(r, status, items, usageOf(r)) }));
  return out;
}

/** The keep-alive of a Responses stream: an SSE comment (OpenAI sends no ping event). */
export const RESPONSES_KEEPALIVE = ": keep-alive\n\n";
