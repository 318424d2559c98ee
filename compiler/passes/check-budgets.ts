/**
 * Checks the clauses of `budget` and `limit` blocks: the scope after `per`,
 * the amount's unit (money for a budget's `limit`, counts for a limit's
 * `tokens` and `requests`), the window (`per day` or a rolling `per 24h`),
 * `warn` as a percentage (the grammar shapes `exceeded`). Clauses that
 * belong to the other kind of block are unknown (E202); a block without an
 * amount is missing one (E203); a clause given twice is E208.
 */
import type { AmountEntry, BudgetClause, BudgetDecl, LimitDecl, Window } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Scope, WindowNode } from "../graph.js";
import type { Rule } from "../rules/rule.js";
import { suggest } from "../suggest.js";
import type { CompileContext } from "../symbols.js";
import { COUNT, MONEY, PERCENT, TOKENS, checkValue, describeValue, enumType } from "../value-types.js";
import { firstOfEach, isMissing, push } from "./common.js";

export const SCOPES: readonly Scope[] = ["key", "team", "user", "route", "global"];
/** Scopes that name what they count by: `per label("project")`, `per metadata("app")`. */
export const NAMED_SCOPES = ["label", "metadata"] as const;
export const CALENDAR_WINDOWS: readonly Extract<WindowNode, { kind: "calendar" }>["unit"][] = ["minute", "hour", "day", "month"];

const SCOPE_TYPE = enumType(SCOPES);

/** What a clause is, for duplicate detection: `per`, `limit`, `tokens`, `requests`, `warn`, `exceeded`. */
function clauseKey(c: BudgetClause): string | undefined {
  switch (c.kind) {
    case "scope":
      return "per";
    case "amount":
      return c.measure.name === "" ? undefined : c.measure.name;
    case "warn":
      return "warn";
    case "concurrent":
      return "concurrent";
    case "exceeded":
      return "exceeded";
    case "when":
      return "when";
  }
}

/**
 * An amount table: each entry a scope value (a string) or `default`, each
 * once (E208), amounts typed like the clause's, `default` required (E203);
 * and a scope that has values to name (E212): not `global`, and not `key`,
 * whose values are hashes with no name in the policy.
 */
function checkTable(c: Extract<BudgetClause, { kind: "amount" }>, table: readonly AmountEntry[], scope: string, measure: string, out: Diagnostic[]): void {
  const type = measure === "limit" ? MONEY : measure === "tokens" ? TOKENS : COUNT;
  if (scope === "global" || scope === "key") {
    out.push(
      diagnostic("E212", scope === "global" ? `a table of amounts needs a scope: this ${measure === "limit" ? "budget" : "limit"} counts everyone together (\`per global\`)` : "a table of amounts cannot name keys: a key has no name in the policy, only its hash", c.span, {
        help: scope === "global" ? 'add e.g. `per team`, and name its values: `"research" $500`' : 'give the keys a label (`tier "gold"`) and count `per label("tier")`, or count `per team` or `per user`',
      }),
    );
  }
  const entries = firstOfEach(table, (e) => (e.value !== undefined ? JSON.stringify(e.value.value) : e.word?.name), (k) => `the entry ${k === "default" ? "`default`" : `\`${k}\``}`, out);
  let fallback = false;
  for (const e of entries) {
    if (e.word !== undefined && e.word.name !== "default") {
      const help = suggest(e.word.name, ["default"]) !== undefined ? "did you mean `default`?" : `put it in quotes: \`"${e.word.name}"\``;
      // a slip for `default` is not also reported as a missing `default`
      if (e.word.name !== "") out.push(diagnostic("E201", `expected a quoted ${scope} value or \`default\` in the table, found the word \`${e.word.name}\``, e.word.span, { help }));
    }
    if (e.word !== undefined) fallback = true;
    if (!isMissing(e.amount)) push(out, checkValue(type, e.amount, measure));
  }
  if (!fallback) {
    out.push(diagnostic("E203", "a table of amounts needs a `default` for the values it does not name", c.span, { help: `add e.g. \`default ${measure === "limit" ? "$100" : "60"}\`` }));
  }
}

function scopeName(decl: BudgetDecl | LimitDecl): string {
  for (const c of decl.clauses) if (c.kind === "scope") return c.scope.name;
  return "global";
}

function checkWindow(window: Window, out: Diagnostic[]): void {
  if (window.kind === "ident") {
    if (window.name === "" || (CALENDAR_WINDOWS as readonly string[]).includes(window.name)) return;
    const close = suggest(window.name, CALENDAR_WINDOWS);
    out.push(
      diagnostic("E201", `expected a window (\`minute\`, \`hour\`, \`day\`, \`month\`) or a duration like 24h after \`per\`, found the word \`${window.name}\``, window.span, {
        help: close ? `did you mean \`${close}\`?` : "calendar windows are minute, hour, day and month; write a duration such as `per 24h` for a rolling window",
      }),
    );
    return;
  }
  if (window.unit !== "duration") {
    out.push(diagnostic("E201", `expected a window like \`day\` or a duration like 24h after \`per\`, found ${describeValue(window)}`, window.span));
  } else if (!(window.value > 0)) {
    out.push(diagnostic("E204", `a rolling window must be longer than zero, found \`${window.raw}\``, window.span));
  }
}

function checkScope(c: Extract<BudgetClause, { kind: "scope" }>, out: Diagnostic[]): void {
  const name = c.scope.name;
  if (name === "") return;
  const named = (NAMED_SCOPES as readonly string[]).includes(name);
  if (c.arg === undefined && named) {
    out.push(diagnostic("E205", `\`per ${name}\` needs the name of the ${name} to count by`, c.scope.span, { help: `write \`per ${name}("project")\`` }));
  } else if (c.arg !== undefined && !named) {
    out.push(
      diagnostic("E205", `\`per ${name}\` takes no name; only \`per label("…")\` and \`per metadata("…")\` do`, c.arg.span, {
        help: (SCOPES as readonly string[]).includes(name) ? `write \`per ${name}\`` : "scopes are key, team, user, route, global, label(\"name\") and metadata(\"name\")",
      }),
    );
  } else if (c.arg !== undefined && c.arg.value === "") {
    out.push(diagnostic("E201", `\`per ${name}("")\` needs a name`, c.arg.span));
  } else if (!named) {
    push(out, checkValue(SCOPE_TYPE, c.scope, "per"));
  }
}

function checkClauses(decl: BudgetDecl | LimitDecl, out: Diagnostic[]): void {
  const isBudget = decl.kind === "budget";
  const what = `${decl.kind} \`${decl.name.name}\``;
  const clauses = firstOfEach(decl.clauses, clauseKey, (k) => `\`${k}\` in ${what}`, out);
  let amounts = 0;
  for (const c of clauses) {
    switch (c.kind) {
      case "scope":
        checkScope(c, out);
        break;
      case "amount": {
        const measure = c.measure.name;
        if (measure === "") break;
        if (isBudget && measure !== "limit") {
          out.push(
            diagnostic("E202", `a budget limits spend with \`limit $…\`, not \`${measure}\``, c.measure.span, {
              help: `count ${measure} with a \`limit\` block: \`limit name { per key ${measure} … per minute }\``,
            }),
          );
          break;
        }
        if (!isBudget && measure === "limit") {
          out.push(
            diagnostic("E202", "a limit counts `tokens` or `requests`; spend is capped by a `budget`", c.measure.span, {
              help: "write `tokens 200k per minute` or `requests 600 per minute`, or move the amount into a `budget` block",
            }),
          );
          break;
        }
        amounts++;
        if (c.table !== undefined) checkTable(c, c.table, scopeName(decl), measure, out);
        else if (!isMissing(c.amount)) push(out, checkValue(measure === "limit" ? MONEY : measure === "tokens" ? TOKENS : COUNT, c.amount, measure));
        checkWindow(c.window, out);
        break;
      }
      case "concurrent":
        if (isBudget) {
          out.push(diagnostic("E202", "`concurrent` is a clause of limits: a budget caps spend", c.span, { help: "count requests in flight with a `limit` block: `limit name { per key  concurrent 10 }`" }));
          break;
        }
        amounts++;
        if (!isMissing(c.count)) {
          const problem = checkValue(COUNT, c.count, "concurrent");
          if (problem) push(out, problem);
          else if (c.count.kind === "quantity" && c.count.value < 1) out.push(diagnostic("E204", "`concurrent` must be at least 1: a limit of 0 requests in flight refuses every request", c.count.span));
        }
        break;
      case "warn":
        if (!isBudget) out.push(diagnostic("E202", "`warn` is a clause of budgets, not limits", c.span));
        else if (!isMissing(c.at)) push(out, checkValue(PERCENT, c.at, "warn"));
        break;
      case "when":
        break; // the condition is checked with every other `when` (check-exprs.ts)
      case "exceeded":
        if (!isBudget) {
          out.push(diagnostic("E202", "`exceeded` is a clause of budgets: a limit always rejects with 429", c.span));
        }
        // `exceeded reject | downgrade MODEL` is enforced by the grammar (P002 otherwise).
        break;
    }
  }
  if (amounts === 0) {
    out.push(
      isBudget
        ? diagnostic("E203", `${what} needs an amount`, decl.name.span, { help: "add e.g. `limit $200 per day`" })
        : diagnostic("E203", `${what} needs an amount`, decl.name.span, { help: "add e.g. `requests 600 per minute`, `tokens 200k per minute` or `concurrent 10`" }),
    );
  }
}

function check(ctx: CompileContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const file of ctx.files) {
    for (const decl of file.declarations) {
      if (decl.kind === "budget" || decl.kind === "limit") checkClauses(decl, out);
    }
  }
  return out;
}

/** The budget and limit clause check. */
export const checkBudgets: Rule = { name: "check-budgets", codes: ["E201", "E202", "E203", "E204", "E208", "E212"], check };
