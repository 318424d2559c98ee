/**
 * What the reliability fuzzer asserts of every diagnostic a mutated policy
 * produces, and the valid policies it mutates. `diagnosticFaults` lists
 * what is wrong with a list of diagnostics (an empty list: nothing), so a
 * failing property prints every fault of the mutant at once.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { CODES, type Diagnostic, type JsonDiagnostic } from "../../lang/diagnostics.js";
import type { Span } from "../../lang/span.js";
import { INTERNAL } from "../lang/helpers.js";

/** Codes that mean a bug in aigw, never in the policy: a mutant must not produce them. */
const BUG_CODES = new Set(["I001", "I002"]);

/** Words that mean an internal value leaked into a message. */
const LEAKS = /\[object |\bundefined\b|\bNaN\b/;

/** Line and column (1-based, UTF-16 units, as LineMap counts) of `offset` in `text`. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastBreak = before.lastIndexOf("\n");
  return { line: before.split("\n").length, column: offset - lastBreak };
}

function spanFaults(span: Span | undefined, texts: ReadonlyMap<string, string>): string[] {
  if (!span) return ["no span"];
  const text = texts.get(span.file);
  if (text === undefined) return [`span in \`${span.file}\`, which is not a file of the policy`];
  const { offset, endOffset } = span;
  if (!Number.isInteger(offset) || !Number.isInteger(endOffset) || offset < 0 || endOffset < offset || endOffset > text.length) {
    return [`span offsets ${offset}..${endOffset} outside the file (length ${text.length})`];
  }
  const start = position(text, offset);
  const end = position(text, endOffset);
  if (span.line !== start.line || span.column !== start.column || span.endLine !== end.line || span.endColumn !== end.column) {
    return [`span ${span.line}:${span.column}-${span.endLine}:${span.endColumn} does not match its offsets ${offset}..${endOffset} (${start.line}:${start.column}-${end.line}:${end.column})`];
  }
  return [];
}

function messageFaults(message: unknown, texts: ReadonlyMap<string, string>): string[] {
  if (typeof message !== "string" || message.trim() === "") return ["empty message"];
  const leak = LEAKS.exec(message);
  if (leak && ![...texts.values()].some((t) => t.includes(leak[0]))) return [`message leaks \`${leak[0]}\``];
  if (INTERNAL.test(message)) return ["message uses the parser's internal token names"];
  return [];
}

/**
 * Everything wrong with `diagnostics` for a policy whose files are `texts`
 * (path → text): an unknown or internal-error code, a severity other than
 * error or warning, an empty message or one leaking internals, a span (or
 * related span) outside its file or whose line and column disagree with its
 * offsets.
 */
export function diagnosticFaults(diagnostics: readonly Diagnostic[], texts: ReadonlyMap<string, string>): string[] {
  const faults: string[] = [];
  for (const d of diagnostics) {
    const own = [
      ...(d.code in CODES ? [] : ["unknown code"]),
      ...(BUG_CODES.has(d.code) ? ["an internal error"] : []),
      ...(d.severity === "error" || d.severity === "warning" ? [] : [`severity \`${String(d.severity)}\``]),
      ...messageFaults(d.message, texts),
      ...spanFaults(d.span, texts),
      ...(d.related ? [...messageFaults(d.related.message, texts), ...spanFaults(d.related.span, texts)].map((f) => `related: ${f}`) : []),
      ...(d.help !== undefined && (typeof d.help !== "string" || d.help === "") ? ["empty help"] : []),
    ];
    for (const f of own) faults.push(`${d.code} ${d.span?.file}:${d.span?.line}:${d.span?.column} "${d.message}": ${f}`);
  }
  return faults;
}

/**
 * The same checks for diagnostics as JSON (what `aigw check --format json`
 * prints and `GET /admin/policy` lists), which carry lines and columns only:
 * the position must be inside the file, the end not before the start.
 * `texts` is keyed by the path as the diagnostic names it.
 */
export function jsonDiagnosticFaults(diagnostics: readonly JsonDiagnostic[], texts: ReadonlyMap<string, string>): string[] {
  const faults: string[] = [];
  for (const d of diagnostics) {
    const own: string[] = [];
    if (!(d.code in CODES)) own.push("unknown code");
    if (BUG_CODES.has(d.code)) own.push("an internal error");
    own.push(...messageFaults(d.message, texts));
    const text = texts.get(d.file);
    if (text === undefined) own.push(`in \`${d.file}\`, which is not a file of the policy`);
    else {
      const lines = text.split("\n");
      const inside = (line: number, column: number): boolean =>
        Number.isInteger(line) && Number.isInteger(column) && line >= 1 && line <= lines.length && column >= 1 && column <= lines[line - 1]!.length + 1;
      if (!inside(d.line, d.column)) own.push(`starts at ${d.line}:${d.column}, outside the file`);
      else if (!inside(d.endLine, d.endColumn)) own.push(`ends at ${d.endLine}:${d.endColumn}, outside the file`);
      else if (d.endLine < d.line || (d.endLine === d.line && d.endColumn < d.column)) own.push("ends before it starts");
    }
    for (const f of own) faults.push(`${d.code} ${d.file}:${d.line}:${d.column} "${d.message}": ${f}`);
  }
  return faults;
}

/** A valid policy to mutate: the files of its directory (path relative to the directory → text), loaded as `aigw check DIR` loads them. */
export interface Seed {
  name: string;
  files: ReadonlyMap<string, string>;
}

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));

function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".route")) files.set(relative(dir, full).split("\\").join("/"), readFileSync(full, "utf8"));
    }
  };
  walk(dir);
  return files;
}

/** The `.route` examples shipped in examples/: quickstart, design and production (several files, with imports). */
export function exampleSeeds(): Seed[] {
  return ["quickstart", "design", "production"].map((name) => ({ name, files: readTree(join(EXAMPLES, name)) }));
}
