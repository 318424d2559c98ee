/**
 * Checks `test` blocks (E401, "bad test"): the request facts and their
 * values (`model "chat"`, `header "x-tier" "premium"`, `input_tokens 5k`),
 * the givens (`budget b spent $200`, `x fails 429`), the expectations
 * (`retries 2`, `status 429`), one `request` block and at least one `expect`.
 * Names in tests are resolved by the reference lint, except the ones only
 * tests use (`given T latency`/`answers`, `expect rejected by`/`warned
 * by`, `expect output blocked by`/`flagged by`), which
 * are checked here (E101).
 */
import type { Expect, Ident, RequestFact, TestDecl, Value } from "../../lang/ast.js";
import { SHAPE_PARAMS } from "../shaping.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "../rules/rule.js";
import { didYouMean } from "../suggest.js";
import type { CompileContext, SymbolTable } from "../symbols.js";
import { BOOL, COUNT, DURATION, MONEY, STATUS_CODE, STRING, TOKENS, enumType, type ValueType, problemMessage, quantityType } from "../value-types.js";

const CACHE_RESULT = enumType(["hit", "miss", "bypass"]);

/**
 * The headers `expect header` can name: the ones the server's admission
 * sets on an answer (runtime/pipeline/refusals.ts, evaluated for a test by
 * runtime/policy/test-headers.ts). Any other name could never hold, so it is
 * a mistake in the test (E401).
 */
export const EXPECTABLE_HEADERS: readonly string[] = [
  ...["limit", "remaining", "reset"].flatMap((what) => ["requests", "tokens"].map((kind) => `x-ratelimit-${what}-${kind}`)),
  "retry-after",
  "x-aigw-budget-warning",
];

/** A sampling parameter as a caller sends it: a plain number ≥ 0 (`temperature 0`, `top_p 0.9`). */
const SAMPLING = quantityType("a number like 0.7", ["number"], { min: 0 });

/** `streamed in chunks of N`: characters per delta. */
const CHUNK = quantityType("a number of characters like 3", ["number"], { above: 0, whole: true });
import { isMissing } from "./common.js";
import { INSTANT_TYPE } from "../time.js";
import { failureReasonProblem } from "./check-routes.js";

/** The facts a test's `request { … }` may set, with the values each takes. */
export const REQUEST_FACTS: Readonly<Record<string, { args: readonly ValueType[]; optional?: boolean; example: string }>> = {
  model: { args: [STRING], example: 'model "chat"' },
  endpoint: { args: [STRING], example: 'endpoint "/v1/chat/completions"' },
  stream: { args: [BOOL], optional: true, example: "stream true" },
  header: { args: [STRING, STRING], example: 'header "x-tier" "premium"' },
  metadata: { args: [STRING, STRING], example: 'metadata "app" "search"' },
  key: { args: [STRING], example: 'key "sha256:…"' },
  team: { args: [STRING], example: 'team "search"' },
  user: { args: [STRING], example: 'user "ana"' },
  label: { args: [STRING, STRING], example: 'label "project" "apollo"' },
  session: { args: [STRING], example: 'session "conversation-1"' },
  input: { args: [STRING], example: 'input "hello"' },
  input_tokens: { args: [TOKENS], example: "input_tokens 5k" },
  tools: { args: [BOOL], optional: true, example: "tools true" },
  images: { args: [BOOL], optional: true, example: "images true" },
  json_schema: { args: [BOOL], optional: true, example: "json_schema true" },
  max_tokens: { args: [TOKENS], example: "max_tokens 4k" },
  temperature: { args: [SAMPLING], example: "temperature 0" },
  top_p: { args: [SAMPLING], example: "top_p 0.9" },
  at: { args: [INSTANT_TYPE], example: 'at "2026-12-07T09:30:00+01:00"' },
};

/** Facts that take a name as their first argument may repeat with different names. */
function factKey(f: RequestFact): string {
  const first = f.args[0];
  return (f.name.name === "header" || f.name.name === "metadata" || f.name.name === "label") && first?.kind === "string"
    ? `${f.name.name} ${first.value.toLowerCase()}`
    : f.name.name;
}

function checkArg(type: ValueType, value: Value, after: string, out: Diagnostic[]): void {
  if (isMissing(value)) return;
  const problem = type.check(value);
  if (problem) out.push(diagnostic("E401", problemMessage(problem, type, after, value), value.span, problem.help ? { help: problem.help } : {}));
}

function checkRequestFact(f: RequestFact, seen: Set<string>, out: Diagnostic[]): void {
  const name = f.name.name;
  if (name === "") return;
  const spec = Object.hasOwn(REQUEST_FACTS, name) ? REQUEST_FACTS[name] : undefined;
  if (!spec) {
    out.push(
      diagnostic("E401", `unknown request fact \`${name}\``, f.name.span, {
        help: didYouMean(name, Object.keys(REQUEST_FACTS), "request fact") ?? `a test request sets ${Object.keys(REQUEST_FACTS).join(", ")}`,
      }),
    );
    return;
  }
  const key = factKey(f);
  if (seen.has(key)) out.push(diagnostic("E401", `\`${key}\` is set twice in this request`, f.span));
  seen.add(key);
  const arity = spec.args.length;
  if (f.args.length > arity || (f.args.length < arity && !(spec.optional && f.args.length === 0))) {
    out.push(diagnostic("E401", `\`${name}\` takes ${arity === 1 ? "one value" : `${arity} values`}, e.g. \`${spec.example}\``, f.span));
    return;
  }
  f.args.forEach((arg, i) => checkArg(spec.args[i]!, arg, name, out));
}

function checkTest(t: TestDecl, symbols: SymbolTable, out: Diagnostic[]): void {
  let request: { span: TestDecl["span"] } | undefined;
  let expects = 0;
  for (const s of t.body) {
    switch (s.kind) {
      case "request": {
        if (request) {
          out.push(diagnostic("E401", "a test describes one request", s.span, { related: { message: "first request here", span: request.span } }));
        }
        request ??= s;
        const seen = new Set<string>();
        for (const f of s.facts) checkRequestFact(f, seen, out);
        break;
      }
      case "given": {
        const g = s.given;
        if (g.kind === "fails") {
          const d = failureReasonProblem(g.reason);
          if (d) out.push({ ...d, code: "E401" });
          if (g.retryAfter) {
            checkArg(DURATION, g.retryAfter, "retry after", out);
            if (g.reason.kind !== "quantity") out.push(diagnostic("E401", "only a failure with a status carries `Retry-After`", g.retryAfter.span, { help: "e.g. `given gpt-4o fails 429 retry after 2s`" }));
          }
        } else if (g.kind === "latency") {
          checkArg(DURATION, g.latency, "latency", out);
          known(symbols, ["model"], g.target, out);
        } else if (g.kind === "failures") {
          checkArg(COUNT, g.failures, "failures", out);
          checkArg(COUNT, g.of, "of", out);
          if (g.failures.kind === "quantity" && g.of.kind === "quantity" && g.failures.value > g.of.value) {
            out.push(diagnostic("E401", `\`${g.failures.raw}\` failures cannot be more than the \`${g.of.raw}\` tries`, g.failures.span));
          }
        } else if (g.kind === "answers") {
          known(symbols, ["model"], g.target, out);
          if (g.chunks) checkArg(CHUNK, g.chunks, "streamed in chunks of", out);
        }
        else if (g.kind === "budget-spent") checkArg(MONEY, g.amount, "spent", out);
        else if (g.kind === "limit-used") checkArg(TOKENS, g.amount, "used", out);
        break;
      }
      case "expect": {
        expects++;
        const x = s.expect;
        if (x.kind === "retries") checkArg(COUNT, x.count, "retries", out);
        else if (x.kind === "rejected" && x.by) known(symbols, ["budget", "limit"], x.by, out);
        else if (x.kind === "warned") known(symbols, ["budget"], x.budget, out);
        else if (x.kind === "output-blocked" || x.kind === "output-flagged") known(symbols, ["guardrail"], x.guardrail, out);
        else if (x.kind === "status") checkArg(STATUS_CODE, x.status, "status", out);
        else if (x.kind === "cost") checkArg(MONEY, x.amount, "cost", out);
        else if (x.kind === "cache") checkArg(CACHE_RESULT, x.result, "cache", out);
        else if (x.kind === "shaped") checkShapedExpect(x, out);
        else if (x.kind === "header") checkHeader(x, out);
        break;
      }
    }
  }
  if (expects === 0) {
    out.push(diagnostic("E401", `test ${JSON.stringify(t.name.value)} expects nothing`, t.name.span, { help: "add e.g. `expect route NAME`" }));
  }
}

/**
 * A name in a test statement the reference lint does not collect (`given T
 * latency`, `expect rejected by B`, `expect warned by B`): E101 when no
 * declaration of one of `kinds` has it.
 */
function known(symbols: SymbolTable, kinds: readonly ("model" | "budget" | "limit" | "guardrail")[], name: Ident, out: Diagnostic[]): void {
  if (name.name === "") return;
  const tables = kinds.map((k): ReadonlyMap<string, unknown> => (k === "model" ? symbols.models : k === "budget" ? symbols.budgets : k === "limit" ? symbols.limits : symbols.guardrails));
  if (tables.some((t) => t?.has(name.name))) return;
  const what = kinds.map((k) => `a ${k}`).join(" or ");
  const help = didYouMean(name.name, tables.flatMap((t) => [...(t?.keys() ?? [])]), kinds.join(" or ")) ?? `name ${what} the policy declares`;
  out.push(diagnostic("E101", `unknown ${kinds.join(" or ")} \`${name.name}\``, name.span, { help }));
}

/** `expect header "name" "value"`: the word must be `header`, the name one the gateway sets. */
function checkHeader(x: Extract<Expect, { kind: "header" }>, out: Diagnostic[]): void {
  if (x.word.name !== "header") {
    out.push(diagnostic("E401", `unknown expectation \`${x.word.name}\``, x.word.span, { help: didYouMean(x.word.name, ["header"], "expectation") ?? 'an expectation with two strings is `expect header "name" "value"`' }));
    return;
  }
  const name = x.name.value.toLowerCase();
  if (EXPECTABLE_HEADERS.includes(name)) return;
  const help = didYouMean(name, EXPECTABLE_HEADERS, "header") ?? `the headers a test can expect: ${EXPECTABLE_HEADERS.map((h) => `\`${h}\``).join(", ")}`;
  out.push(diagnostic("E401", `\`${x.name.value}\` is not a header the gateway sets on an answer`, x.name.span, { help }));
}

function check(ctx: CompileContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const t of ctx.symbols.tests) checkTest(t, ctx.symbols, out);
  return out;
}

/** The test block check. */
export const checkTests: Rule = { name: "check-tests", codes: ["E401", "E101"], check };

/** `expect shaped P V`: a numeric parameter a route can shape, and a value of its type (E401). */
function checkShapedExpect(x: Extract<Expect, { kind: "shaped" }>, out: Diagnostic[]): void {
  const name = x.param.name;
  if (name === "") return;
  const param = SHAPE_PARAMS.get(name);
  if (param === undefined || param.key === "stop") {
    const numeric = [...SHAPE_PARAMS].filter(([, p]) => p.key !== "stop").map(([n]) => n);
    const help = didYouMean(name, numeric, "parameter");
    out.push(diagnostic("E401", `\`expect shaped\` takes ${numeric.map((n) => `\`${n}\``).join(", ")}, not \`${name}\``, x.param.span, help === undefined ? {} : { help }));
    return;
  }
  checkArg(param.type, x.value, `expect shaped ${name}`, out);
}
