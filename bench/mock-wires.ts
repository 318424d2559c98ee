/**
 * bench/mock-wires: the replies of the bench's mock upstream
 * (bench/mock-upstream.ts) in the wires other than chat completions, built
 * once, the same ~1 KB text and usage as its chat completion: an Anthropic
 * Messages reply and event stream (`POST /v1/messages`), and an OpenAI
 * Responses reply and event stream (`POST /v1/responses`), each as the
 * provider writes it. A stream carries its text in {@link STREAM_CHUNKS} − 1
 * deltas, as the chat stream does after its role chunk.
 */

/** Content chunks in a streamed chat reply (before the usage chunk and `[DONE]`); the other wires carry the text in one fewer deltas. */
export const STREAM_CHUNKS = 50;

/** The text every reply carries (the chat completion's too). */
export const REPLY_TEXT =
  "Summary: the delivery arrived late, the box was damaged and the invoice went to the wrong person; the customer wants a replacement " +
  "and prefers email. Suggested reply: Dear customer, we are sorry that your order arrived late and damaged, and that the invoice was " +
  "misdirected. We have dispatched a replacement today and corrected the billing contact; you will receive the new invoice by email.";

export const USAGE = { prompt_tokens: 236, completion_tokens: 64, total_tokens: 300 };

/** The text cut into `STREAM_CHUNKS − 1` deltas. */
function deltas(): string[] {
  const n = STREAM_CHUNKS - 1;
  const size = Math.ceil(REPLY_TEXT.length / n);
  return Array.from({ length: n }, (_, i) => REPLY_TEXT.slice(i * size, (i + 1) * size));
}

// ---------------------------------------------------------------- Anthropic Messages

const anthropicUsage = { input_tokens: USAGE.prompt_tokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: USAGE.completion_tokens, service_tier: "standard" };
const message = (content: unknown[], stop: string | null, usage: unknown) => ({
  id: "msg_bench000000000000000001",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-5-20250929",
  content,
  stop_reason: stop,
  stop_sequence: null,
  usage,
});

/** The non-streaming Messages reply. */
export const ANTHROPIC_MESSAGE = JSON.stringify(message([{ type: "text", text: REPLY_TEXT }], "end_turn", anthropicUsage));

/** The Messages event stream: message_start, the text block with a ping, message_delta with usage, message_stop. */
export function anthropicEvents(): string[] {
  const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  return [
    ev("message_start", { message: message([], null, { ...anthropicUsage, output_tokens: 1 }) }),
    ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
    ev("ping", {}),
    ...deltas().map((text) => ev("content_block_delta", { index: 0, delta: { type: "text_delta", text } })),
    ev("content_block_stop", { index: 0 }),
    ev("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: USAGE.completion_tokens } }),
    ev("message_stop", {}),
  ];
}

// ---------------------------------------------------------------- OpenAI Responses

const responsesUsage = { input_tokens: USAGE.prompt_tokens, input_tokens_details: { cached_tokens: 0 }, output_tokens: USAGE.completion_tokens, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: USAGE.total_tokens };
const messageItem = (text: string, status: string) => ({ id: "msg_bench0000000000000001", type: "message", status, role: "assistant", content: text === "" && status === "in_progress" ? [] : [{ type: "output_text", text, annotations: [], logprobs: [] }] });
const response = (status: string, output: unknown[], usage: unknown) => ({
  id: "resp_bench0000000000000001",
  object: "response",
  created_at: 1_700_000_000,
  status,
  error: null,
  incomplete_details: null,
  instructions: null,
  max_output_tokens: 64,
  model: "gpt-4o-mini-2024-07-18",
  output,
  parallel_tool_calls: true,
  previous_response_id: null,
  reasoning: { effort: null, summary: null },
  service_tier: "default",
  store: false,
  temperature: 1,
  text: { format: { type: "text" }, verbosity: "medium" },
  tool_choice: "auto",
  tools: [],
  top_p: 1,
  truncation: "disabled",
  usage,
  user: null,
  metadata: {},
});

/** The non-streaming Responses reply. */
export const RESPONSE = JSON.stringify(response("completed", [messageItem(REPLY_TEXT, "completed")], responsesUsage));

/** The Responses event stream: created, in_progress, the message item with its text deltas, completed with usage. */
export function responsesEvents(): string[] {
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
  const id = "msg_bench0000000000000001";
  const part = (text: string) => ({ type: "output_text", text, annotations: [], logprobs: [] });
  return [
    ev("response.created", { response: response("in_progress", [], null) }),
    ev("response.in_progress", { response: response("in_progress", [], null) }),
    ev("response.output_item.added", { output_index: 0, item: messageItem("", "in_progress") }),
    ev("response.content_part.added", { item_id: id, output_index: 0, content_index: 0, part: part("") }),
    ...deltas().map((delta) => ev("response.output_text.delta", { item_id: id, output_index: 0, content_index: 0, delta, logprobs: [] })),
    ev("response.output_text.done", { item_id: id, output_index: 0, content_index: 0, text: REPLY_TEXT, logprobs: [] }),
    ev("response.content_part.done", { item_id: id, output_index: 0, content_index: 0, part: part(REPLY_TEXT) }),
    ev("response.output_item.done", { output_index: 0, item: messageItem(REPLY_TEXT, "completed") }),
    ev("response.completed", { response: response("completed", [messageItem(REPLY_TEXT, "completed")], responsesUsage) }),
  ];
}
