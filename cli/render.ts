/**
 * Presenting diagnostics: human (source excerpt with a caret under the span,
 * colour only on a terminal), JSON (one document) and GitHub Actions
 * annotations; `aigw check`'s SARIF and JUnit are in cli/report/. Pure:
 * takes the texts of the files, returns strings.
 */
import type { Diagnostic, Fix } from "../lang/diagnostics.js";
import type { Span } from "../lang/span.js";

export type Format = "human" | "json" | "github";
export const FORMATS: readonly Format[] = ["human", "json", "github"];

const paint = (on: boolean) => (code: string, s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);

/** rustc-style: header, location, the source line, a caret line, help. */
export function renderHuman(d: Diagnostic, texts: ReadonlyMap<string, string>, colour: boolean): string {
  const c = paint(colour);
  const head = d.severity === "error" ? c("1;31", `error[${d.code}]`) : c("1;33", `warning[${d.code}]`);
  const lines = [`${head}: ${c("1", d.message)}`, ...excerpt(d.span, texts, c)];
  if (d.related) lines.push(`${c("1;36", "note")}: ${d.related.message}`, ...excerpt(d.related.span, texts, c));
  if (d.help) lines.push(`  ${c("1;36", "= help")}: ${d.help}`);
  if (d.fix) lines.push(`  ${c("1;36", "= help")}: ${d.fix.message}`, ...suggestion(d.fix, texts, c));
  return lines.join("\n") + "\n";
}

/**
 * The line as the fix would leave it, rustc-style, with `~` under the new
 * text; only for a fix on one line of one file (a move is described by its
 * message alone).
 */
function suggestion(fix: Fix, texts: ReadonlyMap<string, string>, c: (code: string, s: string) => string): string[] {
  const first = fix.edits[0]?.span;
  if (!first || fix.edits.some((e) => e.span.file !== first.file || e.span.line !== first.line || e.span.endLine !== first.line || e.text.includes("\n"))) return [];
  const source = texts.get(first.file)?.split(/\r?\n/)[first.line - 1];
  if (source === undefined) return [];
  let fixed = "";
  let marks = "";
  let at = 1;
  for (const e of [...fix.edits].sort((a, b) => a.span.column - b.span.column)) {
    const kept = source.slice(at - 1, e.span.column - 1);
    fixed += kept + e.text;
    marks += kept.replace(/[^\t]/g, " ") + (e.text === "" ? "" : "~".repeat(e.text.length));
    at = e.span.endColumn;
  }
  fixed += source.slice(at - 1);
  if (marks.trim() === "") return [];
  const gutter = String(first.line);
  const pad = " ".repeat(gutter.length);
  return [`${pad} ${c("1;34", "|")}`, `${c("1;34", gutter)} ${c("1;34", "|")} ${fixed}`, `${pad} ${c("1;34", "|")} ${c("1;32", marks.trimEnd())}`];
}

function excerpt(span: Span, texts: ReadonlyMap<string, string>, c: (code: string, s: string) => string): string[] {
  const out = [`  ${c("1;34", "-->")} ${span.file}:${span.line}:${span.column}`];
  const text = texts.get(span.file);
  const source = text?.split(/\r?\n/)[span.line - 1];
  if (source === undefined) return out;
  const gutter = String(span.line);
  const pad = " ".repeat(gutter.length);
  const width = span.endLine === span.line ? Math.max(1, span.endColumn - span.column) : Math.max(1, source.length - span.column + 1);
  const lead = source.slice(0, span.column - 1).replace(/[^\t]/g, " ");
  out.push(`${pad} ${c("1;34", "|")}`);
  out.push(`${c("1;34", gutter)} ${c("1;34", "|")} ${source}`);
  out.push(`${pad} ${c("1;34", "|")} ${lead}${c("1;31", "^".repeat(width))}`);
  return out;
}

/**
 * `::error file=…,line=…::message`, escaped as GitHub's workflow commands
 * require. The help and the related place follow the message on their own
 * lines (`= help: …`, `note: … at file:line:column`), as in the human format.
 */
export function renderGithub(d: {
  severity: string;
  code?: string;
  message: string;
  file: string;
  line: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  help?: string;
  related?: { message: string; file: string; line: number; column: number };
}): string {
  const props = [`file=${prop(d.file)}`, `line=${d.line}`];
  if (d.column !== undefined) props.push(`col=${d.column}`);
  if (d.endLine !== undefined) props.push(`endLine=${d.endLine}`);
  if (d.endColumn !== undefined) props.push(`endColumn=${d.endColumn}`);
  if (d.code) props.push(`title=${prop(d.code)}`);
  const kind = d.severity === "error" ? "error" : "warning";
  let message = d.message;
  if (d.related) message += `\nnote: ${d.related.message} at ${d.related.file}:${d.related.line}:${d.related.column}`;
  if (d.help) message += `\n= help: ${d.help}`;
  return `::${kind} ${props.join(",")}::${data(message)}\n`;
}

function data(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function prop(s: string): string {
  return data(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** `3 errors, 1 warning` */
export function summary(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  return `${plural(errors, "error")}, ${plural(warnings, "warning")}`;
}
