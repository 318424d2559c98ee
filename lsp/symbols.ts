/**
 * The outline of one file: each declaration as a document symbol, named as
 * the author wrote it, with a route's `when` and a model's upstream as
 * detail. A file that imports mid-way is several segments in the analysis;
 * the outline joins them in source order.
 */
import { SymbolKind, type DocumentSymbol } from "vscode-languageserver";
import type { Declaration } from "../lang/ast.js";
import { segmentsOf, type Analysis } from "./analysis.js";
import { spanRange } from "./convert.js";

const KIND: Record<Declaration["kind"], SymbolKind> = {
  import: SymbolKind.File,
  gateway: SymbolKind.Namespace,
  provider: SymbolKind.Module,
  model: SymbolKind.Class,
  keys: SymbolKind.Key,
  budget: SymbolKind.Variable,
  limit: SymbolKind.Variable,
  guardrail: SymbolKind.Interface,
  cache: SymbolKind.Struct,
  health: SymbolKind.Event,
  jwt: SymbolKind.Object,
  route: SymbolKind.Function,
  invariant: SymbolKind.Boolean,
  test: SymbolKind.Method,
};

function symbol(d: Declaration, text: string): DocumentSymbol | undefined {
  const range = spanRange(d.span);
  const slice = (s: { offset: number; endOffset: number } | undefined): string => (s ? text.slice(s.offset, s.endOffset) : "");
  switch (d.kind) {
    case "import":
      return { name: `import ${slice(d.path?.span)}`, kind: KIND.import, range, selectionRange: spanRange(d.path?.span ?? d.span) };
    case "gateway":
    case "keys":
      return { name: d.kind, kind: KIND[d.kind], range, selectionRange: range };
    case "test":
      return { name: `test ${slice(d.name?.span)}`, kind: KIND.test, range, selectionRange: spanRange(d.name?.span ?? d.span) };
    default: {
      if (!d.name?.name) return undefined;
      let detail: string | undefined = d.kind;
      if (d.kind === "model") detail = `${d.provider?.name ?? ""}/${slice(d.upstream?.span)}`;
      if (d.kind === "route") {
        const when = (d.body ?? []).find((s) => s?.kind === "when");
        detail = when?.kind === "when" ? `when ${slice(when.condition?.span)}` : "every request";
      }
      return { name: d.name.name, detail, kind: KIND[d.kind], range, selectionRange: spanRange(d.name.span) };
    }
  }
}

export function documentSymbols(a: Analysis, path: string): DocumentSymbol[] {
  const text = a.texts.get(path) ?? "";
  const decls = segmentsOf(a, path).flatMap((f) => f.declarations ?? []);
  return decls.flatMap((d) => symbol(d, text) ?? []);
}
