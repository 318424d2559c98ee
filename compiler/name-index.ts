/**
 * Where every name of a policy is written: each declaration's name, each
 * reference to a declaration (the same list the unknown-reference and unused
 * lints read, rules/references.ts), each `import` with the file it names, and
 * each fact read in a `when` or `split by`. For the language server's
 * definition, references, rename and hover. Pure, and total over the
 * recovered ASTs of files with syntax errors (missing names are skipped).
 */
import type { Declaration, Expr, FactRef, SourceFile } from "../lang/ast.js";
import type { Span } from "../lang/span.js";
import { buildSymbols } from "./passes/symbols.js";
import { dirname, join } from "./posix-path.js";
import { collectReferences, type DeclKind } from "./rules/references.js";
import { arr, declarations, nameOf, statements, walkExpr } from "./rules/walk.js";

export type { DeclKind } from "./rules/references.js";

/** A declaration kind, or `file` for the files `import` names. */
export type NameKind = DeclKind | "file";

export interface Occurrence {
  kind: NameKind;
  /** The name; for `file`, the imported file's path as the loader resolves it. */
  name: string;
  /** The name as written (for `file`, the import's string literal, quotes included). */
  span: Span;
  /** The declaration itself, on a declaration's own name; absent on references. */
  decl?: Declaration;
}

/** A fact read by a condition or a split: `model`, `header("x-tier")`. */
export interface FactOccurrence {
  name: string;
  span: Span;
}

export interface NameIndex {
  /** Declarations and references, declarations first within each file, in source order. */
  occurrences: Occurrence[];
  facts: FactOccurrence[];
}

const NAMED = new Set<string>(["provider", "model", "budget", "limit", "guardrail", "health", "route"]);

/** Indexes the names of `files` (in load order, as the loader returns them). */
export function nameIndex(files: readonly SourceFile[]): NameIndex {
  const ctx = { files, symbols: buildSymbols(files).symbols, env: {} };
  const occurrences: Occurrence[] = [];
  const facts: FactOccurrence[] = [];
  const fact = (f: FactRef | undefined): void => {
    const name = nameOf(f?.name);
    if (f && name) facts.push({ name, span: f.name.span });
  };
  for (const { file, decl } of declarations(ctx)) {
    if (NAMED.has(decl.kind) && "name" in decl && decl.kind !== "test") {
      const name = nameOf(decl.name);
      if (name) occurrences.push({ kind: decl.kind as DeclKind, name, span: decl.name.span, decl });
    }
    if (decl.kind === "import" && decl.path?.value) {
      occurrences.push({ kind: "file", name: join(dirname(file), decl.path.value), span: decl.path.span });
    }
    if (decl.kind === "route") {
      for (const s of statements(decl)) {
        if (s.kind === "when") walkExpr(s.condition, (e) => ("fact" in e ? fact(e.fact) : undefined));
        else if (s.kind === "split") fact(s.by);
      }
    } else if (decl.kind === "guardrail" || decl.kind === "invariant") {
      for (const s of arr<{ kind: string; condition?: Expr }>(decl.body)) if (s?.kind === "when") walkExpr(s.condition, (e) => ("fact" in e ? fact(e.fact) : undefined));
    }
  }
  for (const ref of collectReferences(ctx)) occurrences.push({ kind: ref.kind, name: ref.ident.name, span: ref.ident.span });
  return { occurrences, facts };
}

/** True when the 1-based `line`/`column` falls inside `span` (its end included, so a cursor just after a name finds it). */
export function spanContains(span: Span, line: number, column: number): boolean {
  if (line < span.line || line > span.endLine) return false;
  if (line === span.line && column < span.column) return false;
  if (line === span.endLine && column > span.endColumn) return false;
  return true;
}
