/**
 * The request model's public entry: the canonical request every inbound API
 * decodes into and adapters encode from, and the codecs per inbound API. A
 * new inbound API (Anthropic Messages, Responses, embeddings) is one codec
 * file here and one decode step in runtime/pipeline/steps/.
 */
export type * from "./model.js";
export { decodeChat, encodeChat } from "./chat.js";
