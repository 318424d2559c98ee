/**
 * Go to definition, find references and rename, for every name a policy
 * declares (providers, models, budgets, limits, guardrails, routes) and for
 * the files `import` names. All read the name index of the analysis
 * (compiler/name-index.ts): the same references the unknown-reference and
 * unused lints see, so the editor and `aigw check` agree on what a name
 * refers to.
 */
import { LSPErrorCodes, ResponseError, type Location, type Position, type Range, type TextEdit, type WorkspaceEdit } from "vscode-languageserver";
import { spanContains, type Occurrence } from "../compiler/name-index.js";
import type { Analysis } from "./analysis.js";
import { pathUri, spanPoint, spanRange, START } from "./convert.js";

/** The name under the cursor (the innermost, should spans ever nest). */
export function occurrenceAt(a: Analysis, path: string, position: Position): Occurrence | undefined {
  const { line, column } = spanPoint(position);
  let found: Occurrence | undefined;
  for (const o of a.index.occurrences) {
    if (o.span.file !== path || !spanContains(o.span, line, column)) continue;
    if (!found || o.span.endOffset - o.span.offset < found.span.endOffset - found.span.offset) found = o;
  }
  return found;
}

/** Every place `kind` `name` is written: declarations first (in load order), then references. */
function sameName(a: Analysis, o: Occurrence): Occurrence[] {
  return a.index.occurrences.filter((x) => x.kind === o.kind && x.name === o.name);
}

const location = (o: Occurrence): Location => ({ uri: pathUri(o.span.file), range: spanRange(o.span) });

/** Where the name under the cursor is declared (the first declaration: the one that counts), or the imported file. */
export function definition(a: Analysis, path: string, position: Position): Location[] {
  const o = occurrenceAt(a, path, position);
  if (!o) return [];
  if (o.kind === "file") return [{ uri: pathUri(o.name), range: START }];
  const decl = sameName(a, o).find((x) => x.decl);
  return decl ? [location(decl)] : [];
}

/** Every place the name under the cursor is written; for an import, every import of that file. */
export function references(a: Analysis, path: string, position: Position, includeDeclaration: boolean): Location[] {
  const o = occurrenceAt(a, path, position);
  if (!o) return [];
  return sameName(a, o)
    .filter((x) => includeDeclaration || !x.decl)
    .map(location);
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*$/;

/** The range and text of the name to rename, or an error saying why it cannot be. */
export function prepareRename(a: Analysis, path: string, position: Position): { range: Range; placeholder: string } | null {
  const o = occurrenceAt(a, path, position);
  if (!o) return null;
  if (o.kind === "file") throw new ResponseError(LSPErrorCodes.RequestFailed, "a file is renamed on disk; then change its `import`");
  return { range: spanRange(o.span), placeholder: o.name };
}

/**
 * Renames the name under the cursor everywhere in its policy, across files.
 * Refuses a name the language cannot read and one that another declaration
 * of the same kind already has (kinds have their own namespaces, so a model
 * may take the name of a route).
 */
export function rename(a: Analysis, path: string, position: Position, newName: string): WorkspaceEdit | null {
  const o = occurrenceAt(a, path, position);
  if (!o) return null;
  if (o.kind === "file") throw new ResponseError(LSPErrorCodes.RequestFailed, "a file is renamed on disk; then change its `import`");
  if (!NAME.test(newName) || newName === "true" || newName === "false") {
    throw new ResponseError(LSPErrorCodes.RequestFailed, `\`${newName}\` is not a name: letters, digits and \`_\`, joined by \`-\` or \`.\`, not starting with a digit`);
  }
  if (newName !== o.name && a.index.occurrences.some((x) => x.decl && x.kind === o.kind && x.name === newName)) {
    throw new ResponseError(LSPErrorCodes.RequestFailed, `a ${o.kind} named \`${newName}\` already exists`);
  }
  const changes: Record<string, TextEdit[]> = {};
  for (const x of sameName(a, o)) (changes[pathUri(x.span.file)] ??= []).push({ range: spanRange(x.span), newText: newName });
  return { changes };
}
