/**
 * The Anthropic Messages request, encoded from the canonical request
 * (runtime/request/model.ts): system and developer messages become
 * `system`, tool results one user turn, tool calls `tool_use` blocks. What
 * the Messages API cannot honour is refused (`TranslationError`, a 400
 * naming it), never dropped: `n` > 1, a response format other than text,
 * caller `metadata`, strict tools, audio, files by id, legacy function
 * calls, reasoning sent back, and any field of the caller's wire the
 * gateway does not model unless it asks for the default. Deliberate
 * mappings: temperature is clamped to Anthropic's 0–1, `user` becomes
 * `metadata.user_id`, `cache_control` on a part stays on its block, an
 * assistant's refusal is its text, and a message `name` and an image's
 * `detail` (which the Messages API has no place for) are not sent.
 * Pure.
 */
import type { CanonicalRequest, ContentBlock, Extra, Message, Tool, ToolChoice } from "../request/model.js";
import type { AnthropicContentBlock, AnthropicMessage, AnthropicRequest, AnthropicTextBlock, AnthropicTool, AnthropicToolChoice } from "./anthropic-wire.js";
import { sourceOf, TranslationError } from "./anthropic-translate.js";

export interface RequestOptions {
  /** `max_tokens` when the caller set none: Anthropic requires one. */
  defaultMaxTokens: number;
  stream: boolean;
}

/**
 * Fields of another API's wire that Anthropic has no use for as long as
 * they ask for the default (or, for the first ones, are modeled and read
 * from the canonical request): anything else is refused.
 */
const DEFAULTS_ONLY: Readonly<Record<string, (v: unknown) => boolean>> = {
  max_tokens: () => true,
  max_completion_tokens: () => true,
  stop: () => true,
  stream: () => true,
  stream_options: () => true,
  logprobs: (v) => v === false,
  presence_penalty: (v) => v === 0,
  frequency_penalty: (v) => v === 0,
  store: (v) => v === false,
};

/** Translates a canonical request into an Anthropic Messages request for `upstreamModel`. */
export function toAnthropicRequest(req: CanonicalRequest, upstreamModel: string, opts: RequestOptions): AnthropicRequest {
  refuseUnmodeled(req);
  const system: AnthropicTextBlock[] = [];
  const messages: AnthropicMessage[] = [];
  for (const message of req.messages) {
    if (message.role === "system" || message.role === "developer") {
      for (const b of message.content) system.push(...textBlocks(onlyText(b, message.role), b.extra));
      continue;
    }
    const [role, blocks] = convertMessage(message);
    const last = messages[messages.length - 1];
    // Anthropic wants tool results of one turn in one user message; merging
    // consecutive same-role messages gives that and keeps roles alternating.
    if (last && last.role === role) last.content.push(...blocks);
    else if (blocks.length > 0) messages.push({ role, content: blocks });
  }
  const out: AnthropicRequest = { model: upstreamModel, max_tokens: req.output.maxTokens ?? opts.defaultMaxTokens, messages };
  if (system.length > 0) out.system = system;
  if (req.output.stop !== undefined) out.stop_sequences = [...req.output.stop];
  // OpenAI allows temperatures up to 2, Anthropic up to 1: clamp rather than fail.
  if (req.sampling.temperature !== undefined) out.temperature = Math.min(Math.max(req.sampling.temperature, 0), 1);
  if (req.sampling.topP !== undefined) out.top_p = req.sampling.topP;
  if (req.user !== undefined && req.user !== "") out.metadata = { user_id: req.user };
  if (req.tools.length > 0) out.tools = req.tools.map(toolOf);
  const choice = toolChoice(req.toolChoice, req.parallelToolCalls);
  if (choice && (out.tools || choice.type === "none")) out.tool_choice = choice;
  if (opts.stream) out.stream = true;
  return out;
}

/** Refuses what the Messages API has no counterpart for, naming it. */
function refuseUnmodeled(req: CanonicalRequest): void {
  if (req.output.n !== undefined && req.output.n > 1) throw new TranslationError("`n` greater than 1 is not supported");
  const format = req.output.format;
  if (format !== undefined && format["type"] !== "text") throw new TranslationError(`\`response_format\` of type \`${String(format["type"])}\` is not supported`);
  if (req.metadata !== undefined) throw new TranslationError("`metadata` is not supported (Anthropic takes only `user`, as `metadata.user_id`)");
  if (req.reasoning !== undefined) throw new TranslationError("`reasoning.effort` is not supported");
  const fields = req.passthrough.fields;
  for (const k of Object.keys(fields)) {
    const v = fields[k];
    if (v === null || v === undefined || DEFAULTS_ONLY[k]?.(v) === true) continue;
    throw new TranslationError(`\`${k}\` is not supported`);
  }
}

function toolOf(t: Tool): AnthropicTool {
  refuseExtra(t.extra, `tool \`${t.name}\``, ["legacy"]);
  if (t.strict === true) throw new TranslationError(`\`strict\` tools are not supported (tool \`${t.name}\`)`);
  const converted: AnthropicTool = { name: t.name, input_schema: t.parameters ?? { type: "object", properties: {} } };
  if (t.description !== undefined) converted.description = t.description;
  return converted;
}

function toolChoice(choice: ToolChoice | undefined, parallel: boolean | undefined): AnthropicToolChoice | undefined {
  const single = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined) return parallel === false ? { type: "auto", ...single } : undefined;
  switch (choice.kind) {
    case "none":
      return { type: "none" };
    case "auto":
      return { type: "auto", ...single };
    case "required":
      return { type: "any", ...single };
    case "tool":
      return { type: "tool", name: choice.name, ...single };
  }
}

function convertMessage(message: Message): [AnthropicMessage["role"], AnthropicContentBlock[]] {
  // An assistant's `content: null` and `refusal: null` say "nothing": the rest of a message's wire fields is refused.
  refuseExtra(message.extra, `a \`${message.role}\` message`, ["content", "refusal"]);
  switch (message.role) {
    case "user":
      return ["user", message.content.flatMap(toBlocks)];
    case "tool":
      return ["user", message.content.map(toolResult)];
    case "assistant":
      return ["assistant", message.content.flatMap(assistantBlock)];
    default:
      throw new TranslationError(`legacy \`${message.role}\` messages are not supported`);
  }
}

function toolResult(b: ContentBlock): AnthropicContentBlock {
  if (b.kind !== "tool_result") throw new TranslationError(`a \`tool\` message can only hold a tool result, not \`${wireType(b)}\``);
  const text = b.content.map((c) => onlyText(c, "tool")).filter((t) => t !== "").join("\n");
  return { type: "tool_result", tool_use_id: b.toolCallId, content: text };
}

function assistantBlock(b: ContentBlock): AnthropicContentBlock[] {
  if (b.kind !== "tool_call") return textBlocks(onlyText(b, "assistant"), b.extra);
  if (b.extra?.["legacy"] === true) throw new TranslationError("the legacy `function_call` is not supported: send `tool_calls`");
  let input: unknown;
  try {
    input = b.arguments === "" ? {} : JSON.parse(b.arguments);
  } catch {
    input = undefined;
  }
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new TranslationError(`the arguments of tool call \`${b.id}\` are not a JSON object`);
  }
  return [{ type: "tool_use", id: b.id, name: b.name, input: input as Record<string, unknown> }];
}

/** The text of a block that may only be text (system, developer, tool, assistant content). */
function onlyText(b: ContentBlock, role: string): string {
  if (b.kind === "text" || b.kind === "refusal") return b.text;
  if (b.kind === "reasoning") throw new TranslationError(`\`${String(b.extra?.["field"] ?? "reasoning")}\` sent back in a message is not supported`);
  throw new TranslationError(`a \`${role}\` message can only hold text, not \`${wireType(b)}\``);
}

function toBlocks(block: ContentBlock): AnthropicContentBlock[] {
  switch (block.kind) {
    case "text":
    case "refusal":
      return textBlocks(block.text, block.extra);
    case "image":
      return [withCache({ type: "image", source: sourceOf(block.url, "image") }, block.extra)];
    case "file": {
      if (block.data === undefined) throw new TranslationError("file references by id are not supported");
      const doc: AnthropicContentBlock = { type: "document", source: sourceOf(block.data, "file") };
      if (block.filename !== undefined) doc.title = block.filename;
      return [withCache(doc, block.extra)];
    }
    default:
      throw new TranslationError(`content of type \`${wireType(block)}\` is not supported`);
  }
}

// Anthropic rejects empty text blocks, so empty strings simply vanish.
function textBlocks(text: string, extra: Extra | undefined): AnthropicTextBlock[] {
  return text === "" ? [] : [withCache({ type: "text", text }, extra)];
}

/** Markers the chat codec puts in `extra` (what field a block came from), not wire fields. */
export const MARKERS = ["message", "field"];

/** `block` with the part's `cache_control`; any other wire field of the part is refused. */
function withCache<B extends AnthropicContentBlock & { cache_control?: unknown }>(block: B, extra: Extra | undefined): B {
  refuseExtra(extra, `a \`${block.type}\` part`, ["cache_control", ...MARKERS]);
  return extra?.["cache_control"] === undefined ? block : { ...block, cache_control: extra["cache_control"] };
}

/** Refuses a wire field the translation cannot carry (a `null` asks for nothing). */
export function refuseExtra(extra: Extra | undefined, where: string, allowed: readonly string[]): void {
  if (extra === undefined) return;
  for (const k of Object.keys(extra)) {
    if (allowed.includes(k) || extra[k] === null) continue;
    throw new TranslationError(`\`${k}\` on ${where} is not supported`);
  }
}

/** The OpenAI part type a block came from, for error messages. */
export function wireType(block: ContentBlock): string {
  switch (block.kind) {
    case "image":
      return "image_url";
    case "audio":
      return "input_audio";
    default:
      return block.kind;
  }
}
