/**
 * What the cursor's slot wants, read from the tokens before it: a
 * declaration keyword, a statement keyword of the enclosing block, a setting,
 * a declared name of one kind, a fact, a word from a fixed set, or a quantity
 * of one unit. Works on text that does not parse (the author is mid-edit):
 * it lexes the text up to the cursor and tracks only the enclosing blocks and
 * the current statement, the way the grammar (lang/SPEC.md §2) starts each
 * statement with its own keyword.
 */
import type { IToken } from "chevrotain";
import type { DeclKind } from "../compiler/name-index.js";
import type { Unit } from "../lang/ast.js";
import { lex } from "../lang/lexer.js";
import { CACHE_SETTINGS } from "../compiler/settings.js";
import { REJECT_STATUSES } from "../compiler/passes/check-routes.js";
import { SHAPE_PARAMS } from "../compiler/shaping.js";

export type Slot =
  | { kind: "keywords"; words: readonly string[] }
  | { kind: "names"; of: DeclKind; also?: readonly string[] }
  | { kind: "facts"; also?: readonly string[] }
  | { kind: "settings"; block: SettingsBlock }
  | { kind: "value"; block: SettingsBlock; setting: string }
  | { kind: "words"; words: readonly string[] }
  | { kind: "unit"; unit: Unit }
  | { kind: "window" }
  | { kind: "request-facts" }
  | { kind: "none" };

/** Blocks of `name value` settings. */
export type SettingsBlock = "gateway" | "provider" | "model" | "price row" | "cache" | "health" | "jwt";

export interface CompletionContext {
  slot: Slot;
  /** The part of the word already typed before the cursor. */
  prefix: string;
}

export const DECLARATION_KEYWORDS = ["import", "gateway", "provider", "model", "keys", "budget", "limit", "guardrail", "cache", "health", "jwt", "defaults", "route", "invariant", "test"] as const;
const ROUTE_STATEMENTS = ["when", "to", "split", "fallback", "retry", "timeout", "guard", "budget", "limit", "max_latency", "max_cost", "cache", "health", "use", "reject", "set", "default", "cap", "upstream_header"];
/** A `defaults` block holds the route statements but those that choose requests and targets. */
const DEFAULTS_WORDS = ROUTE_STATEMENTS.filter((w) => !["when", "to", "split", "reject"].includes(w));
/** The parameters a route shapes (compiler/shaping.ts), and the one it caps. */
const SHAPE_WORDS = [...SHAPE_PARAMS.keys()];
/** The statuses a route may `reject` with (compiler/passes/check-routes.ts). */
const REJECT_WORDS = REJECT_STATUSES.map(String);
/** A cache body: `when` and its settings. */
const CACHE_WORDS = ["when", ...Object.keys(CACHE_SETTINGS)];
const BUDGET_WORDS = ["per", "limit", "warn", "exceeded", "when"];
const LIMIT_WORDS = ["per", "tokens", "requests", "concurrent", "when"];
const GUARDRAIL_WORDS = ["on", "block", "redact", "flag"];
const TEST_WORDS = ["request", "given", "expect"];
/** An invariant's statements, and what `require` takes (compiler/passes/check-invariants.ts). */
const INVARIANT_WORDS = ["when", "require"];
const REQUIREMENT_WORDS = ["guard", "residency", "price", "context"];
const EXPECT_WORDS = ["route", "no", "target", "attempts", "retries", "blocked", "flagged", "status", "redacted", "cost", "shaped", "header"];
const FAILURES = ["429", "5xx", "timeout", "connection", "context_length", "content_filter"];
const OPERATORS = ["==", "!=", "<", "<=", ">", ">=", "in", "matches"];
const EXPR_START = new Set(["when", "and", "or", "not", "("]);

/** Statement keywords of each block: a token with one of these words starts a statement, unless the token before wants a name. */
const STATEMENTS: Record<string, readonly string[]> = {
  route: ROUTE_STATEMENTS,
  defaults: DEFAULTS_WORDS,
  budget: BUDGET_WORDS,
  limit: LIMIT_WORDS,
  guardrail: GUARDRAIL_WORDS,
  cache: CACHE_WORDS,
  invariant: INVARIANT_WORDS,
  test: TEST_WORDS,
};
/** Tokens after which a word is a name, not a keyword. */
const WANTS_NAME = new Set(["to", ",", "fallback", "guard", "budget", "limit", "health", "use", "downgrade", "by", "picks", "route", "target", "[", "=", "per", "on", "given"]);

interface Frame {
  block: string;
  /** Tokens of the current statement inside this block. */
  stmt: IToken[];
}

const isQuantity = (t: IToken | undefined): boolean => t?.tokenType.name === "QuantityLiteral";
const isString = (t: IToken | undefined): boolean => t?.tokenType.name === "StringLiteral" || t?.tokenType.name === "UnterminatedString";

/** Reads the slot at `offset` of `text`. */
export function completionContext(text: string, offset: number): CompletionContext {
  const before = text.slice(0, offset);
  const { tokens, comments } = lex(before, "");
  if (comments.some((c) => c.span.endOffset >= offset && (c.text.startsWith("//") || !c.text.endsWith("*/")))) return { slot: { kind: "none" }, prefix: "" };
  let prefix = "";
  const last = tokens[tokens.length - 1];
  if (last && (last.endOffset ?? last.startOffset + last.image.length - 1) + 1 === offset) {
    if (isString(last)) return { slot: { kind: "none" }, prefix: "" }; // inside or right after a string
    if (/^[A-Za-z0-9_$]/.test(last.image)) {
      prefix = last.image;
      tokens.pop();
    }
  }
  // A trailing `-` or `.` is part of a name being typed (`gpt-`), which the lexer leaves out of the name.
  const tail = /[A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]*)+$/.exec(before)?.[0];
  if (tail && tail.length > prefix.length) {
    prefix = tail;
    while (tokens.length && tokens[tokens.length - 1]!.startOffset >= offset - tail.length) tokens.pop();
  }
  return { slot: slotOf(tokens), prefix };
}

function slotOf(tokens: readonly IToken[]): Slot {
  const stack: Frame[] = [];
  let top: IToken[] = [];
  for (const t of tokens) {
    const frame = stack[stack.length - 1];
    if (t.image === "{") {
      const head = frame ? (frame.stmt[0]?.image ?? "") : (top[0]?.image ?? "");
      stack.push({ block: head, stmt: [] });
      continue;
    }
    if (t.image === "}") {
      stack.pop();
      if (stack.length === 0) top = [];
      else stack[stack.length - 1]!.stmt = [];
      continue;
    }
    if (!frame) {
      if ((DECLARATION_KEYWORDS as readonly string[]).includes(t.image) && !WANTS_NAME.has(top[top.length - 1]?.image ?? "") && top[0]?.image !== "import") top = [];
      else if (top[0]?.image === "import" && top.length >= 2) top = [];
      top.push(t);
      continue;
    }
    const words = STATEMENTS[frame.block];
    const prev = frame.stmt[frame.stmt.length - 1]?.image ?? "";
    if (words?.includes(t.image) && !WANTS_NAME.has(prev) && !continues(frame, t.image)) frame.stmt = [];
    frame.stmt.push(t);
  }
  const frame = stack[stack.length - 1];
  if (!frame) return topSlot(top);
  return blockSlot(frame, stack[stack.length - 2]);
}

/** Whether `word`, a statement keyword, continues the current statement instead: `limit $5 per day`, `when x == "a" and …`. */
function continues(frame: Frame, word: string): boolean {
  if (frame.block === "route" || frame.block === "defaults" || frame.block === "cache" || frame.block === "invariant") return inExpr(frame.stmt);
  const first = frame.stmt[0]?.image ?? "";
  return word === "per" && frame.stmt.length === 2 && ["limit", "tokens", "requests"].includes(first);
}

/** A `when` still open: the next keyword may be a fact or a comparison, not a statement. */
function inExpr(stmt: readonly IToken[]): boolean {
  const last = stmt[stmt.length - 1]?.image ?? "";
  return stmt[0]?.image === "when" && (EXPR_START.has(last) || OPERATORS.includes(last));
}

function topSlot(top: readonly IToken[]): Slot {
  const first = top[0]?.image;
  const last = top[top.length - 1]?.image;
  if (top.length === 0) return { kind: "keywords", words: DECLARATION_KEYWORDS };
  if (first === "model" && last === "=") return { kind: "names", of: "provider" };
  // A model declared without a block is complete after its upstream string: a new declaration follows.
  if (first === "model" && top.length >= 6 && isString(top[top.length - 1])) return { kind: "keywords", words: DECLARATION_KEYWORDS };
  return { kind: "none" };
}

function blockSlot(frame: Frame, outer: Frame | undefined): Slot {
  const s = frame.stmt.map((t) => t.image);
  const prev = s[s.length - 1];
  switch (frame.block) {
    case "gateway":
    case "provider":
    case "model":
    case "health":
    case "jwt":
      return settingsSlot(frame.block, s);
    case "keys":
      return isString(frame.stmt[frame.stmt.length - 1]) ? { kind: "words", words: ["team", "user"] } : { kind: "none" };
    case "budget":
    case "limit":
      return clauseSlot(frame.block, frame.stmt);
    case "guardrail":
      return guardrailSlot(s);
    case "route":
      return routeSlot(frame.stmt);
    case "defaults":
      return routeSlot(frame.stmt, DEFAULTS_WORDS);
    case "cache":
      return cacheSlot(s);
    case "split":
      if (outer?.block !== "route") return { kind: "none" };
      return isQuantity(frame.stmt[frame.stmt.length - 1]) ? { kind: "names", of: "model" } : { kind: "unit", unit: "percent" };
    case "invariant":
      return invariantSlot(s);
    case "test":
      return testSlot(s);
    case "request":
      return prev === "header" || prev === "metadata" ? { kind: "none" } : { kind: "request-facts" };
    default:
      return prev === undefined ? { kind: "none" } : { kind: "none" };
  }
}

/** An invariant body: `when CONDITION`, `require guard G, …`, `require residency R`, `require price|context`. */
function invariantSlot(s: readonly string[]): Slot {
  if (s[0] === "when") return exprSlot(s, INVARIANT_WORDS);
  if (s[0] === "require" && s.length === 1) return { kind: "words", words: REQUIREMENT_WORDS };
  if (s[0] === "require" && s[1] === "guard" && (s.length === 2 || s[s.length - 1] === ",")) return { kind: "names", of: "guardrail" };
  if (s[0] === "require" && s[1] === "residency") return { kind: "none" };
  return { kind: "keywords", words: INVARIANT_WORDS };
}

/** A cache body: `when CONDITION`, `semantic MODEL`, or another setting. */
function cacheSlot(s: readonly string[]): Slot {
  if (s[0] === "when") return exprSlot(s, CACHE_WORDS);
  if (s[0] === "semantic" && s.length === 1) return { kind: "names", of: "model" };
  return settingsSlot("cache", s);
}

function settingsSlot(block: SettingsBlock, s: readonly string[]): Slot {
  // A wildcard model's price table: after a row's name in quotes come that row's settings (no model setting takes a string).
  if (block === "model") {
    const row = s.findLastIndex((t) => t.startsWith('"'));
    if (row >= 0) return settingsSlot("price row", s.slice(row + 1));
  }
  // `name value` pairs, where a value may be a call `env("X")` or a list `[…]`.
  let setting: string | undefined;
  for (let i = 0; i < s.length; i++) {
    if (setting === undefined) {
      setting = s[i];
      continue;
    }
    const close = s[i] === "[" ? "]" : s[i + 1] === "(" ? ")" : undefined;
    if (close) {
      const end = s.indexOf(close, i);
      if (end < 0) return { kind: "none" }; // inside the call or list
      i = end;
    }
    setting = undefined;
  }
  return setting === undefined ? { kind: "settings", block } : { kind: "value", block, setting };
}

function clauseSlot(block: "budget" | "limit", stmt: readonly IToken[]): Slot {
  const s = stmt.map((t) => t.image);
  const prev = s[s.length - 1];
  if (prev === undefined) return { kind: "keywords", words: block === "budget" ? BUDGET_WORDS : LIMIT_WORDS };
  if (s[0] === "when") return exprSlot(s, block === "budget" ? BUDGET_WORDS : LIMIT_WORDS);
  if (prev === "per") return s.length === 1 ? { kind: "words", words: ["key", "team", "user", "route", "global"] } : { kind: "window" };
  if (s.length === 1 && prev === "limit") return { kind: "unit", unit: "money" };
  if (s.length === 1 && prev === "tokens") return { kind: "unit", unit: "tokens" };
  if (s.length === 1 && prev === "warn") return { kind: "unit", unit: "percent" };
  if (prev === "exceeded") return { kind: "words", words: ["reject", "downgrade"] };
  if (prev === "downgrade") return { kind: "names", of: "model" };
  if (s.length === 2 && (isQuantity(stmt[1]) || s[0] === "requests")) return { kind: "keywords", words: ["per"] };
  return { kind: "keywords", words: block === "budget" ? BUDGET_WORDS : LIMIT_WORDS };
}

function guardrailSlot(s: readonly string[]): Slot {
  const prev = s[s.length - 1];
  if (prev === undefined) return { kind: "keywords", words: GUARDRAIL_WORDS };
  if (prev === "on") return { kind: "words", words: ["input", "output", "both"] };
  if (s[1] === "when") return exprSlot(s.slice(1), GUARDRAIL_WORDS);
  if (["block", "redact", "flag"].includes(prev)) return { kind: "words", words: ["when", "matches", "deny", ...DETECTORS] };
  if (prev === ",") return { kind: "words", words: ["matches", "deny", ...DETECTORS] };
  return { kind: "keywords", words: GUARDRAIL_WORDS };
}

const DETECTORS = ["email", "phone", "credit_card", "iban", "api_key", "ip_address"];

function exprSlot(s: readonly string[], statementWords: readonly string[]): Slot {
  const prev = s[s.length - 1] ?? "";
  if (EXPR_START.has(prev)) return { kind: "facts" };
  if (OPERATORS.includes(prev) || prev === "[" || prev === ",") return { kind: "none" };
  if (/^[A-Za-z_]/.test(prev) && !["and", "or", "not"].includes(prev) && (s.length < 2 || EXPR_START.has(s[s.length - 2] ?? ""))) {
    return { kind: "words", words: [...OPERATORS, "and", "or"] };
  }
  return { kind: "keywords", words: ["and", "or", ...statementWords] };
}

function routeSlot(stmt: readonly IToken[], words: readonly string[] = ROUTE_STATEMENTS): Slot {
  const s = stmt.map((t) => t.image);
  const first = s[0];
  const prev = s[s.length - 1];
  if (prev === undefined) return { kind: "keywords", words };
  if (first === "when") return exprSlot(s, words);
  if (first === "to") return s.length === 1 ? { kind: "names", of: "model" } : { kind: "keywords", words };
  if (first === "fallback") {
    if (s.includes("on")) return prev === "on" || prev === "," ? { kind: "words", words: FAILURES } : { kind: "keywords", words };
    return prev === "fallback" || prev === "," ? { kind: "names", of: "model" } : { kind: "keywords", words: ["on", ...words] };
  }
  if (first === "guard" || first === "budget" || first === "limit") {
    const of = first === "guard" ? "guardrail" : first;
    return prev === first || prev === "," ? { kind: "names", of } : { kind: "keywords", words };
  }
  if (first === "split") return prev === "split" ? { kind: "words", words: ["by", "fastest", "cheapest"] } : prev === "by" ? { kind: "facts" } : { kind: "none" };
  if (first === "health") return s.length === 1 ? { kind: "names", of: "health" } : { kind: "keywords", words };
  if (first === "reject") return s.length === 1 ? { kind: "words", words: REJECT_WORDS } : s.length === 2 ? { kind: "none" } : { kind: "keywords", words };
  if (first === "use") return prev === "use" || prev === "," ? { kind: "names", of: "defaults" } : { kind: "keywords", words };
  if (first === "set" || first === "default" || first === "cap") return s.length === 1 ? { kind: "words", words: first === "cap" ? ["max_tokens"] : SHAPE_WORDS } : s.length === 2 ? { kind: "none" } : { kind: "keywords", words };
  if (first === "upstream_header") return s.length <= 2 ? { kind: "none" } : { kind: "keywords", words };
  if ((first === "timeout" || first === "max_latency") && s.length === 1) return { kind: "unit", unit: "duration" };
  if (first === "cache") return s.length === 1 ? { kind: "names", of: "cache" } : { kind: "keywords", words };
  if (first === "retry") return prev === "backoff" ? { kind: "unit", unit: "duration" } : s.length === 2 ? { kind: "keywords", words: ["backoff", ...words] } : s.length === 1 ? { kind: "none" } : { kind: "keywords", words };
  return { kind: "keywords", words };
}

function testSlot(s: readonly string[]): Slot {
  const [first, second, third] = s;
  const n = s.length;
  const prev = s[n - 1];
  if (first === "expect") {
    if (n === 1) return { kind: "words", words: EXPECT_WORDS };
    if (second === "route" && n === 2) return { kind: "names", of: "route" };
    if (second === "no" && n === 2) return { kind: "words", words: ["route"] };
    if (second === "target") return n === 2 ? { kind: "names", of: "model", also: ["in"] } : prev === "[" || prev === "," ? { kind: "names", of: "model" } : { kind: "keywords", words: TEST_WORDS };
    if (second === "attempts") return prev === "[" || prev === "," ? { kind: "names", of: "model" } : n === 2 ? { kind: "none" } : { kind: "keywords", words: TEST_WORDS };
    if ((second === "blocked" || second === "flagged") && n <= 3) return n === 2 ? { kind: "words", words: ["by"] } : { kind: "names", of: "guardrail" };
    if (second === "redacted" && n === 2) return { kind: "words", words: ["input"] };
    if (second === "shaped" && n === 2) return { kind: "words", words: SHAPE_WORDS.filter((w) => w !== "stop") };
    if (second === "status" && n === 2) return { kind: "unit", unit: "status" };
    if (n === 2) return { kind: "none" };
    return { kind: "keywords", words: TEST_WORDS };
  }
  if (first === "given") {
    if (n === 1) return { kind: "names", of: "model", also: ["split", "budget", "limit"] };
    if (second === "split") return n === 2 ? { kind: "words", words: ["picks"] } : n === 3 ? { kind: "names", of: "model" } : { kind: "keywords", words: TEST_WORDS };
    if (second === "budget" || second === "limit") {
      if (n === 2) return { kind: "names", of: second };
      if (n === 3) return { kind: "words", words: [second === "budget" ? "spent" : "used"] };
      if (n === 4) return second === "budget" ? { kind: "unit", unit: "money" } : { kind: "unit", unit: "tokens" };
      return { kind: "keywords", words: TEST_WORDS };
    }
    if (n === 2) return { kind: "words", words: ["fails"] };
    if (third === "fails" && n === 3) return { kind: "words", words: FAILURES };
    return { kind: "keywords", words: TEST_WORDS };
  }
  return { kind: "keywords", words: TEST_WORDS };
}
