/**
 * Formatting through the formatter `aigw fmt` uses (`formatText`): the
 * whole document replaced by its canonical layout. A file with syntax errors
 * is never rewritten (as with `aigw fmt`): the result is no edit and a
 * message saying why, next to the diagnostics that already mark the errors.
 */
import type { Range, TextEdit } from "vscode-languageserver";
import { formatText } from "../lang/format.js";

export type FormatOutcome = { edits: TextEdit[] } | { refused: string };

/** `whole` is the range of the entire document. */
export function formatDocument(text: string, path: string, whole: Range): FormatOutcome {
  const result = formatText(text, path);
  if (result.text === undefined) {
    const n = result.diagnostics.filter((d) => d.severity === "error").length;
    return { refused: `not formatted: ${path} has ${n} syntax error${n === 1 ? "" : "s"}` };
  }
  return { edits: result.text === text ? [] : [{ range: whole, newText: result.text }] };
}
