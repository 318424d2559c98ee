/**
 * The formatter: prints a parsed file in the one canonical layout that
 * `aigw fmt` writes, keeping every comment.
 *
 * The layout rules (also in lang/SPEC.md, "Canonical layout"):
 * - two-space indentation, one statement per line inside blocks; only
 *   conditions are wrapped;
 * - one blank line between top-level declarations, except that a run of
 *   one-line declarations of the same kind (providers, models, imports…)
 *   written without blank lines between them stays together; inside blocks a
 *   blank line is kept (at most one) where the source had one;
 * - a `provider`, `model`, `budget`, `limit`, `guardrail`, `cache` or test `request`
 *   block is written on its head's line, items two spaces apart
 *   (`provider demo { api mock  latency 20ms }`), when it holds no comment and
 *   the line fits in 100 columns; `gateway`, `keys`, `route` and `test`
 *   blocks always take one statement per line; an empty block is `{}` and a
 *   model without settings has no block;
 * - split arms always stay on the split's line: `split by key { 70% a  30% b }`;
 * - strings are re-escaped (`\"`, `\\`, `\n`, `\t`, `\r`, `\u{…}` for other
 *   control characters), quantities and regexes are printed as written;
 * - a run of one-line statements of one shape is aligned into columns
 *   (format-align.ts);
 * - a condition stays on one line if the source had it so and it fits in
 *   100 columns; otherwise it takes one top-level clause per line, each
 *   continuation led by its `and`/`or`.
 *
 * Where comments go is decided in format-layout.ts.
 */
import type * as A from "./ast.js";
import { hasErrors, type Diagnostic } from "./diagnostics.js";
import { Layout, type BlockEntry, type ConditionEntry, type Entry, type LineEntry } from "./format-layout.js";
import * as P from "./format-text.js";
import { parse } from "./parse.js";
import type { Span } from "./span.js";

/**
 * Prints `file` in the canonical layout. The result ends with a newline
 * unless it is empty. Meant for files that parsed without errors (see
 * `formatText`): parts the parser had to skip are not printed.
 */
export function format(file: A.SourceFile): string {
  return new Layout(file.comments).file(file.declarations.map(declaration));
}

/** The outcome of formatting text: the new text, or the syntax errors that prevented it. */
export interface FormatResult {
  /** The formatted text; absent when the input has errors. */
  text?: string;
  diagnostics: Diagnostic[];
}

/**
 * Parses and formats `text`. A file with any error (a syntax error, a bad
 * string or unit) is not formatted: the result has no `text` and carries the
 * diagnostics, so a broken file is never rewritten.
 */
export function formatText(text: string, fileName: string): FormatResult {
  const { file, diagnostics } = parse(text, fileName);
  if (hasErrors(diagnostics)) return { diagnostics };
  return { text: format(file), diagnostics };
}

// ---------------------------------------------------------------- AST to layout entries

function line(group: string, text: string, span: Span): LineEntry {
  return { kind: "line", group, text, span };
}

function block(group: string, head: string, body: Entry[], inlinable: boolean, span: Span): BlockEntry {
  return { kind: "block", group, head, body, inlinable, span };
}

function condition(group: string, head: string, e: A.Expr, span: Span): ConditionEntry {
  return { kind: "condition", group, head, clauses: P.clauses(e), span };
}

/** A route or defaults statement: a `when` is a condition, everything else a line. */
function routeStmt(s: A.RouteStmt): Entry {
  return s.kind === "when" ? condition("route", "when", s.condition, s.span) : line("route", P.routeStmt(s), s.span);
}

function settings(list: readonly A.Setting[]): Entry[] {
  return list.map((s) => line("setting", P.setting(s), s.span));
}

function declaration(d: A.Declaration): Entry {
  switch (d.kind) {
    case "import":
      return line(d.kind, `import ${P.stringLiteral(d.path.value)}`, d.span);
    case "gateway":
      return block(d.kind, "gateway", settings(d.settings), false, d.span);
    case "provider":
    case "health":
    case "jwt":
      return block(d.kind, `${d.kind} ${d.name.name}`, settings(d.settings), true, d.span);
    case "model": {
      const head = `model ${d.name.name} = ${d.provider.name}/${P.stringLiteral(d.upstream.value)}`;
      const prices = (d.prices ?? []).map((e) => line("price", P.priceEntry(e), e.span));
      if (prices.length > 0) return block(d.kind, head, [...settings(d.settings), ...prices], false, d.span);
      return d.settings.length ? block(d.kind, head, settings(d.settings), true, d.span) : line(d.kind, head, d.span);
    }
    case "keys":
      return block(
        d.kind,
        "keys",
        d.entries.map((k) => line("key", P.keyEntry(k), k.span)),
        false,
        d.span,
      );
    case "budget":
    case "limit":
      return block(
        d.kind,
        `${d.kind} ${d.name.name}`,
        d.clauses.map(clause),
        true,
        d.span,
      );
    case "guardrail":
      return block(
        d.kind,
        `guardrail ${d.name.name}`,
        d.body.map((s) => (s.kind === "when" ? condition("guard", `${s.action.name} when`, s.condition, s.span) : line("guard", P.guardrailStmt(s), s.span))),
        true,
        d.span,
      );
    case "cache":
      return block(
        d.kind,
        `cache ${d.name.name}`,
        d.body.map((s) => (s.kind === "when" ? condition("cache", "when", s.condition, s.span) : line("cache", P.cacheStmt(s), s.span))),
        true,
        d.span,
      );
    case "route":
      return block(
        d.kind,
        `route ${d.name.name}`,
        d.body.map(routeStmt),
        false,
        d.span,
      );
    case "defaults":
      return block(
        d.kind,
        `defaults ${d.name.name}`,
        d.body.map(routeStmt),
        true,
        d.span,
      );
    case "invariant":
      return block(
        d.kind,
        `invariant ${d.name.name}`,
        d.body.map((s) => (s.kind === "when" ? condition("invariant", "when", s.condition, s.span) : line("invariant", P.invariantStmt(s), s.span))),
        true,
        d.span,
      );
    case "test":
      return block(d.kind, `test ${P.stringLiteral(d.name.value)}`, d.body.map(testStmt), false, d.span);
  }
}

/** An amount table is a block of its own: on the clause's line when it fits and holds no comment, else one entry per line. */
function clause(c: A.BudgetClause): Entry {
  if (c.kind !== "amount" || c.table === undefined || c.table.length === 0) return line("clause", P.clause(c), c.span);
  const entries = c.table.map((e) => line("entry", P.amountEntry(e), e.span));
  return block("clause", P.amountHead(c), entries, true, c.span);
}

function testStmt(s: A.TestStmt): Entry {
  if (s.kind !== "request") return line("test", P.testLine(s), s.span);
  const facts = s.facts.map((f) => line("fact", P.requestFact(f), f.span));
  return block("test", "request", facts, true, s.span);
}
