/**
 * The canonical request model's public entry: content as typed blocks
 * (blocks.ts), everything the model reads as located texts (text.ts), the
 * write-back of rewritten texts (rewrite.ts) and the normal form detectors
 * read (normalize.ts). Pure: no I/O, no `node:*`.
 */
export { canonicalMessage, canonicalMessages, contentBlocks, hasImages, KNOWN_PART_TYPES, type CanonicalMessage, type ContentBlock, type JsonPath } from "./blocks.js";
export { normalizeText, originalRange, type NormalizedText } from "./normalize.js";
export { withTexts } from "./rewrite.js";
export { completionTexts, joinTexts, requestTexts, type ReadableText } from "./text.js";
