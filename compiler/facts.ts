/**
 * The facts a `when` condition can read from a request, with the kind of
 * value each holds. The expression check (passes/check-exprs.ts) reports
 * unknown facts (E205) and comparisons with the wrong kind of value (E206)
 * from this table; lowering and the evaluator share the names.
 */
import type { Unit } from "../lang/ast.js";
import type { FactName } from "./graph.js";

/**
 * - text: compared with strings (`==`, `!=`, `in`, `matches`)
 * - tokens / bytes: compared with quantities of that unit or plain numbers (every operator)
 * - flag: true or false (`when stream`, `tools == false`)
 * - number: a plain number the caller may leave out (`temperature == 0`); every operator, missing equals nothing
 * - percent: compared with percentages (`budget_used("team-monthly") >= 80%`); every operator
 * - date: a calendar date compared with `"YYYY-MM-DD"` strings (every operator; ISO dates order as text)
 */
export type FactKind = "text" | "tokens" | "bytes" | "flag" | "number" | "percent" | "date";

export interface FactSpec {
  kind: FactKind;
  /** Facts such as `header("x-tier")` take a name; this says what it names. */
  arg?: string;
  doc: string;
}

export const FACTS: Readonly<Record<FactName, FactSpec>> = {
  model: { kind: "text", doc: "the model the request asks for" },
  endpoint: { kind: "text", doc: 'the API path, e.g. "/v1/chat/completions"' },
  stream: { kind: "flag", doc: "the request asks for a streamed reply" },
  header: { kind: "text", arg: "header", doc: "a request header (names are case-insensitive)" },
  metadata: { kind: "text", arg: "metadata key", doc: "a value of the request's `metadata` object" },
  key: { kind: "text", doc: "the caller's key hash, `sha256:…`" },
  team: { kind: "text", doc: "the caller's `team` label" },
  user: { kind: "text", doc: "the caller's `user` label" },
  label: { kind: "text", arg: "label", doc: "another label of the caller's key entry" },
  input_tokens: { kind: "tokens", doc: "tokens in the input messages (counted only when a policy reads it)" },
  input_bytes: { kind: "bytes", doc: "bytes of the input messages" },
  text: { kind: "text", doc: "the input text (user messages)" },
  tools: { kind: "flag", doc: "the request declares tools" },
  images: { kind: "flag", doc: "the request contains images" },
  temperature: { kind: "number", doc: "the request's sampling `temperature`; missing when the caller leaves it to the provider's default (not 0)" },
  top_p: { kind: "number", doc: "the request's nucleus sampling `top_p`; missing when left to the provider's default" },
  budget_used: { kind: "percent", arg: "budget", doc: "percent of budget NAME spent (and reserved) in its current window for the caller's scope value, of that value's amount" },
  hour: { kind: "number", doc: "the hour of the day (0–23) when the request arrived, in the gateway's `timezone`" },
  weekday: { kind: "text", doc: 'the day of the week when the request arrived, in the gateway\'s `timezone`: `"mon"` … `"sun"`' },
  date: { kind: "date", doc: 'the calendar date when the request arrived, in the gateway\'s `timezone`, compared with `"2026-12-24"`' },
  session: { kind: "text", doc: "the conversation: `x-session-id`, `x-claude-code-session-id`, `prompt_cache_key`, the body's `user`, or a hash of the opening messages" },
};

/** The spec of fact `name`, if it is one. */
export function factSpec(name: string): FactSpec | undefined {
  return Object.hasOwn(FACTS, name) ? FACTS[name as FactName] : undefined;
}

/** Units a quantity compared with a fact of each kind may have. */
export const FACT_UNITS: Readonly<Record<FactKind, readonly Unit[]>> = {
  text: [],
  tokens: ["tokens", "number"],
  bytes: ["bytes", "number"],
  flag: [],
  number: ["number"],
  percent: ["percent"],
  date: [],
};

/** How messages name a kind: "`input_tokens` is a token count". */
export const FACT_KIND_NOUN: Readonly<Record<FactKind, string>> = {
  text: "text",
  tokens: "a token count",
  bytes: "a size in bytes",
  flag: "true or false",
  number: "a number",
  percent: "a percentage",
  date: "a date",
};
