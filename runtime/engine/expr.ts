/**
 * Compiles `when` expressions (graph `ExprNode`s) into closures once, at
 * prepare time. Evaluation is then a few property reads and comparisons per
 * route, with no allocation.
 *
 * Semantics (see lang/SPEC.md, "Conditions"):
 * - A missing fact (no such header, no team) equals nothing: `==`, `<`, `>`,
 *   `<=`, `>=`, `in`, `matches` and truthiness are false; `!=` is true.
 * - String facts compare as strings with string literals (ordering is by
 *   UTF-16 code units, so ISO dates order correctly); with a number literal
 *   they compare as numbers (`header("x-priority") >= 3`), a non-numeric
 *   string being missing; with a boolean literal as `"true"`/`"false"`.
 * - `text` is the text under inspection: the input text for routes and input
 *   guardrails, the output text for output guardrails; conditions read its
 *   normal form (NFKC, invisible characters removed, whitespace folded).
 * - `input_tokens` comparisons are decided from the byte length when it can
 *   (see tokens.ts), so the tokenizer runs only when it must.
 * - `temperature` and `top_p` are missing when the caller left them to the
 *   provider's default; they read as NaN, which makes every comparison but
 *   `!=` false, exactly the missing-fact rule.
 */
import type { ExprNode, FactName, FactNode, Literal } from "../../compiler/graph.js";
import { patternKey, type Facts } from "./facts.js";
import { normalizeText } from "../request/index.js";
import { compileLinear, type LinearRegex } from "../../compiler/linear-regex.js";
import { compareTokens, tokensIn, type CompareOp } from "./tokens.js";

/** A compiled condition. `text` is the text under inspection (see the module header). */
export type Pred = (f: Facts, text: string) => boolean;

/** Thrown by `prepare` when a graph cannot be compiled (a bad regex, an unknown operator). */
export class GraphError extends Error {
  readonly code = "AIGW_BAD_GRAPH";
  constructor(message: string) {
    super(message);
    this.name = "GraphError";
  }
}

type Kind = "string" | "number" | "boolean";

const KIND: Record<FactName, Kind> = {
  model: "string",
  endpoint: "string",
  header: "string",
  metadata: "string",
  key: "string",
  team: "string",
  user: "string",
  session: "string",
  weekday: "string",
  date: "string",
  hour: "number",
  label: "string",
  text: "string",
  input_tokens: "number",
  input_bytes: "number",
  temperature: "number",
  top_p: "number",
  budget_used: "number",
  stream: "boolean",
  tools: "boolean",
  images: "boolean",
};

/** The type of a fact's values. */
export function factKind(name: FactName): Kind {
  const kind = KIND[name];
  if (kind === undefined) throw new GraphError(`unknown fact \`${String(name)}\``);
  return kind;
}

type StringRead = (f: Facts, text: string) => string | undefined;

/** How to read a string fact; map-valued facts return undefined for a missing or inherited name. */
export function stringReader(fact: FactNode): StringRead {
  switch (fact.name) {
    case "model":
      return (f) => f.model;
    case "endpoint":
      return (f) => f.endpoint;
    case "key":
      return (f) => f.key;
    case "team":
      return (f) => f.team;
    case "user":
      return (f) => f.user;
    case "session":
      return (f) => f.session;
    case "weekday":
      return (f) => f.local.weekday;
    case "date":
      return (f) => f.local.date;
    case "text":
      // The normal form (runtime/request/normalize.ts): invisible and look-alike characters cannot dodge a condition.
      return (f, t) => (t === f.text ? f.normalizedText : normalizeText(t).text);
    case "header": {
      const name = (fact.arg ?? "").toLowerCase();
      return (f) => own(f.headers, name);
    }
    case "metadata": {
      const name = fact.arg ?? "";
      return (f) => own(f.metadata, name);
    }
    case "label": {
      const name = fact.arg ?? "";
      return (f) => own(f.labels, name);
    }
    default:
      throw new GraphError(`fact \`${fact.name}\` is not a string`);
  }
}

function own(map: Readonly<Record<string, string>>, name: string): string | undefined {
  const v = map[name];
  return typeof v === "string" ? v : undefined;
}

/** A fact's value as a string (for `split by` and explanations); undefined when missing. */
export function factValue(fact: FactNode, f: Facts, text: string): string | undefined {
  switch (factKind(fact.name)) {
    case "string":
      return stringReader(fact)(f, text);
    case "number": {
      const n = fact.name === "input_tokens" ? f.inputTokens : numberReader(fact)(f);
      return Number.isNaN(n) ? undefined : String(n);
    }
    case "boolean":
      return String(booleanReader(fact.name)(f));
  }
}

function booleanReader(name: FactName): (f: Facts) => boolean {
  switch (name) {
    case "stream":
      return (f) => f.stream;
    case "tools":
      return (f) => f.tools;
    case "images":
      return (f) => f.images;
    default:
      throw new GraphError(`fact \`${name}\` is not a boolean`);
  }
}

/** How to read a number fact other than `input_tokens` (whose comparisons go through tokens.ts); NaN when missing. */
function numberReader(fact: FactNode): (f: Facts) => number {
  const name = fact.name;
  switch (name) {
    case "budget_used": {
      // Percent of the budget spent for the caller's scope value, read before the decision; nothing read is nothing spent.
      const budget = fact.arg ?? "";
      return (f) => (Object.hasOwn(f.budgetUsed, budget) ? f.budgetUsed[budget]! : 0);
    }
    case "input_bytes":
      return (f) => f.inputBytes;
    case "temperature":
      return (f) => f.temperature ?? NaN;
    case "top_p":
      return (f) => f.topP ?? NaN;
    case "hour":
      return (f) => f.local.hour;
    default:
      throw new GraphError(`fact \`${name}\` is not a number`);
  }
}

const ORDER: Record<Exclude<CompareOp, "eq" | "ne">, (a: number | string, b: number | string) => boolean> = {
  lt: (a, b) => a < b,
  gt: (a, b) => a > b,
  le: (a, b) => a <= b,
  ge: (a, b) => a >= b,
};

/** A numeric reading of a string fact: missing, blank and non-numeric strings are NaN. */
function toNumber(v: string | undefined): number {
  return v === undefined || v.trim() === "" ? NaN : Number(v);
}

function literalBoolean(v: Literal): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  return undefined;
}

function compileCompare(op: CompareOp, fact: FactNode, value: Literal): Pred {
  const kind = factKind(fact.name);
  if (kind === "boolean") {
    const read = booleanReader(fact.name);
    const b = literalBoolean(value);
    if (op === "eq") return b === undefined ? () => false : (f) => read(f) === b;
    if (op === "ne") return b === undefined ? () => true : (f) => read(f) !== b;
    return () => false;
  }
  if (kind === "number") {
    const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
    if (Number.isNaN(n)) return op === "ne" ? () => true : () => false;
    if (fact.name === "input_tokens") return (f) => compareTokens(op, n, f);
    const read = numberReader(fact);
    if (op === "eq") return (f) => read(f) === n;
    if (op === "ne") return (f) => read(f) !== n;
    const cmp = ORDER[op];
    return (f) => cmp(read(f), n);
  }
  // String facts.
  if (typeof value === "string") return compileStringCompare(op, fact, value);
  const read = stringReader(fact);
  if (typeof value === "boolean") {
    const s = String(value);
    if (op === "eq") return (f, t) => read(f, t) === s;
    if (op === "ne") return (f, t) => read(f, t) !== s;
    return () => false;
  }
  if (op === "eq") return (f, t) => toNumber(read(f, t)) === value;
  if (op === "ne") return (f, t) => toNumber(read(f, t)) !== value;
  const cmp = ORDER[op];
  // NaN compares false with everything, so a missing or non-numeric value never passes.
  return (f, t) => cmp(toNumber(read(f, t)), value);
}

/** The common case on the hot path, specialised so `model == "x"` is one property read and one comparison. */
function compileStringCompare(op: CompareOp, fact: FactNode, value: string): Pred {
  if (op === "eq") {
    switch (fact.name) {
      case "model":
        return (f) => f.model === value;
      case "header": {
        const name = (fact.arg ?? "").toLowerCase();
        // An inherited property can never be === a string, so no own-property check is needed.
        return (f) => f.headers[name] === value;
      }
      case "team":
        return (f) => f.team === value;
      case "endpoint":
        return (f) => f.endpoint === value;
    }
    const read = stringReader(fact);
    return (f, t) => read(f, t) === value;
  }
  const read = stringReader(fact);
  if (op === "ne") return (f, t) => read(f, t) !== value;
  const cmp = ORDER[op];
  return (f, t) => {
    const v = read(f, t);
    return v !== undefined && cmp(v, value);
  };
}

function compileIn(fact: FactNode, values: readonly Literal[]): Pred {
  if (fact.name === "input_tokens") {
    const nums = values.map((v) => (typeof v === "number" ? v : Number(v))).filter((v) => !Number.isNaN(v));
    return (f) => tokensIn(nums, f);
  }
  const kind = factKind(fact.name);
  if (kind === "string" && values.every((v) => typeof v === "string")) {
    const read = stringReader(fact);
    if (values.length <= 8) {
      const list = values as readonly string[];
      return (f, t) => {
        const v = read(f, t);
        if (v === undefined) return false;
        for (let i = 0; i < list.length; i++) if (list[i] === v) return true;
        return false;
      };
    }
    const set = new Set(values as readonly string[]);
    return (f, t) => {
      const v = read(f, t);
      return v !== undefined && set.has(v);
    };
  }
  const alternatives = values.map((v) => compileCompare("eq", fact, v));
  return (f, t) => {
    for (let i = 0; i < alternatives.length; i++) if (alternatives[i]!(f, t)) return true;
    return false;
  };
}

/** A policy regex for `test()`, on the linear-time engine (compiler/linear-regex.ts). */
export function compileRegex(source: string, flags: string): LinearRegex {
  try {
    return compileLinear(source, flags);
  } catch (e) {
    throw new GraphError(`bad regex \`/${source}/${flags}\`: ${(e as Error).message}`);
  }
}

function compileMatches(fact: FactNode, source: string, flags: string): Pred {
  const re = compileRegex(source, flags);
  if (fact.name === "text") {
    const read = stringReader(fact);
    const key = patternKey(source, flags);
    // The input text's verdict may have been computed ahead, off the event loop (Facts.knownMatch).
    return (f, t) => (t === f.text ? (f.knownMatch(key) ?? re.test(f.normalizedText)) : re.test(read(f, t) ?? ""));
  }
  if (factKind(fact.name) === "string") {
    const read = stringReader(fact);
    return (f, t) => {
      const v = read(f, t);
      return v !== undefined && re.test(v);
    };
  }
  return (f, t) => re.test(factValue(fact, f, t) ?? "");
}

function compileTruthy(fact: FactNode): Pred {
  switch (factKind(fact.name)) {
    case "boolean":
      return booleanReader(fact.name);
    case "number":
      // Non-empty input has at least one token, so both facts are truthy exactly when there are input bytes
      // (or, for input_tokens, when a given count is positive); a sampling fact when present and above 0.
      if (fact.name === "input_tokens") return (f) => f.maxInputTokens > 0;
      const read = numberReader(fact);
      return (f) => read(f) > 0;
    case "string": {
      const read = stringReader(fact);
      return (f, t) => {
        const v = read(f, t);
        return v !== undefined && v !== "";
      };
    }
  }
}

/** Compiles an expression into a closure. Throws `GraphError` for a malformed node or a bad regex. */
export function compileExpr(e: ExprNode): Pred {
  switch (e.op) {
    case "and":
    case "or": {
      const parts = e.args.map(compileExpr);
      return e.op === "and" ? allOf(parts) : anyOf(parts);
    }
    case "not": {
      const inner = compileExpr(e.arg);
      return (f, t) => !inner(f, t);
    }
    case "eq":
    case "ne":
    case "lt":
    case "gt":
    case "le":
    case "ge":
      return compileCompare(e.op, e.fact, e.value);
    case "in":
      return compileIn(e.fact, e.values);
    case "matches":
      return compileMatches(e.fact, e.source, e.flags);
    case "truthy":
      return compileTruthy(e.fact);
    default:
      throw new GraphError(`unknown operator \`${String((e as { op: unknown }).op)}\``);
  }
}

function allOf(parts: Pred[]): Pred {
  if (parts.length === 0) return () => true;
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 2) {
    const [a, b] = parts as [Pred, Pred];
    return (f, t) => a(f, t) && b(f, t);
  }
  if (parts.length === 3) {
    const [a, b, c] = parts as [Pred, Pred, Pred];
    return (f, t) => a(f, t) && b(f, t) && c(f, t);
  }
  return (f, t) => {
    for (let i = 0; i < parts.length; i++) if (!parts[i]!(f, t)) return false;
    return true;
  };
}

function anyOf(parts: Pred[]): Pred {
  if (parts.length === 0) return () => false;
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 2) {
    const [a, b] = parts as [Pred, Pred];
    return (f, t) => a(f, t) || b(f, t);
  }
  return (f, t) => {
    for (let i = 0; i < parts.length; i++) if (parts[i]!(f, t)) return true;
    return false;
  };
}

/** Whether an expression reads a fact (e.g. `input_tokens`, to know if the tokenizer may be needed). */
export function readsFact(e: ExprNode, name: FactName): boolean {
  switch (e.op) {
    case "and":
    case "or":
      return e.args.some((a) => readsFact(a, name));
    case "not":
      return readsFact(e.arg, name);
    default:
      return e.fact.name === name;
  }
}
