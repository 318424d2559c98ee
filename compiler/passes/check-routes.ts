/**
 * Checks the units of route statements — `retry` a whole number, `backoff`
 * and `timeout` durations, split weights percentages, fallback `on` reasons
 * (an exact status like 429, a class like 5xx, `timeout`, `connection`,
 * `context_length` or `content_filter`) —
 * and that `retry` and `timeout` are given once (E208). Two targets, two
 * `when`s or two `fallback`s are conflicting statements (E306), and name
 * resolution, weight sums, duplicate and missing targets are also lint rules
 * (compiler/rules/).
 */
import type { DefaultsDecl, RouteDecl, RouteStmt, Setting, Value } from "../../lang/ast.js";
import { diagnostic, type Diagnostic } from "../../lang/diagnostics.js";
import type { Rule } from "../rules/rule.js";
import type { CompileContext } from "../symbols.js";
import { COUNT, DURATION, PERCENT, POSITIVE_DURATION, STATUS_CODE, checkValue, describeValue } from "../value-types.js";
import { ROUTE_SETTINGS } from "../settings.js";
import { suggest } from "../suggest.js";
import { checkBlock } from "./check-settings.js";
import { isMissing, push } from "./common.js";
import { NOT_IN_DEFAULTS } from "./expand-defaults.js";

/** The words a fallback `on` list accepts besides statuses: transport failures, and the refusals another model may not make (§7.4). */
export const FAILURE_WORDS = ["timeout", "connection", "context_length", "content_filter"] as const;

/** Checks one `on` reason; shared with `given X fails …` in tests. Returns a message when it is not a reason. */
export function failureReasonProblem(value: Value): Diagnostic | undefined {
  if (isMissing(value)) return undefined;
  if (value.kind === "ident" && (FAILURE_WORDS as readonly string[]).includes(value.name)) return undefined;
  if (value.kind === "quantity" && value.unit === "status") {
    return value.value >= 1 && value.value <= 5
      ? undefined
      : diagnostic("E204", `\`${value.raw}\` is not a status class; the classes are 1xx to 5xx`, value.span);
  }
  if (value.kind === "quantity" && value.unit === "number") return checkValue(STATUS_CODE, value, "on");
  const near = value.kind === "ident" ? nearestFailureWord(value.name) : undefined;
  return diagnostic(
    "E201",
    `expected a failure reason (a status like 429, a class like 5xx, \`timeout\`, \`connection\`, \`context_length\` or \`content_filter\`), found ${describeValue(value)}`,
    value.span,
    near === undefined ? {} : { help: `did you mean \`${near}\`?` },
  );
}

// The providers' own names for the refusals (OpenAI's error code, Azure's, Anthropic's stop reason), as people write them.
const PROVIDER_WORDS: Readonly<Record<string, string>> = {
  context_length_exceeded: "context_length",
  context_window_exceeded: "context_length",
  content_policy_violation: "content_filter",
  refusal: "content_filter",
};

/** The failure word a misspelt or provider-named reason most likely means. */
function nearestFailureWord(name: string): string | undefined {
  return Object.hasOwn(PROVIDER_WORDS, name) ? PROVIDER_WORDS[name] : suggest(name, FAILURE_WORDS);
}

/**
 * The statuses a route may answer with `reject` (lang/SPEC.md §4.8): the
 * client errors a policy decides (bad, unauthenticated, forbidden, unknown,
 * conflicting, gone, too large, unprocessable, too many, unavailable for
 * legal reasons) and 503. Not 5xx otherwise: a refusal is not a failure of
 * the gateway, and callers retry those.
 */
export const REJECT_STATUSES: readonly number[] = [400, 401, 403, 404, 409, 410, 413, 422, 429, 451, 503];

/** A `reject` status: a number in the allowed set. */
function rejectStatusProblem(value: Value): Diagnostic | undefined {
  if (isMissing(value)) return undefined;
  if (value.kind !== "quantity" || value.unit !== "number") {
    return diagnostic("E201", `expected an HTTP status like 403 after \`reject\`, found ${describeValue(value)}`, value.span);
  }
  if (REJECT_STATUSES.includes(value.value)) return undefined;
  return diagnostic("E204", `\`reject ${value.raw}\`: a route may reject with ${REJECT_STATUSES.join(", ")}`, value.span, {
    help: "a refusal is the policy's answer, not a failure: pick the client error that says why (403 forbidden, 451 unavailable for legal reasons, …)",
  });
}

/** E208 for a second `retry` or `timeout`. */
function duplicate(route: RouteDecl | DefaultsDecl, s: RouteStmt, first: RouteStmt, out: Diagnostic[]): void {
  out.push(
    diagnostic("E208", `\`${s.kind}\` in ${owner(route)} is given twice`, s.span, {
      related: { message: "first given here", span: first.span },
      help: "remove one of them",
    }),
  );
}

const owner = (d: RouteDecl | DefaultsDecl): string => `${d.kind === "route" ? "route" : "defaults"} \`${d.name.name}\``;

function checkRoute(route: RouteDecl | DefaultsDecl, out: Diagnostic[]): void {
  // `retry`, `timeout` and `cache` may be given once. (`when`, `to`, `split` and `fallback` repeats are
  // E306, a rule; `guard`, `budget` and `limit` may repeat and their lists are joined.)
  let retry: RouteStmt | undefined;
  let timeout: RouteStmt | undefined;
  let cache: RouteStmt | undefined;
  const rejects = route.body.some((s) => s.kind === "reject");
  for (const s of route.body) {
    if (route.kind === "defaults" && NOT_IN_DEFAULTS.has(s.kind)) {
      out.push(
        diagnostic("E210", `\`${s.kind}\` is not allowed in defaults \`${route.name.name}\`: a defaults block says how routes run, not which requests they take or where they send them`, s.span, {
          help: `move it into each route that uses \`${route.name.name}\``,
        }),
      );
    }
    if (route.kind === "route" && rejects && s.kind !== "when" && s.kind !== "reject") {
      out.push(
        diagnostic("E210", `\`${s.kind === "setting" ? s.name.name : s.kind === "shape" ? s.verb : s.kind}\` has no effect in route \`${route.name.name}\`, which rejects every request it takes`, s.span, {
          help: "a rejecting route sends nothing upstream: remove the statement, or give it to the routes that send",
        }),
      );
    }
    switch (s.kind) {
      case "reject":
        push(out, rejectStatusProblem(s.status));
        break;
      case "split":
        for (const arm of s.arms) push(out, checkValue(PERCENT, arm.weight, "split"));
        break;
      case "fallback":
        for (const reason of s.on) push(out, failureReasonProblem(reason));
        break;
      case "retry":
        if (retry) {
          duplicate(route, s, retry, out);
          break;
        }
        retry = s;
        if (!isMissing(s.count)) push(out, checkValue(COUNT, s.count, "retry"));
        if (s.backoff && !isMissing(s.backoff)) push(out, checkValue(DURATION, s.backoff, "backoff"));
        break;
      case "timeout":
        if (timeout) {
          duplicate(route, s, timeout, out);
          break;
        }
        timeout = s;
        if (!isMissing(s.duration)) push(out, checkValue(POSITIVE_DURATION, s.duration, "timeout"));
        break;
      case "cache":
        if (cache) duplicate(route, s, cache, out);
        else cache = s;
        break;
      default:
        break;
    }
  }
}

function check(ctx: CompileContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const file of ctx.files) {
    for (const decl of file.declarations) {
      if (decl.kind !== "route" && decl.kind !== "defaults") continue;
      checkRoute(decl, out);
      const settings = decl.body.filter((s): s is Setting => s.kind === "setting");
      checkBlock(settings, ROUTE_SETTINGS, { owner: owner(decl), kind: "route", span: decl.span }, out);
    }
  }
  return out;
}

/** The route statement check. */
export const checkRoutes: Rule = { name: "check-routes", codes: ["E201", "E202", "E204", "E208", "E210"], check };
