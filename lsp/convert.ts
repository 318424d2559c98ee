/**
 * Between the compiler's coordinates and the protocol's: spans have 1-based
 * lines and columns counted in UTF-16 code units (string offsets), LSP
 * positions are 0-based in the same units; policies name files by path,
 * editors by `file://` URI.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Position, Range } from "vscode-languageserver";
import type { Span } from "../lang/span.js";

export function spanRange(span: Span): Range {
  return {
    start: { line: Math.max(0, span.line - 1), character: Math.max(0, span.column - 1) },
    end: { line: Math.max(0, span.endLine - 1), character: Math.max(0, span.endColumn - 1) },
  };
}

/** The 1-based line and column of an LSP position, as spans count them. */
export function spanPoint(position: Position): { line: number; column: number } {
  return { line: position.line + 1, column: position.character + 1 };
}

/** The path of a `file:` URI; undefined for any other scheme (an untitled buffer, a remote file). */
export function uriPath(uri: string): string | undefined {
  if (!uri.startsWith("file:")) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

export function pathUri(path: string): string {
  return pathToFileURL(path).href;
}

/** A zero-width range at the start of a file, for what concerns the whole file. */
export const START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
