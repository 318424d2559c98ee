/**
 * The request model's public entry.
 *
 * - The canonical request (model.ts) every inbound API decodes into and
 *   every provider adapter encodes from, with one codec per inbound API
 *   (chat.ts and chat-message.ts for OpenAI chat completions,
 *   anthropic-messages.ts, responses.ts, embeddings.ts; their replies in
 *   anthropic-reply.ts and responses-reply.ts). A new inbound API is one
 *   codec file here and one shape in runtime/pipeline/apis.ts.
 * - Everything the model reads, as texts in reading order, and the same
 *   walk writing rewritten (redacted) texts back into a new request
 *   (text.ts); the normal form detectors read (normalize.ts).
 *
 * Pure: no I/O, no `node:*`.
 */
export type { CanonicalRequest, ContentBlock, EmbeddingOptions, Extra, InboundApi, Message, Operation, OutputConstraints, Passthrough, Reasoning, Role, Sampling, Streaming, Tool, ToolChoice } from "./model.js";
export { decodeChat, decodeChatMessage, encodeChat, encodeChatMessage, encodesCheaply, KNOWN_PART_TYPES } from "./chat.js";
export { decodeMessages, encodeMessages } from "./anthropic-messages.js";
export { anthropicError, anthropicErrorType, messagesReply, MessagesStreamEncoder } from "./anthropic-reply.js";
export { decodeResponses, encodeResponses } from "./responses.js";
export { responseObject, ResponsesStreamEncoder, type ResponseEcho } from "./responses-reply.js";
export { decodeEmbeddings, encodeEmbeddings, MAX_EMBEDDING_INPUTS, vectorFromBase64, vectorToBase64 } from "./embeddings.js";
export { CodecError } from "./codec-error.js";
export { askedOf, describeShaping, shapeParams, shapeRequest, type ShapeChange, type ShapeHow } from "./shape.js";
export { normalizeText, originalRange, type NormalizedText } from "./normalize.js";
export { mapRequestTexts, messagesTexts, requestTexts, textChanges, withMessagesTexts, withRequestTexts, type TextChange, type TextMap } from "./text.js";
