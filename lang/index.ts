/**
 * The `.route` language: parse text into an AST with diagnostics, and format
 * an AST back into canonical text. Pure: no I/O.
 */
export type * from "./ast.js";
export * from "./diagnostics.js";
export * from "./span.js";
export { parse, type ParseResult } from "./parse.js";
export { format, formatText, type FormatResult } from "./format.js";
