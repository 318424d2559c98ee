/**
 * The request model's public entry.
 *
 * - The canonical request (model.ts) every inbound API decodes into and
 *   adapters encode from, with one codec per inbound API (chat.ts). A new
 *   inbound API (Anthropic Messages, Responses, embeddings) is one codec
 *   file here and one decode step in runtime/pipeline/steps/.
 * - The wire body's content as typed, located blocks (blocks.ts), everything
 *   the model reads as located texts (text.ts), the write-back of rewritten
 *   texts (rewrite.ts) and the normal form detectors read (normalize.ts).
 *
 * Pure: no I/O, no `node:*`.
 */
export type { CanonicalRequest, ContentBlock as RequestBlock, EmbeddingOptions, Extra, InboundApi, Message, Operation, OutputConstraints, Passthrough, Reasoning, Role, Sampling, Streaming, Tool, ToolChoice } from "./model.js";
export { decodeChat, encodeChat } from "./chat.js";
export { decodeMessages, encodeMessages } from "./anthropic-messages.js";
export { anthropicError, anthropicErrorType, messagesReply, MessagesStreamEncoder } from "./anthropic-reply.js";
export { decodeResponses, encodeResponses } from "./responses.js";
export { responseObject, ResponsesStreamEncoder, type ResponseEcho } from "./responses-reply.js";
export { decodeEmbeddings, encodeEmbeddings, MAX_EMBEDDING_INPUTS, vectorFromBase64, vectorToBase64 } from "./embeddings.js";
export { CodecError } from "./codec-error.js";
export { canonicalMessage, canonicalMessages, contentBlocks, hasImages, KNOWN_PART_TYPES, type CanonicalMessage, type ContentBlock, type JsonPath } from "./blocks.js";
export { normalizeText, originalRange, type NormalizedText } from "./normalize.js";
export { withTexts } from "./rewrite.js";
export { completionTexts, joinTexts, requestTexts, type ReadableText } from "./text.js";
