/**
 * The request model's public entry.
 *
 * - The canonical request (model.ts) every inbound API decodes into and
 *   every provider adapter encodes from, with one codec per inbound API
 *   (chat.ts and chat-message.ts for OpenAI chat completions). A new inbound
 *   API (Anthropic Messages, Responses, embeddings) is one codec file here
 *   and one decode step in runtime/pipeline/steps/.
 * - Everything the model reads, as texts in reading order, and the same
 *   walk writing rewritten (redacted) texts back into a new request
 *   (text.ts); the normal form detectors read (normalize.ts).
 *
 * Pure: no I/O, no `node:*`.
 */
export type { CanonicalRequest, ContentBlock, Extra, InboundApi, Message, Operation, OutputConstraints, Passthrough, Role, Sampling, Streaming, Tool, ToolChoice } from "./model.js";
export { decodeChat, decodeChatMessage, encodeChat, encodeChatMessage, KNOWN_PART_TYPES } from "./chat.js";
export { normalizeText, originalRange, type NormalizedText } from "./normalize.js";
export { mapRequestTexts, messagesTexts, requestTexts, withMessagesTexts, withRequestTexts, type TextMap } from "./text.js";
