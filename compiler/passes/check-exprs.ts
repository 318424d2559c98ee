/**
 * Checks `when` conditions (in routes, guardrails, caches and invariants) and `split by` facts
 * against the fact table in facts.ts: unknown facts and facts with a missing
 * or extra name argument (E205, with "did you mean"), and comparisons that
 * mix kinds of value (E206): `input_tokens == "x"`, `model < "b"`,
 * `when model`, `stream matches /x/`.
 */
import type { Expr, FactRef, Value } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import { FACTS, FACT_KIND_NOUN, FACT_UNITS, factSpec, type FactSpec } from "../facts.js";
import type { Rule } from "../rules/rule.js";
import { didYouMean, suggest } from "../suggest.js";
import { dayNumber, WEEKDAYS } from "../time.js";
import type { CompileContext } from "../symbols.js";
import { describeValue } from "../value-types.js";
import { isMissing } from "./common.js";

/** The fact's spec, or undefined after reporting why it is not a usable fact. */
export function checkFact(fact: FactRef, out: Diagnostic[]): FactSpec | undefined {
  const name = fact.name.name;
  if (name === "") return undefined;
  const spec = factSpec(name);
  if (!spec) {
    out.push(
      diagnostic("E205", `unknown fact \`${name}\``, fact.name.span, {
        help: didYouMean(name, Object.keys(FACTS), "fact") ?? `the facts are ${Object.keys(FACTS).join(", ")}`,
      }),
    );
    return undefined;
  }
  if (spec.arg && !fact.arg) {
    out.push(diagnostic("E205", `the fact \`${name}\` needs a ${spec.arg} name, e.g. \`${name}("x")\``, fact.span));
    return undefined;
  }
  if (!spec.arg && fact.arg) {
    out.push(diagnostic("E205", `the fact \`${name}\` takes no argument`, fact.arg.span, { help: `write \`${name}\` alone` }));
    return undefined;
  }
  return spec;
}

/** Why `value` cannot be compared with a fact of `spec`'s kind, or undefined when it can. */
function mismatch(fact: FactRef, spec: FactSpec, value: Value): string | undefined {
  if (isMissing(value)) return undefined;
  const ok =
    spec.kind === "text" || spec.kind === "date"
      ? value.kind === "string"
      : spec.kind === "flag"
        ? value.kind === "bool"
        : value.kind === "quantity" && FACT_UNITS[spec.kind].includes(value.unit);
  return ok ? undefined : `\`${factLabel(fact)}\` is ${FACT_KIND_NOUN[spec.kind]} and cannot be compared with ${describeValue(value)}`;
}

function hint(spec: FactSpec, value: Value): { help?: string } {
  if (spec.kind === "text" && value.kind === "ident") return { help: `put it in quotes: \`"${value.name}"\`` };
  if (spec.kind === "tokens") return { help: "compare with a token count such as `100k`" };
  if (spec.kind === "bytes") return { help: "compare with a size such as `512KB`" };
  if (spec.kind === "flag") return { help: "compare with `true` or `false`" };
  if (spec.kind === "number") return { help: "compare with a plain number such as `0` or `0.7`" };
  if (spec.kind === "percent") return { help: "compare with a percentage such as `80%`" };
  if (spec.kind === "date") return { help: 'compare with a date such as `"2026-12-24"`' };
  return {};
}

function factLabel(fact: FactRef): string {
  return fact.arg ? `${fact.name.name}(${JSON.stringify(fact.arg.value)})` : fact.name.name;
}

/** E204 for a value a time fact never has: a weekday that is not `"mon"` … `"sun"`, a date that is not a calendar date. */
function timeValue(fact: FactRef, value: Value, out: Diagnostic[]): void {
  if (value.kind !== "string") return;
  const name = fact.name.name;
  if (name === "weekday" && !(WEEKDAYS as readonly string[]).includes(value.value)) {
    // `"Monday"`, `"MON"`: the first three letters name the day.
    const prefix = value.value.toLowerCase().slice(0, 3);
    const near = (WEEKDAYS as readonly string[]).includes(prefix) ? prefix : suggest(value.value.toLowerCase(), WEEKDAYS);
    out.push(
      diagnostic("E204", `\`weekday\` is one of ${WEEKDAYS.map((d) => `"${d}"`).join(", ")}, never "${value.value}"`, value.span, near ? { help: `did you mean "${near}"?` } : {}),
    );
  } else if (name === "date" && dayNumber(value.value) === undefined) {
    out.push(diagnostic("E204", `\`date\` is compared with a calendar date written "YYYY-MM-DD", not "${value.value}"`, value.span));
  }
}

/** Checks every test inside `expr`. */
export function checkExpr(expr: Expr, out: Diagnostic[]): void {
  switch (expr.kind) {
    case "and":
    case "or":
      checkExpr(expr.left, out);
      checkExpr(expr.right, out);
      return;
    case "not":
      checkExpr(expr.operand, out);
      return;
    case "paren":
      checkExpr(expr.inner, out);
      return;
    case "compare": {
      const spec = checkFact(expr.fact, out);
      if (!spec) return;
      const ordering = expr.op !== "==" && expr.op !== "!=";
      if (ordering && (spec.kind === "text" || spec.kind === "flag")) {
        out.push(
          diagnostic("E206", `\`${expr.op}\` compares numbers, but \`${factLabel(expr.fact)}\` is ${FACT_KIND_NOUN[spec.kind]}`, expr.span, {
            help: spec.kind === "text" ? "text is compared with `==`, `!=`, `in [...]` or `matches /…/`" : "use `==` or `!=`",
          }),
        );
        return;
      }
      const why = mismatch(expr.fact, spec, expr.value);
      if (why) out.push(diagnostic("E206", why, expr.value.span, hint(spec, expr.value)));
      else timeValue(expr.fact, expr.value, out);
      return;
    }
    case "in": {
      const spec = checkFact(expr.fact, out);
      if (!spec) return;
      for (const item of expr.list.items) {
        const why = mismatch(expr.fact, spec, item);
        if (why) out.push(diagnostic("E206", why, item.span, hint(spec, item)));
        else timeValue(expr.fact, item, out);
      }
      return;
    }
    case "matches": {
      const spec = checkFact(expr.fact, out);
      if (spec && spec.kind !== "text") {
        out.push(diagnostic("E206", `\`matches\` tests text, but \`${factLabel(expr.fact)}\` is ${FACT_KIND_NOUN[spec.kind]}`, expr.span));
      }
      return;
    }
    case "truthy": {
      const spec = checkFact(expr.fact, out);
      if (spec && spec.kind !== "flag") {
        out.push(
          diagnostic("E206", `\`${factLabel(expr.fact)}\` is ${FACT_KIND_NOUN[spec.kind]}, not true or false, so it cannot stand alone`, expr.span, {
            help: spec.kind === "text" ? `compare it, e.g. \`${factLabel(expr.fact)} == "…"\`` : `compare it, e.g. \`${factLabel(expr.fact)} > 0\``,
          }),
        );
      }
      return;
    }
  }
}

/**
 * `budget_used("B")` reads B for the caller's scope value, known before a
 * route is chosen; a `per route` budget has none then (E205). An unknown B
 * is E101 (rules/references.ts).
 */
function checkBudgetUses(e: Expr, ctx: CompileContext, out: Diagnostic[]): void {
  switch (e.kind) {
    case "and":
    case "or":
      checkBudgetUses(e.left, ctx, out);
      checkBudgetUses(e.right, ctx, out);
      return;
    case "not":
      checkBudgetUses(e.operand, ctx, out);
      return;
    case "paren":
      checkBudgetUses(e.inner, ctx, out);
      return;
    default: {
      if (e.fact.name.name !== "budget_used" || !e.fact.arg) return;
      const decl = ctx.symbols.budgets.get(e.fact.arg.value);
      const scope = decl?.clauses.find((c) => c.kind === "scope");
      if (scope?.kind === "scope" && scope.scope.name === "route") {
        out.push(
          diagnostic("E205", `\`budget_used\` reads a budget for the caller, but \`${e.fact.arg.value}\` counts \`per route\`: which route is not known while routes are chosen`, e.fact.span, {
            help: "read a budget counted per key, team, user, label, metadata or global",
          }),
        );
      }
    }
  }
}

function check(ctx: CompileContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const checkCondition = (e: Expr, out: Diagnostic[]): void => {
    checkExpr(e, out);
    checkBudgetUses(e, ctx, out);
  };
  for (const file of ctx.files) {
    for (const decl of file.declarations) {
      if (decl.kind === "route") {
        for (const s of decl.body) {
          if (s.kind === "when") checkCondition(s.condition, out);
          else if (s.kind === "split" && s.by) {
            const spec = checkFact(s.by, out);
            if (spec && spec.kind !== "text") {
              out.push(
                diagnostic("E206", `a split is made sticky by a text fact such as \`key\` or \`header("x")\`; \`${factLabel(s.by)}\` is ${FACT_KIND_NOUN[spec.kind]}`, s.by.span),
              );
            }
          }
        }
      } else if (decl.kind === "guardrail" || decl.kind === "cache" || decl.kind === "invariant") {
        for (const s of decl.body) if (s.kind === "when") checkCondition(s.condition, out);
      } else if (decl.kind === "budget" || decl.kind === "limit") {
        for (const c of decl.clauses) if (c.kind === "when") checkCondition(c.condition, out);
      }
      if (decl.kind === "route") {
        for (const s of decl.body) if (s.kind === "cache") for (const c of s.body ?? []) if (c.kind === "when") checkCondition(c.condition, out);
      }
    }
  }
  return out;
}

/** The fact and comparison check for `when` conditions and `split by`. */
export const checkExprs: Rule = { name: "check-exprs", codes: ["E205", "E206"], check };
