/**
 * Diagnostics are values: every phase (lexer, parser, compiler passes, lints)
 * returns a list of them and never throws on bad input. Each has a stable code
 * from the table below, so tooling and tests can rely on codes rather than on
 * message wording. Messages follow Cedar's style: lowercase, no final period,
 * user input in backticks.
 */
import type { Span } from "./span.js";

export type Severity = "error" | "warning";

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  span: Span;
  /** A second place that explains the first, e.g. the earlier duplicate. */
  related?: { message: string; span: Span };
  /** One line of advice on how to fix it. */
  help?: string;
  /** A fix as data: the editor offers it as a code action, `aigw check` prints it as help. */
  fix?: Fix;
}

/**
 * A suggested fix: text edits that, applied together, turn the slip into
 * what was meant (`=` into `==`, `improt` into `import`). Offered only when
 * the parser read further with the fix applied than without it.
 */
export interface Fix {
  /** What the fix does, as advice: "write `==`". */
  message: string;
  /** Non-overlapping edits; a zero-width span inserts. */
  edits: { span: Span; text: string }[];
}

/**
 * Every diagnostic code with its default severity and a short title.
 * Codes never change meaning once published; retired codes are not reused.
 */
export const CODES = {
  // lexing and parsing (lang/)
  P001: { severity: "error", title: "unexpected character" },
  P002: { severity: "error", title: "syntax error" },
  P003: { severity: "error", title: "bad string literal" },
  P004: { severity: "error", title: "unknown unit" },
  // loading several files (compiler/load)
  L001: { severity: "error", title: "file not found" },
  L002: { severity: "error", title: "import cycle" },
  L003: { severity: "warning", title: "file not imported" },
  L004: { severity: "error", title: "no entry file" },
  // names
  E101: { severity: "error", title: "unknown reference" },
  E102: { severity: "error", title: "duplicate name" },
  // types and units
  E201: { severity: "error", title: "wrong unit or type" },
  E202: { severity: "error", title: "unknown setting" },
  E203: { severity: "error", title: "missing setting" },
  E204: { severity: "error", title: "value out of range" },
  E205: { severity: "error", title: "unknown fact" },
  E206: { severity: "error", title: "bad comparison" },
  E207: { severity: "error", title: "invalid regex" },
  E208: { severity: "error", title: "setting given twice" },
  E209: { severity: "error", title: "stream cannot be inspected" },
  E210: { severity: "error", title: "statement not allowed here" },
  E211: { severity: "error", title: "header not allowed upstream" },
  E212: { severity: "error", title: "amount table without values to name" },
  // routes
  E301: { severity: "error", title: "split weights do not sum to 100%" },
  E302: { severity: "error", title: "target named twice" },
  E303: { severity: "error", title: "fallback can loop" },
  E304: { severity: "error", title: "unreachable route" },
  E305: { severity: "error", title: "route has no target" },
  E306: { severity: "error", title: "conflicting targets" },
  E307: { severity: "error", title: "model has no price" },
  E308: { severity: "error", title: "route over its declared bound" },
  E309: { severity: "error", title: "invariant broken" },
  E310: { severity: "error", title: "defaults include themselves" },
  E311: { severity: "error", title: "bad wildcard model" },
  // tests
  E401: { severity: "error", title: "bad test" },
  // internal consistency
  I001: { severity: "error", title: "evaluator and reference interpreter disagree" },
  I002: { severity: "error", title: "internal compiler error" },
  // lints
  W501: { severity: "warning", title: "unused declaration" },
  W502: { severity: "warning", title: "environment variable not set" },
  W503: { severity: "warning", title: "route matches everything" },
  W504: { severity: "warning", title: "no caller can authenticate" },
  W505: { severity: "warning", title: "reservation unbounded by the model" },
  W506: { severity: "warning", title: "condition always true" },
  W507: { severity: "warning", title: "cache shared across callers" },
  W508: { severity: "warning", title: "target always skipped" },
  W509: { severity: "warning", title: "capability no target supports" },
} as const satisfies Record<string, { severity: Severity; title: string }>;

export type DiagnosticCode = keyof typeof CODES;

/** Builds a diagnostic with the code's default severity. */
export function diagnostic(
  code: DiagnosticCode,
  message: string,
  span: Span,
  extra: { help?: string; related?: { message: string; span: Span }; fix?: Fix } = {},
): Diagnostic {
  const d: Diagnostic = { code, severity: CODES[code].severity, message, span };
  if (extra.related) d.related = extra.related;
  if (extra.help) d.help = extra.help;
  if (extra.fix) d.fix = extra.fix;
  return d;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Orders diagnostics by file, then position, then code, so output is stable. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      a.span.file.localeCompare(b.span.file) ||
      a.span.offset - b.span.offset ||
      a.code.localeCompare(b.code),
  );
}

/**
 * A diagnostic as flat JSON: what `aigw check --format json` prints and what
 * `GET /admin/policy` reports for a refused reload.
 */
export interface JsonDiagnostic {
  code: string;
  severity: Severity;
  message: string;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  help?: string;
  /** The second place the diagnostic points at (the earlier duplicate, the route that hides this one). */
  related?: { message: string; file: string; line: number; column: number; endLine: number; endColumn: number };
  /** The suggested fix: each edit replaces its range (end exclusive) with `text`. */
  fix?: { message: string; edits: { file: string; line: number; column: number; endLine: number; endColumn: number; text: string }[] };
}

export function diagnosticJson(d: Diagnostic): JsonDiagnostic {
  const j: JsonDiagnostic = {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.span.file,
    line: d.span.line,
    column: d.span.column,
    endLine: d.span.endLine,
    endColumn: d.span.endColumn,
  };
  if (d.help) j.help = d.help;
  if (d.related) {
    const r = d.related.span;
    j.related = { message: d.related.message, file: r.file, line: r.line, column: r.column, endLine: r.endLine, endColumn: r.endColumn };
  }
  if (d.fix) {
    const edits = d.fix.edits.map(({ span: s, text }) => ({ file: s.file, line: s.line, column: s.column, endLine: s.endLine, endColumn: s.endColumn, text }));
    j.fix = { message: d.fix.message, edits };
  }
  return j;
}
