/**
 * The Bedrock Converse request, encoded from the canonical request
 * (runtime/request/model.ts). System and developer messages become
 * `system` blocks; user content text and images (base64 data URLs; Bedrock
 * cannot fetch a URL); assistant tool calls `toolUse` blocks; tool results
 * `toolResult` blocks in a user turn (consecutive same-role turns merged, as
 * Converse wants them alternating); tools `toolConfig.tools[].toolSpec`;
 * `tool_choice` auto / required / a named tool as `auto` / `any` / `tool`;
 * max tokens, temperature, top_p and stop as `inferenceConfig`. Everything
 * else is refused (`TranslationError`, a 400 naming the field), never
 * dropped: `n` > 1, `response_format` other than text, `tool_choice: none`
 * (Converse has no way to say it), `parallel_tool_calls: false`, `user`,
 * `metadata`, reasoning, strict tools, audio, files, legacy function
 * calls, and any other field of the caller's wire unless it asks for the
 * default. An image's `detail` and a message `name` have no place in
 * Converse and are not sent (as for Anthropic). Pure.
 */

import { DEFAULTS_ONLY, MARKERS, refuseExtra, wireType } from "./anthropic-request.js";
import { TranslationError } from "./anthropic-translate.js";
import type { BedrockContentBlock, BedrockImageFormat, BedrockMessage, BedrockToolChoice, ConverseRequest } from "./bedrock-wire.js";
import type { CanonicalRequest, ContentBlock, Message, Tool, ToolChoice } from "../request/model.js";

const IMAGE_FORMATS: Readonly<Record<string, BedrockImageFormat>> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};

/** Translates a canonical chat request into a Converse body (the model is in the URL, not the body). */
export function toConverseRequest(req: CanonicalRequest): ConverseRequest {
  refuseUnmodeled(req);
  const system: { text: string }[] = [];
  const messages: BedrockMessage[] = [];
  for (const message of req.messages) {
    if (message.role === "system" || message.role === "developer") {
      refuseExtra(message.extra, `a \`${message.role}\` message`, []);
      for (const b of message.content) {
        const text = onlyText(b, message.role);
        if (text !== "") system.push({ text });
      }
      continue;
    }
    const [role, blocks] = convertMessage(message);
    const last = messages[messages.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else if (blocks.length > 0) messages.push({ role, content: blocks });
  }
  const out: ConverseRequest = { messages };
  if (system.length > 0) out.system = system;
  const inference: NonNullable<ConverseRequest["inferenceConfig"]> = {};
  if (req.output.maxTokens !== undefined) inference.maxTokens = req.output.maxTokens;
  if (req.sampling.temperature !== undefined) inference.temperature = req.sampling.temperature;
  if (req.sampling.topP !== undefined) inference.topP = req.sampling.topP;
  if (req.output.stop !== undefined && req.output.stop.length > 0) inference.stopSequences = [...req.output.stop];
  if (Object.keys(inference).length > 0) out.inferenceConfig = inference;
  if (req.tools.length > 0) {
    out.toolConfig = { tools: req.tools.map(toolSpec) };
    const choice = toolChoice(req.toolChoice);
    if (choice) out.toolConfig.toolChoice = choice;
  } else if (req.toolChoice !== undefined && req.toolChoice.kind !== "auto" && req.toolChoice.kind !== "none") {
    throw new TranslationError("`tool_choice` names a tool but `tools` is empty");
  }
  return out;
}

function refuseUnmodeled(req: CanonicalRequest): void {
  if (req.output.n !== undefined && req.output.n > 1) throw new TranslationError("`n` greater than 1 is not supported");
  const format = req.output.format;
  if (format !== undefined && format["type"] !== "text") throw new TranslationError(`\`response_format\` of type \`${String(format["type"])}\` is not supported`);
  if (req.toolChoice?.kind === "none" && req.tools.length > 0) throw new TranslationError("`tool_choice: none` is not supported (Converse cannot forbid the tools it is given)");
  if (req.parallelToolCalls === false) throw new TranslationError("`parallel_tool_calls: false` is not supported");
  if (req.user !== undefined && req.user !== "") throw new TranslationError("`user` is not supported");
  if (req.metadata !== undefined) throw new TranslationError("`metadata` is not supported");
  if (req.reasoning !== undefined) throw new TranslationError("reasoning settings (`reasoning_effort`, `thinking`) are not supported");
  const fields = req.passthrough.fields;
  for (const k of Object.keys(fields)) {
    const v = fields[k];
    if (v === null || v === undefined || DEFAULTS_ONLY[k]?.(v) === true) continue;
    throw new TranslationError(`\`${k}\` is not supported`);
  }
}

function toolSpec(t: Tool): { toolSpec: { name: string; description?: string; inputSchema: { json: Record<string, unknown> } } } {
  refuseExtra(t.extra, `tool \`${t.name}\``, []);
  if (t.strict === true) throw new TranslationError(`\`strict\` tools are not supported (tool \`${t.name}\`)`);
  const spec: { name: string; description?: string; inputSchema: { json: Record<string, unknown> } } = {
    name: t.name,
    inputSchema: { json: { ...(t.parameters ?? { type: "object", properties: {} }) } },
  };
  if (t.description !== undefined) spec.description = t.description;
  return { toolSpec: spec };
}

function toolChoice(choice: ToolChoice | undefined): BedrockToolChoice | undefined {
  switch (choice?.kind) {
    case undefined:
    case "none":
      return undefined;
    case "auto":
      return { auto: {} };
    case "required":
      return { any: {} };
    case "tool":
      return { tool: { name: choice.name } };
  }
}

function convertMessage(message: Message): [BedrockMessage["role"], BedrockContentBlock[]] {
  refuseExtra(message.extra, `a \`${message.role}\` message`, ["content", "refusal"]);
  switch (message.role) {
    case "user":
      return ["user", message.content.flatMap(userBlock)];
    case "tool":
      return ["user", message.content.map(toolResult)];
    case "assistant":
      return ["assistant", message.content.flatMap(assistantBlock)];
    default:
      throw new TranslationError(`legacy \`${message.role}\` messages are not supported`);
  }
}

function userBlock(b: ContentBlock): BedrockContentBlock[] {
  switch (b.kind) {
    case "text":
    case "refusal":
      refuseExtra(b.extra, "a `text` part", MARKERS);
      return b.text === "" ? [] : [{ text: b.text }];
    case "image":
      refuseExtra(b.extra, "an `image_url` part", MARKERS);
      return [{ image: imageOf(b.url) }];
    default:
      throw new TranslationError(`content of type \`${wireType(b)}\` is not supported`);
  }
}

/** A base64 data URL of a format Converse takes; Converse reads bytes, not URLs. */
function imageOf(url: string): { format: BedrockImageFormat; source: { bytes: string } } {
  const match = /^data:([^;,]+)((?:;[^;,]*)*);base64,(.*)$/s.exec(url);
  if (!match) throw new TranslationError("images must be base64 `data:` URLs (Bedrock does not fetch image URLs)");
  const format = IMAGE_FORMATS[match[1]!.toLowerCase()];
  if (format === undefined) throw new TranslationError(`images of type \`${match[1]}\` are not supported (png, jpeg, gif and webp are)`);
  return { format, source: { bytes: match[3]! } };
}

function toolResult(b: ContentBlock): BedrockContentBlock {
  if (b.kind !== "tool_result") throw new TranslationError(`a \`tool\` message can only hold a tool result, not \`${wireType(b)}\``);
  const text = b.content.map((c) => onlyText(c, "tool")).join("\n");
  // Converse rejects an empty content list; an empty result is an empty text.
  return { toolResult: { toolUseId: b.toolCallId, content: [{ text }] } };
}

function assistantBlock(b: ContentBlock): BedrockContentBlock[] {
  if (b.kind !== "tool_call") {
    const text = onlyText(b, "assistant");
    return text === "" ? [] : [{ text }];
  }
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
  return [{ toolUse: { toolUseId: b.id, name: b.name, input } }];
}

function onlyText(b: ContentBlock, role: string): string {
  if (b.kind === "text" || b.kind === "refusal") {
    refuseExtra(b.extra, "a `text` part", MARKERS);
    return b.text;
  }
  if (b.kind === "reasoning") throw new TranslationError(`\`${String(b.extra?.["field"] ?? "reasoning")}\` sent back in a message is not supported`);
  throw new TranslationError(`a \`${role}\` message can only hold text, not \`${wireType(b)}\``);
}
